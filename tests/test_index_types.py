"""Vector index types: chosen by size, converted from stored vectors without re-embedding."""
from __future__ import annotations

import json

import numpy as np
import pytest

from index.engines import faiss_store
from index.chunk import ChunkPlan
from index.errors import ConfigError
from index.engines.faiss_store import IndexSpec, VectorIndex, choose_spec
from index.ingest import ingest
from index.storage.layout import IndexDir
from qa.retrieve.retriever import Retriever
from tests.test_ingest import _article, _write
from index.settings import IndexSettings

PLAN = IndexSettings(chunk=ChunkPlan(max_tokens=64, overlap_tokens=0))


def test_choice_by_size():
    assert choose_spec(10_000).kind == "flat"
    big = choose_spec(1_000_000)
    assert big.kind == "ivf-sq8" and big.nlist == 4096 and big.nprobe == 64
    assert choose_spec(10, "ivf-sq8").nlist == 64
    assert choose_spec(10**7, "flat").kind == "flat"
    with pytest.raises(ConfigError, match="hnsw"):
        choose_spec(10, "hnsw")


def test_ivf_matches_exact_search_on_clustered_vectors():
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(50, 32)).astype(np.float32)
    data = centers[rng.integers(0, 50, 5000)] + 0.3 * rng.normal(size=(5000, 32)).astype(np.float32)
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    ids = np.arange(5000, dtype=np.int64) * 7 + 3
    flat, ivf = VectorIndex(32), VectorIndex(32, IndexSpec("ivf-sq8", 64, 16))
    ivf.train(data)
    for v in (flat, ivf):
        v.add(ids, data)
    agree = []
    for q in data[:50]:
        exact = {i for i, _ in flat.search(q, 10)}
        agree.append(len(exact & {i for i, _ in ivf.search(q, 10)}) / 10)
    assert np.mean(agree) >= 0.95
    assert ivf.memory_bytes() < flat.memory_bytes() / 2
    allowed = ids[:100]
    assert {i for i, _ in ivf.search(data[0], 10, allowed)} <= set(allowed.tolist())


def test_switching_type_rebuilds_from_stored_vectors(tmp_path, fake_encoder, monkeypatch):
    src, idx = tmp_path / "src", tmp_path / "index"
    _write(src, "a.jsonl", [_article(n) for n in range(1, 29)])
    ingest([src], idx, fake_encoder, PLAN)
    assert json.loads((idx / "manifest.json").read_text())["index"] == {"kind": "flat"}

    fake_encoder.encoded.clear()
    ingest([src], idx, fake_encoder, IndexSettings(chunk=PLAN.chunk, index_type="ivf-sq8"))
    assert fake_encoder.encoded == []  # converted, not re-embedded
    manifest = json.loads((idx / "manifest.json").read_text())
    assert manifest["index"]["kind"] == "ivf-sq8" and manifest["index"]["nlist"] == 64
    hit = Retriever(IndexDir.open(idx), fake_encoder).search("subject17", k=1)[0]
    assert hit.doc_id == "https://news.example/17"

    _write(src, "a.jsonl", [_article(n) for n in range(1, 20)])  # edits under IVF: removals work
    ingest([src], idx, fake_encoder, PLAN)
    opened = IndexDir.open(idx)
    assert len(opened.engines.vectors()) == opened.store.counts()["chunks"]
    assert opened.engines.vectors().spec.kind == "ivf-sq8"


def test_auto_converts_when_the_corpus_crosses_the_threshold(tmp_path, fake_encoder, monkeypatch):
    src, idx = tmp_path / "src", tmp_path / "index"
    _write(src, "a.jsonl", [_article(n) for n in range(1, 5)])
    ingest([src], idx, fake_encoder, PLAN)
    monkeypatch.setattr(faiss_store, "IVF_THRESHOLD", 50)
    _write(src, "b.jsonl", [_article(n) for n in range(5, 25)])
    ingest([src], idx, fake_encoder, PLAN)
    assert json.loads((idx / "manifest.json").read_text())["index"]["kind"] == "ivf-sq8"
