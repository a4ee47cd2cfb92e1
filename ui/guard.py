"""With a password, nothing of the app reaches a client before it logs in.

Gradio's login page (`/`, `/?view=api`, `/?all_endpoints=true`, `/gradio_api/runs`) embeds the
description of the app's API (`window.gradio_api_info`: the /ask endpoint, its parameters) even
for a client that has not logged in. `LoginGuard`, an ASGI middleware given to the app when it is
created, empties that description in pages served to a client without a valid session, and
answers FastAPI's own schema routes with 404 (they are switched off too). A logged-in client, or
a server without a password, gets every response unchanged. No gradio import: it reads gradio's
session cookie against the app's sessions (`app.auth`, `app.cookie_id`, `app.tokens`).

The OpenAI-compatible API under `/v1/` (`ui.openai_api`) is for programs, which send the password as
`Authorization: Bearer <password>` (the "API key" of an OpenAI client) instead of logging in; without
it, or with a wrong one, they get 401 in OpenAI's error shape and nothing of the app.
"""
from __future__ import annotations

import hmac
import json
import re
from http.cookies import SimpleCookie

API_INFO = re.compile(rb"window\.gradio_api_info = .*?;</script>", re.DOTALL)
SCHEMA_PATHS = ("/openapi.json", "/docs", "/redoc")
API_PREFIX = "/v1/"
UNAUTHORIZED = json.dumps({"error": {
    "message": "this newsdesk needs its password: send it as the API key (Authorization: Bearer <password>)",
    "type": "invalid_request_error", "code": "invalid_api_key", "param": None}}).encode()


class LoginGuard:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(API_PREFIX) and not _bearer_allowed(scope):
            await send({"type": "http.response.start", "status": 401,
                        "headers": [(b"content-type", b"application/json"), (b"www-authenticate", b"Bearer")]})
            await send({"type": "http.response.body", "body": UNAUTHORIZED})
            return
        if scope["type"] != "http" or scope["path"].startswith(API_PREFIX) or not _anonymous(scope):
            await self.app(scope, receive, send)
            return
        if scope["path"].rstrip("/") in SCHEMA_PATHS:
            await send({"type": "http.response.start", "status": 404,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": b'{"detail":"Not Found"}'})
            return
        start: dict = {}
        body: list[bytes] = []

        async def held(message: dict) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                if not headers.get(b"content-type", b"").startswith(b"text/html"):
                    start = {}
                    await send(message)
                    return
                start = message
            elif start and message["type"] == "http.response.body":
                body.append(message.get("body", b""))
                if not message.get("more_body"):
                    page = API_INFO.sub(b"window.gradio_api_info = {};</script>", b"".join(body))
                    headers = [(k, str(len(page)).encode() if k == b"content-length" else v)
                               for k, v in start.get("headers", [])]
                    await send({**start, "headers": headers})
                    await send({"type": "http.response.body", "body": page})
            else:
                await send(message)

        await self.app(scope, receive, held)


def _anonymous(scope) -> bool:
    """Whether the app asks for a login and this request carries no session of a logged-in user."""
    app = scope.get("app")
    if getattr(app, "auth", None) is None:
        return False
    cookies = SimpleCookie()
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            try:
                cookies.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001  (an unreadable cookie is no session)
                return True
    tokens = getattr(app, "tokens", {})
    for key in (f"access-token-{app.cookie_id}", f"access-token-unsecure-{app.cookie_id}"):
        if key in cookies and tokens.get(cookies[key].value) is not None:
            return False
    return True


def _bearer_allowed(scope) -> bool:
    """Whether an API request may pass: the app asks for no login, or it carries the password as its bearer token."""
    auth = getattr(scope.get("app"), "auth", None)
    if auth is None:
        return True
    given = b""
    for name, value in scope.get("headers", []):
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            given = value[7:].strip()
    if not given:
        return False
    token = given.decode("utf-8", "replace")
    if callable(auth):
        return bool(auth("", token))
    return any(hmac.compare_digest(given, str(p).encode("latin-1", "replace")) for p in dict(auth).values())
