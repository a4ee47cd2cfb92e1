"""The OpenAI chat API's wire format: reading a request, and the JSON of replies, chunks and errors.

`ui.openai_api` serves the endpoints; this module holds what OpenAI's protocol fixes: the error shape
`{"error": {"message", "type", "code", "param"}}`, a completion and its streamed chunks (server-sent
events), and the checks of a request's body (its size, `messages`, and the `newsdesk` filters field,
checked like the CLI's --outlet, --topic, --since and --until). No gradio import.
"""
from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from index.document import Filters
from index.errors import QueryError
from qa.answer import Answer
from qa.retrieve.conversation import message_text
from qa.retrieve.filters import parse_filters
from ui.cited import citation_records

MAX_BODY_BYTES = 1_000_000  # a long conversation is a few hundred KB; past this a request is refused (413)
FILTER_KEYS = ("outlets", "topics", "since", "until")
ROLES = ("system", "developer", "user", "assistant", "tool", "function")


class ApiError(Exception):
    """A request the API refuses, with OpenAI's error fields."""

    def __init__(self, status: int, message: str, kind: str = "invalid_request_error", code: str | None = None,
                 param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.kind, self.code, self.param = status, message, kind, code, param

    def response(self) -> JSONResponse:
        return JSONResponse(error_body(self.message, self.kind, self.code, self.param), status_code=self.status)


def error_body(message: str, kind: str, code: str | None = None, param: str | None = None) -> dict:
    return {"error": {"message": message, "type": kind, "code": code, "param": param}}


class Reply:
    """One completion's id, time and model, and the JSON of its parts."""

    def __init__(self, id: str, created: int, model: str) -> None:
        self.id, self.created, self.model = id, created, model

    def completion(self, text: str, answer: Answer) -> dict:
        message = {"role": "assistant", "content": text, "citations": citation_records(answer)}
        return {"id": self.id, "object": "chat.completion", "created": self.created, "model": self.model,
                "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}],
                "newsdesk": about(answer)}

    def event(self, delta: dict, finish: str | None = None, answer: Answer | None = None) -> str:
        chunk = {"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
                 "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}
        if answer is not None:
            chunk |= {"citations": citation_records(answer), "newsdesk": about(answer)}
        return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

    def error(self, message: str, kind: str) -> str:
        return f"data: {json.dumps(error_body(message, kind), ensure_ascii=False)}\n\n"


def about(answer: Answer) -> dict:
    """What else a client may want of the answer: what was searched, whether it abstained, who wrote it."""
    return {"query": answer.query, "abstained": answer.abstained, "answerer": answer.answerer,
            "notice": answer.notice, "unsupported": answer.unsupported}


async def read_json(request: Request) -> dict:
    """The request's JSON object, read at most `MAX_BODY_BYTES` far."""
    declared = request.headers.get("content-length", "")
    too_big = ApiError(413, f"the request is larger than {MAX_BODY_BYTES:,} bytes; send a shorter conversation",
                       code="request_too_large")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise too_big
    data = bytearray()
    async for part in request.stream():
        data += part
        if len(data) > MAX_BODY_BYTES:
            raise too_big
    try:
        body = json.loads(bytes(data))
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "the request body is not JSON; send a JSON object with model and messages") from None
    if not isinstance(body, dict):
        raise ApiError(400, f"the request body is a JSON {type(body).__name__}, not an object with model and messages")
    return body


def conversation(messages: Any) -> tuple[str, list[dict]]:
    """The question (the last message, the user's) and the turns before it, as the web chat keeps them.
    System and tool messages are read past: newsdesk answers from the articles, not from instructions."""
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "messages must be a non-empty list of {role, content}, the last one the user's question",
                       param="messages")
    turns = []
    for i, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role not in ROLES:
            raise ApiError(400, f"messages[{i}] has role {role!r}; use user, assistant or system", param="messages")
        if role in ("user", "assistant"):
            turns.append({"role": role, "content": message_text(message.get("content"))})
    if not turns or messages[-1].get("role") != "user":
        raise ApiError(400, "the last message must be the user's question (role user)", param="messages")
    return turns[-1]["content"], turns[:-1]


def request_filters(value: Any) -> Filters | None:
    """The `newsdesk` body field as checked `Filters` (the CLI's --outlet, --topic, --since, --until)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ApiError(400, f"newsdesk is a {type(value).__name__}; send an object with {', '.join(FILTER_KEYS)}",
                       param="newsdesk")
    for key in value:
        if key not in FILTER_KEYS:
            raise ApiError(400, f"newsdesk.{key} is not a filter; use {', '.join(FILTER_KEYS)}", param=f"newsdesk.{key}")
    names = {}
    for key in ("outlets", "topics"):
        given = value.get(key) or []
        given = [given] if isinstance(given, str) else given
        if not isinstance(given, list) or not all(isinstance(v, str) for v in given):
            raise ApiError(400, f"newsdesk.{key} is {given!r}; send a list of names", param=f"newsdesk.{key}")
        names[key] = given
    for key in ("since", "until"):
        if value.get(key) is not None and not isinstance(value[key], str):
            raise ApiError(400, f"newsdesk.{key} is {value[key]!r}; write it as \"YYYY-MM-DD\"", param=f"newsdesk.{key}")
    try:
        return parse_filters(names["outlets"], names["topics"], value.get("since"), value.get("until")) or None
    except QueryError as exc:
        raise ApiError(400, str(exc), param="newsdesk") from None
