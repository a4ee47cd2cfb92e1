"""Shared fixtures. No test may reach the network: sockets to anything but loopback fail."""
from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

import index  # noqa: F401  (Hugging Face offline before anything imports it)

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
EVAL = ROOT.parent / "shared" / "eval" / "multihop-rag"


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (host.startswith("127.") or host in ("localhost", "::1") or host.startswith("/")):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def seeds_copy(tmp_path) -> Path:
    dest = tmp_path / "articles"
    shutil.copytree(SEEDS, dest)
    for f in dest.iterdir():
        f.chmod(0o644)
    return dest


@pytest.fixture
def fake_encoder():
    from tests.fakes import HashingEncoder

    return HashingEncoder()


@pytest.fixture(scope="session")
def real_encoder():
    from index.embed import Encoder

    return Encoder()
