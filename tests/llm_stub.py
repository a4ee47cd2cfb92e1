"""A scripted OpenAI-compatible chat server on 127.0.0.1, for exact tests of the generative answerer.

Each request takes the next step of the script: `Reply(tokens)` streams them as
server-sent events (optionally cut off before the end, or as a malformed body),
`Status(code)` answers with an HTTP error, `Stall(seconds)` waits before
answering. Requests are recorded (body and headers) so tests can see what the
model was sent.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    tokens: list[str]
    cut: bool = False  # close the connection mid-stream, with no finish_reason and no [DONE]
    malformed: bool = False  # send a body that is not server-sent chat chunks


@dataclass
class Status:
    code: int
    body: str = '{"error": {"message": "no", "type": "error"}}'


@dataclass
class Stall:
    seconds: float


@dataclass
class Stub:
    script: list = field(default_factory=list)
    requests: list = field(default_factory=list)

    def __enter__(self) -> "Stub":
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
                stub.requests.append({"path": self.path, "body": body, "headers": dict(self.headers)})
                step = stub.script.pop(0) if stub.script else Reply(["Yes"])
                if isinstance(step, Stall):
                    time.sleep(step.seconds)
                    step = Reply(["late"])
                if isinstance(step, Status):
                    data = step.body.encode()
                    self.send_response(step.code)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("connection", "close")
                self.end_headers()
                if step.malformed:
                    self.wfile.write(b"data: {this is not json\n\n")
                    return
                for i, token in enumerate(step.tokens):
                    self.wfile.write(_event(token, None))
                    self.wfile.flush()
                if step.cut:
                    return
                self.wfile.write(_event(None, "stop") + b"data: [DONE]\n\n")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def _event(token: str | None, finish: str | None) -> bytes:
    delta = {"content": token} if token is not None else {}
    chunk = {"id": "stub", "object": "chat.completion.chunk", "created": 0, "model": "stub",
             "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(chunk)}\n\n".encode()
