"""The one file that imports the `openai` client: chat completions from any OpenAI-compatible server.

`ChatClient.reply(messages)` asks for a streamed reply and yields it as `Delta`s
(answer text or thinking) and, last, one `Ending` (see `qa.answer.reply`). It
reads what the server actually sends: server-sent events, or one JSON completion
from a server that ignores `stream: true`. Two bounds hold on every call: the
reply may not run past `llm.max_tokens` (counted as it arrives, characters and
pieces both; past it the reply is cut and marked so, and the connection closed)
nor past `llm.total_timeout` (checked as each piece arrives; `llm.timeout`
bounds each wait). A model that refuses `max_tokens` or `temperature: 0`
(OpenAI's reasoning models) is asked again once with `max_completion_tokens`
and without the temperature, and the client remembers it. Every failure
becomes one `ModelUnavailable` naming the cause and the fix
(`qa.answer.llm_errors`); the api key is read from the named variable at call
time and never shown. This module must not build prompts or know about passages.
"""
from __future__ import annotations

import json
import os
import time
from contextlib import ExitStack
from typing import Iterable, Iterator, Mapping, Sequence

from qa.answer.llm_errors import (ModelUnavailable, body_error, connection_error, context_error, deadline_error,
                                  refused_parameter, status_error, timeout_error)
from qa.answer.reply import Delta, Ending, NotACompletion, choice_of, sse_payloads
from qa.config import LLMSettings

__all__ = ["ChatClient", "ModelUnavailable"]

NO_KEY = "no-key"  # local servers ignore the key, but the client insists on one
CHARS_PER_TOKEN = 8  # what max_tokens allows of text: twice an English token's ~4 characters, so no fair reply is cut
MAX_BODY = 32 << 20  # bytes of a non-streamed body read before giving up on it


class _Deadline(Exception):
    pass


class ChatClient:
    """Streams chat completions from `settings.base_url`. No retries for failures: a user waiting in the chat
    is better served by the built-in answer at once than by a second wait for an overloaded server."""

    def __init__(self, settings: LLMSettings) -> None:
        if not settings.model:
            raise ModelUnavailable("the generative answerer has no model name",
                                   "set llm: {model: ...} in newsdesk.yaml (for Ollama, a name from `ollama list`)")
        self.settings = settings
        self._client = None
        self._refused: frozenset[str] = frozenset()  # parameters this server's model turned down

    def stream(self, messages: Sequence[Mapping[str, str]]) -> Iterator[str]:
        """The reply's text as it arrives, without the thinking a server sends apart (see `reply`)."""
        for piece in self.reply(messages):
            if isinstance(piece, Delta) and not piece.thinking and piece.text:
                yield piece.text

    def reply(self, messages: Sequence[Mapping[str, str]]) -> Iterator[Delta | Ending]:
        """The reply's pieces as they arrive, then its `Ending`; `ModelUnavailable` when the call fails."""
        import openai

        s = self.settings
        deadline = time.monotonic() + s.total_timeout
        try:
            with ExitStack() as stack:
                manager, response = self._open(messages, deadline)
                stack.push(manager.__exit__)
                yield from self._read(response, deadline)
        except ModelUnavailable:
            raise
        except _Deadline:
            raise deadline_error(s) from None
        except openai.APIStatusError as exc:
            raise status_error(s, exc.status_code, exc.response.headers.get("content-type", ""), _body(exc)) from None
        except openai.APITimeoutError:
            raise (deadline_error(s) if time.monotonic() >= deadline - 0.05 else timeout_error(s)) from None
        except openai.APIConnectionError as exc:
            raise connection_error(s, exc.__cause__ or exc.__context__) from None
        except Exception as exc:  # noqa: BLE001  the transport's own errors while reading: a timeout, a dropped line
            if any("Timeout" in t.__name__ for t in type(exc).__mro__):
                raise (deadline_error(s) if time.monotonic() >= deadline - 0.05 else timeout_error(s)) from None
            raise ModelUnavailable(f"the model server at {s.base_url} broke off the answer before it was finished "
                                   f"({type(exc).__name__})", "see the server's own log") from None

    def _open(self, messages: Sequence[Mapping[str, str]], deadline: float):
        """The entered response manager and its response; asked again without a parameter the model refused (a 400)."""
        import openai

        while True:
            wait = max(0.01, min(self.settings.timeout, deadline - time.monotonic()))  # each wait within the total
            manager = self._connect().chat.completions.with_streaming_response.create(**self._request(messages),
                                                                                      timeout=wait)
            try:
                return manager, manager.__enter__()
            except openai.BadRequestError as exc:
                refused = refused_parameter(_body(exc))
                if refused is None or refused in self._refused:
                    raise
                self._refused |= {refused}

    def _request(self, messages: Sequence[Mapping[str, str]]) -> dict:
        s = self.settings
        extra = dict(s.extra_body)
        request = {"model": s.model, "messages": list(messages), "stream": True}
        if not {"max_tokens", "max_completion_tokens"} & set(extra):
            request["max_completion_tokens" if "max_tokens" in self._refused else "max_tokens"] = s.max_tokens
        if "temperature" not in self._refused and "temperature" not in extra:
            request["temperature"] = s.temperature
        return request | ({"extra_body": extra} if extra else {})

    def _read(self, response, deadline: float) -> Iterator[Delta | Ending]:
        s = self.settings
        kind = response.headers.get("content-type", "").lower()
        chunks = _until(response.iter_bytes(), deadline)
        limit = s.max_tokens * CHARS_PER_TOKEN
        if "event-stream" in kind:
            yield from self._events(sse_payloads(chunks, 2 * limit + 65536), limit)
            return
        body = _bounded(chunks).decode("utf-8", "replace")
        if body.lstrip().startswith("data:"):  # events sent with the wrong content type
            yield from self._events(sse_payloads([body.encode()], 2 * limit + 65536), limit)
            return
        try:
            content, thinking, finish = choice_of(json.loads(body))
        except (ValueError, NotACompletion):
            raise body_error(s, kind, body) from None
        yield from self._events([{"choices": [{"delta": {"content": content, "reasoning_content": thinking},
                                               "finish_reason": finish or "stop"}]}], limit)

    def _events(self, payloads: Iterable[str | dict], limit: int) -> Iterator[Delta | Ending]:
        """Deltas of the payloads, cut at `limit` characters or max_tokens pieces; then the Ending."""
        s = self.settings
        used = pieces = 0
        finish, done, seen = None, False, False
        for payload in payloads:
            seen = True
            if payload == "[DONE]":
                done = True
                break
            try:
                content, thinking, reason = choice_of(payload)
            except ValueError:  # bad JSON, or an error sent as an event
                if isinstance(payload, str) and "error" in payload:
                    raise context_error(s, payload) if "context" in payload.lower() else ModelUnavailable(
                        f"the model server at {s.base_url} reported an error in the middle of the answer",
                        "see the server's own log") from None
                raise ModelUnavailable(f"the model server at {s.base_url} sent a reply that is not a chat completion",
                                       "check that llm.base_url points at an OpenAI-compatible /v1 API") from None
            for text, is_thinking in ((thinking, True), (content, False)):
                if not text:
                    continue
                room = limit - used
                pieces += 1
                if room <= 0 or pieces > s.max_tokens + 16:
                    yield Ending(reason or finish, clipped=True)
                    return
                used += len(text)
                yield Delta(text[:room], is_thinking)
                if len(text) > room:
                    yield Ending(reason or finish, clipped=True)
                    return
            finish = reason or finish
        if not seen:
            raise ModelUnavailable(f"the model server at {s.base_url} closed the stream without sending a chat completion",
                                   "check that llm.base_url points at an OpenAI-compatible /v1 API, and the server's log")
        if finish is None and not done:
            raise ModelUnavailable(f"the model server at {s.base_url} broke off the answer before it was finished",
                                   "see the server's own log")
        yield Ending(finish or "stop")

    def _connect(self):
        if self._client is None:
            import openai

            s = self.settings
            key = os.environ.get(s.api_key_env, "") if s.api_key_env else NO_KEY
            if not key:
                raise ModelUnavailable(f"the environment variable {s.api_key_env} that should hold the api key is empty",
                                       f"export {s.api_key_env}=... before starting newsdesk")
            self._client = openai.OpenAI(base_url=s.base_url, api_key=key, timeout=s.timeout, max_retries=0)
        return self._client


def _until(chunks: Iterable[bytes], deadline: float) -> Iterator[bytes]:
    for chunk in chunks:
        if time.monotonic() > deadline:
            raise _Deadline
        yield chunk


def _bounded(chunks: Iterable[bytes]) -> bytes:
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) > MAX_BODY:
            break
    return bytes(body)


def _body(exc) -> str:
    """The first bytes of an error response's body, as text (read for its kind, never shown)."""
    try:
        return exc.response.text[:65536]
    except Exception:  # noqa: BLE001  a body that cannot be read says nothing more than the status
        return json.dumps(exc.body) if exc.body is not None else ""
