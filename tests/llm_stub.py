"""A scripted OpenAI-compatible chat server on 127.0.0.1, for exact tests of the generative answerer.

Each request takes the next step of the script: `Reply(tokens)` streams them as
server-sent events (optionally after reasoning deltas, with a finish reason of
its own, slowly, repeated, cut off before the end, or as a malformed body),
`Whole(body)` answers with one body whatever was asked (a JSON completion to a
streaming request, a web page, plain text), `Status(code)` answers with an HTTP
error, `Stall(seconds)` waits before answering. Requests are recorded (body and
headers) so tests can see what the model was sent.
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
    finish: str = "stop"
    reasoning: list[str] = field(default_factory=list)  # deltas sent before the tokens, in `reasoning_field`
    reasoning_field: str = "reasoning_content"
    delay: float = 0.0  # seconds before each token
    repeat: int = 1  # the tokens sent this many times over (a reply that does not stop)


@dataclass
class Whole:
    body: str
    content_type: str = "application/json"
    status: int = 200


@dataclass
class Status:
    code: int
    body: str = '{"error": {"message": "no", "type": "error"}}'
    content_type: str = "application/json"


@dataclass
class Stall:
    seconds: float


def completion(content: str | None, reasoning: str | None = None, finish: str = "stop") -> str:
    """A whole (non-streamed) chat completion as a server sends it."""
    message = {"role": "assistant", "content": content} | ({"reasoning_content": reasoning} if reasoning else {})
    return json.dumps({"id": "stub", "object": "chat.completion", "created": 0, "model": "stub",
                       "choices": [{"index": 0, "message": message, "finish_reason": finish}]})


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
                try:
                    if isinstance(step, Status):
                        self._whole(step.code, step.body, step.content_type)
                    elif isinstance(step, Whole):
                        self._whole(step.status, step.body, step.content_type)
                    else:
                        self._events(step)
                except (BrokenPipeError, ConnectionResetError):  # the client stopped reading, as it may
                    pass

            def _whole(self, status: int, text: str, content_type: str) -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _events(self, step: Reply) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("connection", "close")
                self.end_headers()
                if step.malformed:
                    self.wfile.write(b"data: {this is not json\n\n")
                    return
                for thought in step.reasoning:
                    self.wfile.write(_event({step.reasoning_field: thought}, None))
                    self.wfile.flush()
                for _ in range(step.repeat):
                    for token in step.tokens:
                        if step.delay:
                            time.sleep(step.delay)
                        self.wfile.write(_event({"content": token}, None))
                        self.wfile.flush()
                if step.cut:
                    return
                self.wfile.write(_event({}, step.finish) + b"data: [DONE]\n\n")

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


def _event(delta: dict, finish: str | None) -> bytes:
    chunk = {"id": "stub", "object": "chat.completion.chunk", "created": 0, "model": "stub",
             "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(chunk)}\n\n".encode()
