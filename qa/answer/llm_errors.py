"""What went wrong with a model server, in words a user can act on: the cause, then the fix.

`qa.answer.llm` catches the client's exceptions and hands the facts (a status, a
content type, the first bytes of a body) to the functions here, which tell apart
the causes people meet: a web page where the API should be, a body that is not
JSON, nothing listening, a model name the server does not know, a prompt too long
for the model's window, a parameter the model refuses. A server's body is read
for its kind and for numbers, never repeated, and every message is passed
through `redact`, so no key reaches a user. No HTTP client is imported here.
"""
from __future__ import annotations

import json
import re

from index.errors import NewsdeskError
from qa.answer.redact import redact
from qa.config import LLMSettings

_CONTEXT = re.compile(r"context (?:length|window|size)|maximum context|n_ctx|too many tokens|prompt is too long|"
                      r"exceeds? (?:the )?(?:max(?:imum)? )?(?:model'?s? )?(?:context|token|input)|input (?:is )?too long|"
                      r"reduce the length|token limit|inputs`? tokens \+ `?max_new_tokens", re.IGNORECASE)
_WINDOW = re.compile(r"(?:context (?:length|window|size)|n_ctx|maximum context|must be <=)\D{0,20}?(\d[\d,]{2,})",
                     re.IGNORECASE)
_NO_MODEL = re.compile(r"model\b.{0,80}?(?:not found|does not exist|doesn't exist|not exist|unknown|no such|not available|"
                       r"not loaded|not supported)|(?:unknown|invalid|no such) model|model_not_found", re.IGNORECASE)
_TOO_MANY = re.compile(r"max_(?:completion_)?tokens.{0,80}?(?:too large|at most|must be|exceeds?|maximum|<=|less than)|"
                       r"supports at most \d+ completion tokens", re.IGNORECASE)
_API = "an OpenAI-compatible /v1 API"
_BASE_FIX = "set llm.base_url to the server's API root, e.g. http://127.0.0.1:11434/v1 (Ollama) or http://HOST:8000/v1 (vLLM)"


class ModelUnavailable(NewsdeskError):
    """The model server could not produce an answer; the message is fit to show a user (secrets redacted)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(redact(message), redact(hint) if hint else hint)


def refused_parameter(body: str) -> str | None:
    """"max_tokens" or "temperature" when a 400 says the model does not take that parameter (or value)."""
    text = _message(body).lower()
    if "max_tokens" in text and ("max_completion_tokens" in text or "unsupported" in text or "not supported" in text):
        return "max_tokens"
    if "temperature" in text and ("unsupported" in text or "not support" in text or "only the default" in text):
        return "temperature"
    return None


def status_error(s: LLMSettings, status: int, content_type: str, body: str) -> ModelUnavailable:
    """The error for an HTTP error status, by what the body says it is."""
    at = f"the model server at {s.base_url}"
    if status == 401:
        return ModelUnavailable(f"{at} refused the api key (401)", f"check the key in ${s.api_key_env}" if s.api_key_env
                                else "set llm.api_key_env to the variable that holds the key")
    if status == 403:
        return ModelUnavailable(f"{at} does not allow this key to use {s.model} (403)", "check the key's permissions")
    if status == 429:
        return ModelUnavailable(f"{at} is rate limiting requests (429)", "wait a little, or raise the account's limits")
    if _is_page(content_type, body) and status < 500:
        return ModelUnavailable(f"{at} answered with a web page ({status}), not {_API}", _BASE_FIX)
    if _is_page(content_type, body):
        return ModelUnavailable(f"{at} answered with an error page ({status}): the server behind it is down or failing",
                                "start the model server, or see the log of the proxy in front of it")
    if status == 503:
        return ModelUnavailable(f"{at} is busy or still loading the model (503)", "wait a little and ask again")
    if _CONTEXT.search(_message(body)):
        return context_error(s, body)
    if _TOO_MANY.search(_message(body)):
        limit = re.search(r"(?:at most|<=|maximum(?: is| of)?|less than)\s*(\d[\d,]*)", _message(body))
        return ModelUnavailable(f"{at} refused llm.max_tokens ({s.max_tokens}): the model writes at most "
                                f"{limit.group(1) if limit else 'fewer'} tokens", "lower llm.max_tokens to that")
    if 400 <= status < 500 and _NO_MODEL.search(_message(body)):
        return ModelUnavailable(f"{at} has no model {s.model!r} ({status})",
                                "check llm.model (Ollama: `ollama list`, `ollama pull NAME`; vLLM: its --model)")
    if status == 404:
        # An OpenAI-style error envelope means the route exists, so what is missing is the model; a bare
        # "Not Found" (a web framework's own 404) or a body that is not JSON means the path is wrong.
        route = re.search(r"invalid url|unknown url|no route|not found|page", _message(body), re.IGNORECASE)
        if not _is_json(body) or route or not isinstance(_json(body), dict) or "error" not in _json(body):
            return ModelUnavailable(f"{at} has no chat-completions endpoint (404): it is not {_API}", _BASE_FIX)
        return ModelUnavailable(f"{at} has no model {s.model!r} (404)",
                                "check llm.model (Ollama: `ollama list`, `ollama pull NAME`; vLLM: its --model)")
    if status == 405:
        return ModelUnavailable(f"{at} does not take chat completions there (405): it is not {_API}", _BASE_FIX)
    if 400 <= status < 500:
        return ModelUnavailable(f"{at} refused the request ({status})",
                                "check llm.model and llm.extra_body against the server's documentation")
    return ModelUnavailable(f"{at} answered with an error ({status})", "see the server's own log")


def context_error(s: LLMSettings, body: str) -> ModelUnavailable:
    """The prompt did not fit the model's window: name the window when the server says it, -k and the setting."""
    window = _WINDOW.search(_message(body))
    size = int(window.group(1).replace(",", "")) if window else None
    told = f" of {size} tokens" if size else ""
    fix = (f"set llm.context_tokens: {size} (the server's window), or ask with a smaller -k" if size and size < s.context_tokens
           else "ask with a smaller -k, or lower llm.context_tokens to the window the server was started with")
    return ModelUnavailable(f"the question, its passages and llm.max_tokens ({s.max_tokens}) do not fit the model's "
                            f"context window{told} at {s.base_url}", fix)


def body_error(s: LLMSettings, content_type: str, body: str) -> ModelUnavailable:
    """A 200 whose body is not a chat completion: a web page, something not JSON, or JSON of another kind."""
    at = f"the model server at {s.base_url}"
    kind = content_type.split(";")[0].strip() or "no content type"
    if _is_page(content_type, body):
        return ModelUnavailable(f"{at} is a web page ({kind}), not {_API}", _BASE_FIX)
    if not _is_json(body):
        return ModelUnavailable(f"{at} sent a reply that is not JSON ({kind}), so not a chat completion: it is not {_API}",
                                _BASE_FIX)
    if _CONTEXT.search(_message(body)):
        return context_error(s, body)
    return ModelUnavailable(f"{at} sent JSON that is not a chat completion", f"check that llm.base_url points at {_API}")


def timeout_error(s: LLMSettings) -> ModelUnavailable:
    return ModelUnavailable(f"the model server at {s.base_url} did not answer within {s.timeout:g} s",
                            "raise llm.timeout, or use a smaller model")


def deadline_error(s: LLMSettings) -> ModelUnavailable:
    return ModelUnavailable(f"the model server at {s.base_url} did not finish the answer within llm.total_timeout "
                            f"({s.total_timeout:g} s)", "raise llm.total_timeout, or use a faster model or server")


def connection_error(s: LLMSettings, cause: BaseException | None) -> ModelUnavailable:
    """Nothing listening, a name that does not resolve, a TLS failure, or a connection dropped."""
    chain = []
    while cause is not None and len(chain) < 8:
        chain.append(f"{type(cause).__name__} {cause}".lower())
        cause = cause.__cause__ or cause.__context__
    said = " ".join(chain)
    at = f"the model server at {s.base_url} cannot be reached"
    if "refused" in said:
        return ModelUnavailable(f"{at}: connection refused, nothing is listening there",
                                "start the server (e.g. `ollama serve`) or fix the port in llm.base_url")
    if "name or service" in said or "nodename" in said or "getaddrinfo" in said or "name resolution" in said:
        return ModelUnavailable(f"{at}: its host name does not resolve", "fix the host in llm.base_url")
    if "ssl" in said or "certificate" in said:
        return ModelUnavailable(f"{at}: the TLS handshake failed", "use http:// for a local server, or fix its certificate")
    return ModelUnavailable(f"{at}, or it broke off the answer", "start it (e.g. `ollama serve`) or fix llm.base_url")


def _is_page(content_type: str, body: str) -> bool:
    head = body.lstrip()[:200].lower()
    return "html" in content_type.lower() or head.startswith(("<!doctype", "<html", "<head", "<body", "<?xml"))


def _json(body: str) -> object:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _is_json(body: str) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


def _message(body: str) -> str:
    """The error message inside a JSON error body (or the body itself)."""
    try:
        obj = json.loads(body)
    except ValueError:
        return body
    if isinstance(obj, dict):
        inner = obj.get("error", obj)
        message = inner.get("message", "") if isinstance(inner, dict) else inner
        return " ".join(str(v) for v in (message, obj.get("message", ""), obj.get("detail", "")) if v)
    return body
