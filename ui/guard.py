"""With a password, nothing of the app reaches a client before it logs in.

Gradio's login page (`/`, `/?view=api`, `/?all_endpoints=true`, `/gradio_api/runs`) embeds the
description of the app's API (`window.gradio_api_info`: the /ask endpoint, its parameters) even
for a client that has not logged in. `LoginGuard`, an ASGI middleware given to the app when it is
created, empties that description in pages served to a client without a valid session, and
answers FastAPI's own schema routes with 404 (they are switched off too). A logged-in client, or
a server without a password, gets every response unchanged. No gradio import: it reads gradio's
session cookie against the app's sessions (`app.auth`, `app.cookie_id`, `app.tokens`).
"""
from __future__ import annotations

import re
from http.cookies import SimpleCookie

API_INFO = re.compile(rb"window\.gradio_api_info = .*?;</script>", re.DOTALL)
SCHEMA_PATHS = ("/openapi.json", "/docs", "/redoc")


class LoginGuard:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not _anonymous(scope):
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
