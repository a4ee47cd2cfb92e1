"""Storage that does not cooperate: a read-only index still answers and reading never writes (searching,
asking, eval and serving need only read access: an index published on a read-only volume, a shared folder,
a container image), and an ingest onto a full disk says so and keeps what was indexed.

The folders are real mounts: a read-only bind mount (the tests run as root, which file modes do not stop,
while a read-only mount stops everyone) and a small tmpfs. Where mounting is not allowed the tests are
skipped with that reason.
"""
from __future__ import annotations

import glob
import hashlib
import json
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from index.errors import IndexUnwritable
from index.ingest import ingest
from index.storage.layout import IndexDir
from qa.retrieve.retriever import Retriever
from tests.conftest import ROOT
from tests.crash_ingest import PLAN, make_corpus


def _files(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def read_only(tmp_path, fake_encoder) -> Path:
    make_corpus(tmp_path / "corpus", 20)
    ingest([tmp_path / "corpus"], tmp_path / "index", fake_encoder, PLAN)
    mount = tmp_path / "published"
    mount.mkdir()
    bound = subprocess.run(["mount", "--bind", str(tmp_path / "index"), str(mount)], capture_output=True, text=True)
    if bound.returncode:
        pytest.skip(f"cannot bind-mount a folder here ({bound.stderr.strip()})")
    try:
        ro = subprocess.run(["mount", "-o", "remount,bind,ro", str(mount)], capture_output=True, text=True)
        if ro.returncode:
            pytest.skip(f"cannot make a mount read-only here ({ro.stderr.strip()})")
        yield mount
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], capture_output=True)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("NEWSDESK_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "tests.fake_cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def test_a_read_only_index_answers_without_a_rebuild(read_only, fake_encoder, caplog):
    copies = set(glob.glob(os.path.join(tempfile.gettempdir(), "newsdesk-keywords-*")))
    with caplog.at_level(logging.WARNING, logger="newsdesk"):
        idx = IndexDir.open(read_only)
        retriever = Retriever(idx, fake_encoder)
        try:
            hits = retriever.search("harbour council budget", k=5)
            fts5 = idx.engines.keywords("fts5").hits(["harbour"], 10)  # the other engine: built in memory
        finally:
            retriever.close()
    assert hits and fts5
    assert not caplog.records, [r.getMessage() for r in caplog.records]  # not "damaged", not rebuilt
    assert set(glob.glob(os.path.join(tempfile.gettempdir(), "newsdesk-keywords-*"))) == copies  # copy removed


def test_search_ask_and_eval_on_a_read_only_index(read_only, tmp_path):
    golden = tmp_path / "golden.jsonl"
    golden.write_text(json.dumps({"id": "q1", "question": "Which council voted on the harbour budget?",
                                  "evidence": []}) + "\n")
    for args in (["search", "harbour council budget"], ["ask", "What did the harbour council decide?"],
                 ["eval", str(golden), "--engines", "tantivy,fts5"]):
        result = _cli(*args, "--index", str(read_only), cwd=tmp_path)
        assert result.returncode == 0 and "error" not in result.stderr, (args, result.stderr)


def test_reading_never_writes_the_store(tmp_path, fake_encoder):
    """search, the other keyword engine, eval: the store's bytes, its format and its generation stay as they
    were (eval --engines tantivy,fts5 once rewrote format_version 3 as 2, and the next open then forgot the
    file hashes of every url-less article)."""
    make_corpus(tmp_path / "corpus", 20)
    index = tmp_path / "index"
    ingest([tmp_path / "corpus"], index, fake_encoder, PLAN)
    before = _files(index)
    golden = tmp_path / "golden.jsonl"
    golden.write_text(json.dumps({"id": "q1", "question": "harbour council", "evidence": []}) + "\n")
    assert _cli("eval", str(golden), "--engines", "tantivy,fts5", "--index", str(index), cwd=tmp_path).returncode == 0
    idx = IndexDir.open(index)
    try:
        Retriever(idx, fake_encoder).search("harbour council budget", k=5)
        idx.engines.keywords("fts5").hits(["harbour"], 10)
    finally:
        idx.close()
    after = _files(index)
    assert {k: v for k, v in after.items() if not k.endswith(("-wal", "-shm"))} == before


@pytest.fixture
def small_disk(tmp_path) -> Path:
    disk = tmp_path / "disk"
    disk.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)], capture_output=True, text=True)
    if made.returncode:
        pytest.skip(f"cannot mount a small disk here ({made.stderr.strip()})")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "--lazy", str(disk)], capture_output=True)


@pytest.mark.parametrize("free_kb", [250, 500, 550, 600, 900])  # the store, tantivy, the vector file, none
def test_an_ingest_onto_a_full_disk_says_so_and_keeps_what_was_indexed(small_disk, tmp_path, fake_encoder, free_kb):
    """Whichever write meets the full disk (the store's transaction, tantivy's commit, the vector file), the
    user hears that the disk is full, and the articles indexed before are still found."""
    make_corpus(tmp_path / "old", 10)
    make_corpus(tmp_path / "new", 40)
    index = small_disk / "index"
    ingest([tmp_path / "old"], index, fake_encoder, PLAN)
    old_ids = {h.doc_id for h in _search(index, fake_encoder)}
    filler = small_disk / "filler"
    free = os.statvfs(small_disk)
    filler.write_bytes(b"\0" * max(0, free.f_bavail * free.f_frsize - free_kb * 1024))
    try:
        ingest([tmp_path / "old", tmp_path / "new"], index, fake_encoder, PLAN)
    except IndexUnwritable as exc:
        assert "disk" in str(exc) and "full" in str(exc), str(exc)
    filler.unlink()
    assert old_ids and old_ids <= {h.doc_id for h in _search(index, fake_encoder, k=100)}


def _search(index: Path, encoder, k: int = 5):
    idx = IndexDir.open(index)
    try:
        return Retriever(idx, encoder).search("harbour council budget", k=k)
    finally:
        idx.close()
