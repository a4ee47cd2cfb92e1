"""Crash safety: an ingest SIGKILLed at any moment leaves an index that opens, answers, holds
no partial document, and that a re-run brings to exactly the state of an uninterrupted ingest.
The derived files are covered too: vectors.faiss, and the tantivy keyword index (keywords/,
keywords.json), which after a kill is caught up with the store at open and afterwards holds
exactly the stored chunks, at the store's generation.

The ingest runs in a subprocess (`tests/crash_ingest.py`, fake encoder) over a few hundred
small JSONL files (several commit batches); each run is killed a random time after its
imports are done, within the time a whole ingest takes. Half the runs start from an empty
index, half from a finished index while files are being edited (deletes and re-inserts).
"""
from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.chunk import chunk_document
from index.errors import IndexMissing
from index.storage.layout import IndexDir
from qa.retrieve.retriever import Retriever
from tests.conftest import ROOT
from tests.crash_ingest import PLAN, make_corpus
from tests.fakes import HashingEncoder

KILLS = 20
FILES = 300  # 900 articles, 3,600 chunks: four commit batches


def _driver(corpus: Path, index: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "tests.crash_ingest", str(corpus), str(index)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _ingest(corpus: Path, index: Path) -> float:
    """An uninterrupted ingest; returns the seconds it took after imports."""
    proc = _driver(corpus, index)
    assert proc.stdout.readline().strip() == "ready"
    start = time.monotonic()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return time.monotonic() - start


def _killed(corpus: Path, index: Path, delay: float) -> int | None:
    """Run an ingest and SIGKILL it `delay` s after it is ready; its exit status (None if killed)."""
    proc = _driver(corpus, index)
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    return None if proc.returncode == -signal.SIGKILL else proc.returncode


def _state(index: Path, corpus: Path) -> dict:
    """What a user could tell apart: documents and their hashes, chunk ids, files (by name) and vector count."""
    idx = IndexDir.open(index)
    try:
        db = idx.store._db
        chunks = sorted(i for (i,) in db.execute("SELECT chunk_id FROM chunks"))
        files = sorted((Path(p).relative_to(corpus.resolve()).as_posix(), h) for p, h in idx.store.file_hashes().items())
        docs = {d: h for d, (h, *_) in idx.store.doc_hashes().items()}
        keywords = idx.engines.keywords("tantivy")
        assert keywords.generation == idx.store.generation(), "the keyword index is behind the store"
        return {"docs": docs, "chunks": chunks, "files": files, "vectors": len(idx.engines.vectors()),
                "keywords": sorted(keywords.indexed())}
    finally:
        idx.close()


def _check_consistent(index: Path, encoder: HashingEncoder) -> int:
    """Opens, searches, and every stored document has exactly the chunks chunking it again gives."""
    idx = IndexDir.open(index)
    try:
        store = idx.store
        counts = store.counts()
        assert len(idx.engines.vectors()) == counts["chunks"]
        stored: dict[str, set[int]] = {}
        for chunk_id, doc_id in store._db.execute("SELECT chunk_id, doc_id FROM chunks"):
            stored.setdefault(doc_id, set()).add(chunk_id)
        for doc_id in store.doc_hashes():
            doc = store.document(doc_id)
            expected = {c.chunk_id for c in chunk_document(doc, encoder.tokenizer, PLAN.chunk, encoder.max_tokens)}
            assert stored.pop(doc_id, set()) == expected, f"{doc_id} is stored with a partial set of chunks"
        assert not stored, "chunks without a document"
        keywords = idx.engines.keywords("tantivy")  # caught up at open when the kill left it behind
        assert set(keywords.indexed()) == {i for (i,) in store._db.execute("SELECT chunk_id FROM chunks")}
        assert all(doc_id in store.doc_hashes() for _, doc_id, _ in keywords.hits(["harbour", "council"], 50, None,
                                                                                  (1.0, 1.0, 1.0)))
        if counts["documents"]:
            hits = Retriever(idx, encoder).search("harbour council budget", k=3)
            assert hits and all(h.text for h in hits)
        return counts["documents"]
    finally:
        idx.close()


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    """Corpus v1 and its edit v2, with the reference states of uninterrupted ingests."""
    base = tmp_path_factory.mktemp("crash")
    v1, v2 = base / "v1", base / "v2"
    make_corpus(v1, FILES)
    make_corpus(v2, FILES, edit=True)
    fresh = base / "run" / "corpus"
    shutil.copytree(v1, fresh)
    seconds = {"v1": _ingest(fresh, base / "run" / "index")}
    finished_v1 = base / "index-v1"
    shutil.copytree(base / "run" / "index", finished_v1)
    expected_v1 = _state(base / "run" / "index", fresh)
    shutil.rmtree(fresh)
    shutil.copytree(v2, fresh)
    seconds["v2"] = _ingest(fresh, base / "run" / "index")
    expected_v2 = _state(base / "run" / "index", fresh)
    assert expected_v1 != expected_v2 and len(expected_v2["docs"]) < len(expected_v1["docs"])
    return {"v1": v1, "v2": v2, "index-v1": finished_v1, "expected": {"v1": expected_v1, "v2": expected_v2},
            "seconds": seconds, "base": base, "built_at": fresh}


def test_sigkill_at_random_moments_never_corrupts_and_rerun_converges(corpora):
    encoder = HashingEncoder()
    rng = random.Random(6)
    outcomes = []
    for run in range(KILLS):
        scenario = "v1" if run % 2 == 0 else "v2"
        work = corpora["base"] / f"kill-{run}"
        corpus, index = work / "corpus", work / "index"
        shutil.copytree(corpora[scenario], corpus)
        if scenario == "v2":  # an index made from v1 at this same path, then the files are edited
            shutil.copytree(corpora["index-v1"], index)
            _move_files(index, corpora["built_at"], corpus)
        delay = rng.uniform(0, corpora["seconds"][scenario])
        status = _killed(corpus, index, delay)
        assert status in (None, 0), f"run {run}: the ingest failed on its own with status {status}"
        try:
            docs = _check_consistent(index, encoder)
        except IndexMissing as exc:  # killed before the first commit: said plainly, nothing lost
            assert "newsdesk ingest" in str(exc) and scenario == "v1"
            docs = 0
        outcomes.append((scenario, round(delay, 3), "killed" if status is None else "finished", docs))
        _ingest(corpus, index)
        _check_consistent(index, encoder)
        assert _state(index, corpus) == corpora["expected"][scenario], f"run {run} ({scenario}, {delay:.3f} s)"
        shutil.rmtree(work)
    print("\n".join(f"{s} kill after {d:.3f} s: {o}, {n} documents intact" for s, d, o, n in outcomes))
    killed = [o for o in outcomes if o[2] == "killed"]
    assert len(killed) >= KILLS // 2, "most runs should be killed mid-ingest"
    assert any(0 < n < len(corpora["expected"]["v1"]["docs"]) for s, _, o, n in outcomes if s == "v1" and o == "killed"), \
        "no kill landed between commit batches"


def _move_files(index: Path, old_root: Path, new_root: Path) -> None:
    """Point a copied index's file rows at `new_root` (as if it had been built there)."""
    import sqlite3

    db = sqlite3.connect(index / "newsdesk.sqlite")
    with db:
        old, new = str(old_root.resolve()), str(new_root.resolve())
        db.execute("UPDATE files SET path = ? || substr(path, ?), root = ? WHERE root = ?", (new, len(old) + 1, new, old))
        db.execute("UPDATE documents SET file = ? || substr(file, ?) WHERE file LIKE ? || '/%'", (new, len(old) + 1, old))
    db.close()
