"""A milvus-lite server for the Milvus backend's tests: `milvus-lite server` on a free 127.0.0.1 port.

It speaks the Milvus gRPC protocol, so newsdesk's client code is the one a cluster gets. The tests that
use it are skipped, with the reason, only where pymilvus or milvus-lite cannot be imported (CI installs
both: the `test` extra).
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

START_TIMEOUT_S = 60


def _missing() -> str | None:
    try:
        import milvus_lite  # noqa: F401
        import pymilvus  # noqa: F401
        import snowballstemmer  # noqa: F401
    except ImportError as exc:
        return f"pymilvus, milvus-lite or snowballstemmer is not installed ({exc}): pip install 'newsdesk[milvus]'"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MilvusServer:
    """One server process over `data`; `kill` and `start` again keep its files (a restart after kill -9)."""

    def __init__(self, data: Path) -> None:
        self.data, self.port = data, _free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        exe = shutil.which("milvus-lite", path=os.path.dirname(sys.executable)) or "milvus-lite"
        self.proc = subprocess.Popen([exe, "server", "--data-dir", str(self.data), "--host", "127.0.0.1",
                                      "--port", str(self.port), "--max-workers", "4"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        from pymilvus import MilvusClient

        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                client = MilvusClient(uri=self.uri, timeout=2)
                client.list_collections()
                client.close()
                return
            except Exception:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"milvus-lite server did not start on {self.uri}")
                time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


@pytest.fixture(scope="session")
def milvus_server(tmp_path_factory):
    reason = _missing()
    if reason:
        pytest.skip(reason)
    server = MilvusServer(tmp_path_factory.mktemp("milvus") / "data")
    server.start()
    yield server
    server.stop()
