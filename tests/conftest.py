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


def write_dev_slice(folder: Path, articles: int) -> tuple[list, set[str], Path]:
    """A fixed slice of the dev set for quality tests: (all questions in the order of a hash of their id,
    the evidence urls taken in that order while they fit in `articles`, those articles as `folder/slice.jsonl`).

    Skips the test when the dev set is not beside the checkout.
    """
    import hashlib
    import json

    from index.parse.fields import canonical_url
    from qa.evaluate.golden import load_golden

    if not (EVAL / "corpus.jsonl").is_file():
        pytest.skip(f"dev set not found at {EVAL}")
    questions = sorted(load_golden(EVAL / "questions.jsonl"), key=lambda q: hashlib.sha1(q.id.encode()).hexdigest())
    picked: set[str] = set()
    for q in questions:
        if q.evidence and len(picked | set(q.evidence)) <= articles:
            picked |= set(q.evidence)
    path = folder / "slice.jsonl"
    with open(EVAL / "corpus.jsonl", encoding="utf-8") as src, open(path, "w", encoding="utf-8") as out:
        out.writelines(line for line in src if canonical_url(json.loads(line)["url"]) in picked)
    return questions, picked, path


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
