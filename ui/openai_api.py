"""The OpenAI chat API on `newsdesk serve`: `GET /v1/models` and `POST /v1/chat/completions`.

Chat front ends (Open WebUI, LibreChat), notebooks with the `openai` client and agent frameworks speak
this protocol. Routes here are plain Starlette routes that `ui.app` gives to the app Gradio creates,
so they share its host, port and middleware: `ui.guard.LoginGuard` asks for `Authorization: Bearer
<password>` when the server has one. Answers come from the web chat's own path (`Desk.ask_stream`:
the last user message is the question, the earlier turns its history, so follow-ups resolve exactly
as in the chat); the text keeps its [n] markers and ends with the sources as a Markdown list, and the
message (or the final streamed chunk) carries them as data in `citations`. Filters come in the extra
body field `newsdesk: {outlets, topics, since, until}`, checked like the CLI's flags. Every error has
OpenAI's shape `{"error": {"message", "type", "code", "param"}}`. No gradio import.
"""
from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import replace
from typing import Any, AsyncIterator, Callable

from starlette.background import BackgroundTask
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from index.document import Filters
from index.errors import ConfigError, NewsdeskError, QueryError
from qa.answer import Answer, Answerer
from qa.answer.factory import make_answerer
from qa.answer.records import PARAGRAPH
from qa.retrieve.retriever import validate_question
from ui.cited import sources_markdown
from ui.desk import Desk
from ui.openai_wire import ApiError, Reply, conversation, read_json, request_filters
from ui.render import filters_note

log = logging.getLogger("newsdesk.api")
PREFIX = "/v1"
UNEXPECTED = "Something went wrong on the server (the server log has the details). Please try again."
WIDEN = "Widen or drop newsdesk.outlets, topics, since or until, then ask again."


class Slots:
    """At most `running` answers at once and `waiting` more in line; past that, refused at once (429).

    The same bound as the web chat's queue: a flood gets quick refusals, not growing memory. Used from
    the server's event loop only, so the count needs no lock.
    """

    def __init__(self, running: int, waiting: int) -> None:
        self.running, self.waiting, self.taken = running, waiting, 0
        self._turns: asyncio.Semaphore | None = None

    def admit(self) -> Callable[[], None]:
        """Take a place in line or raise the 429; returns the release (safe to call more than once)."""
        if self.taken >= self.running + self.waiting:
            raise ApiError(429, "the server is busy: too many questions are waiting; try again in a moment",
                           "rate_limit_error", "queue_full")
        self.taken += 1
        done = False

        def release() -> None:
            nonlocal done
            if not done:
                done = True
                self.taken -= 1

        return release

    def turn(self) -> asyncio.Semaphore:
        if self._turns is None:  # made on the server's loop, where it is awaited
            self._turns = asyncio.Semaphore(self.running)
        return self._turns


class ChatApi:
    """The API's two endpoints over one `Desk`; `routes()` is what the web app serves."""

    def __init__(self, desk: Desk, running: int, waiting: int) -> None:
        self.desk = desk
        self.slots = Slots(running, waiting)
        self.started = int(time.time())
        config = desk.config
        self.models: dict[str, Answerer] = {"newsdesk": desk.answerer}  # the web chat's own answerer
        if config.llm.model:  # with a model server configured, either answerer can be asked for by name
            for name in ("extractive", "generative"):
                self.models[f"newsdesk-{name}"] = (desk.answerer if config.answerer == name else
                                                   make_answerer(replace(config, answerer=name), desk.retriever.encoder))

    def routes(self) -> list[Route]:
        return [Route(f"{PREFIX}/models", self._guarded(self.list_models), methods=["GET"]),
                Route(f"{PREFIX}/chat/completions", self._guarded(self.chat), methods=["POST"]),
                Route(PREFIX + "/{rest:path}", self._guarded(self.unknown),
                      methods=["GET", "POST", "PUT", "PATCH", "DELETE"])]

    def _guarded(self, endpoint):
        """`endpoint` with every failure answered in OpenAI's error shape, never a traceback or a path."""
        async def run(request: Request) -> Response:
            try:
                return await endpoint(request)
            except ApiError as exc:
                return exc.response()
            except (QueryError, ConfigError) as exc:
                return ApiError(400, self.desk.public(exc)).response()
            except NewsdeskError as exc:
                return ApiError(500, self.desk.public(exc), "server_error").response()
            except Exception:
                log.exception("%s %s failed", request.method, request.url.path)
                return ApiError(500, UNEXPECTED, "server_error").response()

        return run

    async def list_models(self, request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [
            {"id": name, "object": "model", "created": self.started, "owned_by": "newsdesk"} for name in self.models]})

    async def unknown(self, request: Request) -> Response:
        raise ApiError(404, f"{request.method} {request.url.path} is not an endpoint of this server; it serves "
                       f"GET {PREFIX}/models and POST {PREFIX}/chat/completions", code="unknown_url")

    async def chat(self, request: Request) -> Response:
        body = await read_json(request)
        model = body.get("model", "newsdesk")
        if model not in self.models:
            raise ApiError(404, f"model {model!r} is not served here; use one of {', '.join(self.models)}",
                           code="model_not_found", param="model")
        stream = body.get("stream") or False
        if not isinstance(stream, bool):
            raise ApiError(400, f"stream is {stream!r}, not true or false", param="stream")
        answerer = self._answerer(model, body.get("max_completion_tokens", body.get("max_tokens")))
        question, history = conversation(body.get("messages"))
        question = validate_question(question)
        filters = request_filters(body.get("newsdesk"))
        release = self.slots.admit()
        reply = Reply(f"chatcmpl-{secrets.token_hex(12)}", int(time.time()), model)
        if stream:
            return StreamingResponse(self._events(reply, question, history, filters, answerer, release),
                                     media_type="text/event-stream", background=BackgroundTask(release),
                                     headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        try:
            async with self.slots.turn():
                answer = await run_in_threadpool(self._answer, question, history, filters, answerer)
        finally:
            release()
        text = self._text(answer, filters)
        return JSONResponse(reply.completion(text, answer))

    def _answerer(self, model: str, max_tokens: Any) -> Answerer:
        """The model's answerer; a generative one with a lower `max_tokens` when the request asks for it
        (the configured `llm.max_tokens` stays the most a request may have). Extractive answers ignore it."""
        answerer = self.models[model]
        if max_tokens is None or not writes(answerer):
            return answerer
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
            raise ApiError(400, f"max_tokens is {max_tokens!r}, not a whole number from 1", param="max_tokens")
        llm = self.desk.config.llm
        if max_tokens >= llm.max_tokens:
            return answerer
        config = replace(self.desk.config, answerer="generative", llm=replace(llm, max_tokens=max_tokens))
        return make_answerer(config, self.desk.retriever.encoder)

    def _answer(self, question: str, history: list, filters: Filters | None, answerer: Answerer) -> Answer:
        pieces = self.desk.ask_stream(question, history, filters, answerer)
        return [p for p in pieces if isinstance(p, Answer)][-1]

    def _text(self, answer: Answer, filters: Filters | None) -> str:
        """The answer text as the client shows it: the chat's words when the filters exclude everything."""
        if answer.abstained and not answer.hits and filters:
            return answer.text + PARAGRAPH + filters_note(filters, self.desk.summary(), WIDEN)
        return answer.text + sources_markdown(answer)

    async def _events(self, reply: Reply, question: str, history: list, filters: Filters | None,
                      answerer: Answerer, release: Callable[[], None]) -> AsyncIterator[str]:
        """Server-sent events in OpenAI's chunk shape. Extractive text goes out as the answerer writes it
        (it is the answer); a model's raw tokens are not (grounding renumbers its [n] and flags claims),
        so a generative answer is sent once grounded: what the client keeps is what was checked."""
        live = not writes(answerer)
        try:
            yield reply.event({"role": "assistant", "content": ""})
            async with self.slots.turn():
                sent = ""
                async for piece in iterate_in_threadpool(self.desk.ask_stream(question, history, filters, answerer)):
                    if not isinstance(piece, Answer):
                        if live and piece:
                            sent += piece
                            yield reply.event({"content": piece})
                        continue
                    text = self._text(piece, filters)
                    rest = text[len(sent):] if text.startswith(sent) else "\n\n" + text
                    if rest:
                        yield reply.event({"content": rest})
                    yield reply.event({}, "stop", piece)
                    yield "data: [DONE]\n\n"
                    return
        except (QueryError, ConfigError) as exc:
            yield reply.error(self.desk.public(exc), "invalid_request_error")
        except NewsdeskError as exc:
            yield reply.error(self.desk.public(exc), "server_error")
        except Exception:
            log.exception("streaming an answer to %r failed", question[:200])
            yield reply.error(UNEXPECTED, "server_error")
        finally:
            release()


def writes(answerer: Answerer) -> bool:
    """Whether a model writes this answerer's text (the generative answerer holds a model server's client)."""
    return getattr(answerer, "client", None) is not None
