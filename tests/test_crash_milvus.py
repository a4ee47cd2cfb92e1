"""Crash safety of the Milvus write protocol: an ingest with backend: milvus SIGKILLed at random moments,
against a milvus-lite server on 127.0.0.1 (`tests/milvus_server.py`).

After every kill, before anything repairs it, every stored document has all its passages in Milvus (they
go in before the store commits) and no search returns a passage the store does not hold; the next open
then leaves Milvus holding exactly the store's chunks, and a re-run converges on the uninterrupted
ingest's state. Runs alternate between a first ingest and an edit of a finished index (deletes and
re-inserts), as tests/test_crash.py does locally.
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

from index.errors import IndexMissing
from index.storage.layout import IndexDir
from index.engines.milvus import MilvusEngines
from index.engines.milvus.collection import MilvusIndex
from index.engines.milvus.rows import MilvusTarget
from qa.retrieve.retriever import Retriever
from tests.conftest import ROOT
from tests.crash_ingest import make_corpus
from tests.fakes import HashingEncoder
from tests.milvus_server import milvus_server  # noqa: F401  (the fixture)

KILLS = 6
FILES = 200  # 600 articles, about 2,400 chunks: three commit batches


def _run(corpus: Path, index: Path, target: MilvusTarget, kill_after: float | None = None) -> tuple[int | None, float]:
    """An ingest into `target`, SIGKILLed `kill_after` s after it is ready; (exit status or None, seconds)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "tests.crash_ingest", str(corpus), str(index), target.uri,
                             target.collection], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "ready"
    start = time.monotonic()
    if kill_after is not None:
        time.sleep(kill_after)
        proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=300)
    if proc.returncode == -signal.SIGKILL:
        return None, time.monotonic() - start
    assert proc.returncode == 0, err
    return 0, time.monotonic() - start


def _state(index: Path, corpus: Path) -> dict:
    idx = IndexDir.open(index)
    try:
        files = sorted((Path(p).relative_to(corpus.resolve()).as_posix(), h) for p, h in idx.store.file_hashes().items())
        return {"docs": {d: h for d, (h, *_) in idx.store.doc_hashes().items()}, "chunks": idx.store.chunk_stamps(),
                "files": files}
    finally:
        idx.close()


def _check_before_repair(index: Path, target: MilvusTarget, encoder: HashingEncoder) -> tuple[int, int]:
    """What a reader could see right after the kill: (stored documents, Milvus rows the store does not hold)."""
    idx = IndexDir.open(index)
    try:
        stored = set(idx.store.chunk_stamps())
        if idx.dim is None:
            return 0, 0
        idx.engines.close()
        idx.engines = MilvusEngines(target, idx.store, idx.path)
        collection = idx.engines._collection = MilvusIndex(target, idx.store, idx.dim)  # no catch-up: as the kill left it
        rows = set(collection.indexed())
        assert stored <= rows, f"{len(stored - rows)} stored passages are not in Milvus: a document without passages"
        hits = Retriever(idx, encoder).search("harbour council budget", k=10)
        assert all(h.chunk_id in stored and h.text for h in hits), "a hit whose passage the store does not hold"
        found = collection.hits_many([(["harbour", "council"], 200)], None, (1.0, 1.0, 1.0))[0]
        assert {i for i, _, _ in found} <= stored
        return idx.store.counts()["documents"], len(rows - stored)
    finally:
        idx.close()


def _check_repaired(index: Path, target: MilvusTarget) -> None:
    idx = IndexDir.open(index, backend=target)
    try:
        assert idx.engines.collection().indexed() == idx.store.chunk_stamps(), "Milvus does not hold exactly the stored chunks"
    finally:
        idx.close()


@pytest.fixture(scope="module")
def corpora(tmp_path_factory, milvus_server):
    base = tmp_path_factory.mktemp("crash-milvus")
    v1, v2 = base / "v1", base / "v2"
    make_corpus(v1, FILES)
    make_corpus(v2, FILES, edit=True)
    fresh, index = base / "run" / "corpus", base / "run" / "index"
    shutil.copytree(v1, fresh)
    target = MilvusTarget(uri=milvus_server.uri, collection="crash_reference")
    seconds = {"v1": _run(fresh, index, target)[1]}
    expected = {"v1": _state(index, fresh)}
    shutil.rmtree(fresh)
    shutil.copytree(v2, fresh)
    seconds["v2"] = _run(fresh, index, target)[1]
    expected["v2"] = _state(index, fresh)
    return {"v1": v1, "v2": v2, "base": base, "expected": expected, "seconds": seconds}


def test_sigkill_during_milvus_ingests_never_shows_a_document_without_passages(corpora, milvus_server):
    encoder = HashingEncoder()
    rng = random.Random(17)
    outcomes = []
    for run in range(KILLS):
        scenario = "v1" if run % 2 == 0 else "v2"
        target = MilvusTarget(uri=milvus_server.uri, collection=f"crash_{run}")
        work = corpora["base"] / f"kill-{run}"
        corpus, index = work / "corpus", work / "index"
        shutil.copytree(corpora["v1"], corpus)
        if scenario == "v2":  # a finished index of v1 in this run's collection, then the files are edited
            _run(corpus, index, target)
            shutil.rmtree(corpus)
            shutil.copytree(corpora["v2"], corpus)
        delay = rng.uniform(0.1, 0.8 * corpora["seconds"][scenario])  # inside the ingest, which varies on a busy machine
        status, _ = _run(corpus, index, target, kill_after=delay)
        try:
            docs, orphans = _check_before_repair(index, target, encoder)
            _check_repaired(index, target)
        except IndexMissing:  # killed before the first commit: said plainly, nothing lost
            assert scenario == "v1"
            docs, orphans = 0, 0
        outcomes.append((scenario, delay, "killed" if status is None else "finished", docs, orphans))
        _run(corpus, index, target)
        _check_repaired(index, target)
        assert _state(index, corpus) == corpora["expected"][scenario], f"run {run} ({scenario}, {delay:.3f} s)"
        shutil.rmtree(work)
    print(f"uninterrupted: v1 {corpora['seconds']['v1']:.1f} s, v2 {corpora['seconds']['v2']:.1f} s")
    print("\n".join(f"{s} kill after {d:.2f} s: {o}, {n} documents intact, {r} Milvus rows ahead of the store "
                    "(deleted at the next open)" for s, d, o, n, r in outcomes))
    assert sum(o[2] == "killed" for o in outcomes) >= KILLS // 2, "most runs should be killed mid-ingest"
