"""Incremental ingest with the fake encoder: add, edit, delete, re-ingest; nothing duplicated or lost."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.chunk import ChunkPlan
from index.errors import IndexBusy, IndexMismatch, IndexMissing
from index.ingest import IngestRun, ingest
from index.storage.layout import IndexDir, write_lock
from qa.retrieve.retriever import Retriever
from index.settings import IndexSettings

PLAN = IndexSettings(chunk=ChunkPlan(max_tokens=64, overlap_tokens=8))


def _article(n: int, body: str | None = None) -> dict:
    return {"url": f"https://news.example/{n}", "title": f"Story {n}", "source": "Example Times",
            "published_at": f"2023-10-{n:02d} 08:00:00.000000000Z", "category": "tech",
            "body": body or f"Article {n} reports on subject{n}. " * 30}


def _write(folder: Path, name: str, articles: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("".join(json.dumps(a) + "\n" for a in articles))
    return path


def _state(index_dir: Path) -> tuple[dict, int, int]:
    idx = IndexDir.open(index_dir)
    try:
        docs = {d: h for d, (h, *_) in idx.store.doc_hashes().items()}
        return docs, idx.store.counts()["chunks"], len(idx.engines.vectors())
    finally:
        idx.close()


def test_add_edit_delete_and_unchanged(tmp_path, fake_encoder):
    src, idx = tmp_path / "src", tmp_path / "index"
    _write(src, "a.jsonl", [_article(1), _article(2)])
    _write(src, "b.jsonl", [_article(3)])
    r = ingest([src], idx, fake_encoder, PLAN)
    assert (r.added, r.updated, r.unchanged, r.removed) == (3, 0, 0, 0)
    docs, chunks, vectors = _state(idx)
    assert len(docs) == 3 and chunks == vectors > 3

    fake_encoder.encoded.clear()
    r = ingest([src], idx, fake_encoder, PLAN)
    assert (r.added, r.updated, r.unchanged, r.removed) == (0, 0, 3, 0)
    assert fake_encoder.encoded == []  # nothing re-embedded
    assert _state(idx) == (docs, chunks, vectors)

    _write(src, "a.jsonl", [_article(1, "A rewritten body about elections. " * 20)])  # 1 edited, 2 dropped
    r = ingest([src], idx, fake_encoder, PLAN)
    assert (r.added, r.updated, r.unchanged, r.removed) == (0, 1, 1, 1)
    docs2, chunks2, vectors2 = _state(idx)
    assert set(docs2) == {"https://news.example/1", "https://news.example/3"}
    assert chunks2 == vectors2

    (src / "b.jsonl").unlink()
    r = ingest([src], idx, fake_encoder, PLAN)  # without --sync nothing is removed
    assert r.removed == 0 and len(_state(idx)[0]) == 2
    r = ingest([src], idx, fake_encoder, PLAN, IngestRun(sync=True))
    assert r.removed == 1
    docs3, chunks3, vectors3 = _state(idx)
    assert set(docs3) == {"https://news.example/1"} and chunks3 == vectors3


def test_search_finds_edited_text_not_stale_text(tmp_path, fake_encoder):
    src, idx = tmp_path / "src", tmp_path / "index"
    _write(src, "a.jsonl", [_article(1, "Penguins migrate across the ice shelf. " * 10), _article(2)])
    ingest([src], idx, fake_encoder, PLAN)
    _write(src, "a.jsonl", [_article(1, "Volcanoes erupt near the coast. " * 10), _article(2)])
    ingest([src], idx, fake_encoder, PLAN)
    retriever = Retriever(IndexDir.open(idx), fake_encoder)
    hits = retriever.search("penguins ice shelf", k=10)
    assert all("Penguins" not in h.text for h in hits)
    top = retriever.search("volcanoes erupt coast", k=1)[0]
    assert top.doc_id == "https://news.example/1" and "Volcanoes" in top.text


def test_identical_passages_are_embedded_once(tmp_path, fake_encoder):
    body = "The same syndicated paragraph appears in many outlets. " * 8
    src = tmp_path / "src"
    _write(src, "a.jsonl", [dict(_article(1, body), title="Same"), dict(_article(2, body), title="Same")])
    r = ingest([src], tmp_path / "index", fake_encoder, PLAN)
    assert r.chunks == 2 * r.embedded
    assert len(fake_encoder.encoded) == r.embedded


def test_broken_file_keeps_what_was_indexed(tmp_path, fake_encoder):
    src, idx = tmp_path / "src", tmp_path / "index"
    path = _write(src, "a.jsonl", [_article(1)])
    ingest([src], idx, fake_encoder, PLAN)
    path.write_bytes(b"\x00\x01binary garbage\x00")
    r = ingest([src], idx, fake_encoder, PLAN, IngestRun(sync=True))
    assert len(r.errors) == 1 and "a.jsonl" in str(r.errors[0])
    assert set(_state(idx)[0]) == {"https://news.example/1"}


def test_duplicate_url_across_files_is_kept_once(tmp_path, fake_encoder):
    src = tmp_path / "src"
    _write(src, "a.jsonl", [_article(1)])
    _write(src, "b.jsonl", [_article(1, "Another copy of the same url. " * 5)])
    r = ingest([src], tmp_path / "index", fake_encoder, PLAN)
    assert r.added == 1 and len(r.warnings) == 1 and "duplicate" in r.warnings[0]


def test_stale_vector_file_is_rebuilt_from_the_store(tmp_path, fake_encoder):
    src, idx = tmp_path / "src", tmp_path / "index"
    _write(src, "a.jsonl", [_article(1), _article(2)])
    ingest([src], idx, fake_encoder, PLAN)
    (idx / "manifest.json").unlink()  # as if the process died after the store commit
    docs, chunks, vectors = _state(idx)
    assert chunks == vectors > 0
    hits = Retriever(IndexDir.open(idx), fake_encoder).search("subject2", k=1)
    assert hits[0].doc_id == "https://news.example/2"


def test_model_mismatch_and_missing_index(tmp_path, fake_encoder):
    src, idx = tmp_path / "src", tmp_path / "index"
    _write(src, "a.jsonl", [_article(1)])
    ingest([src], idx, fake_encoder, PLAN)
    with pytest.raises(IndexMismatch) as err:
        IndexDir.open(idx, "all-MiniLM-L6-v2")
    assert "fake-hashing" in str(err.value) and "all-MiniLM-L6-v2" in str(err.value) and "--rebuild" in str(err.value)
    with pytest.raises(IndexMissing, match="newsdesk ingest"):
        IndexDir.open(tmp_path / "nowhere")


def test_rebuild_swaps_in_a_fresh_index(tmp_path, fake_encoder):
    src, idx = tmp_path / "src", tmp_path / "index"
    _write(src, "a.jsonl", [_article(1), _article(2)])
    ingest([src], idx, fake_encoder, PLAN)
    _write(src, "a.jsonl", [_article(2)])
    r = ingest([src], idx, fake_encoder, PLAN, IngestRun(rebuild=True))
    assert r.added == 1 and set(_state(idx)[0]) == {"https://news.example/2"}
    assert not list(tmp_path.glob("index.*"))


def test_second_writer_fails_clearly(tmp_path, fake_encoder):
    src, idx = tmp_path / "src", tmp_path / "index"
    _write(src, "a.jsonl", [_article(1)])
    with write_lock(idx):
        with pytest.raises(IndexBusy, match="being written"):
            ingest([src], idx, fake_encoder, PLAN)


def test_filters(tmp_path, fake_encoder):
    from index.document import Filters

    src, idx = tmp_path / "src", tmp_path / "index"
    arts = [_article(1), dict(_article(2), source="Other Post"), _article(20)]
    _write(src, "a.jsonl", arts)
    ingest([src], idx, fake_encoder, PLAN)
    r = Retriever(IndexDir.open(idx), fake_encoder)
    assert {h.outlet for h in r.search("article reports", k=20, filters=Filters(outlets=("other post",)))} == {"Other Post"}
    hits = r.search("article reports", k=20, filters=Filters(date_from="2023-10-02", date_to="2023-10-19"))
    assert {h.doc_id for h in hits} == {"https://news.example/2"}


def test_full_article_takes_over_a_related_stub_from_another_file(tmp_path, fake_encoder):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.yaml").write_text(
        "---\ntitle: Parent story\nexcerpt: The parent excerpt about harbours.\nwebUrl: https://news.example/parent\n"
        "related:\n  - title: Stub title\n    excerpt: A short stub excerpt.\n    webUrl: https://news.example/9\n---\n")
    _write(src, "b.jsonl", [_article(9, "The full article body about harbours and ships. " * 5)])
    r = ingest([src], tmp_path / "index", fake_encoder, PLAN)
    assert r.added == 2 and not r.warnings
    idx = IndexDir.open(tmp_path / "index")
    assert idx.store.document("https://news.example/9").kind == "article"
    r = ingest([src], tmp_path / "index", fake_encoder, PLAN)
    assert (r.added, r.updated, r.unchanged) == (0, 0, 2)


def test_one_big_file_is_committed_in_pieces_and_resumes_after_a_crash(tmp_path, fake_encoder, monkeypatch):
    from index.ingest import writer as ingest_module

    monkeypatch.setattr(ingest_module, "BATCH_CHUNKS", 8)
    src, idx = tmp_path / "src", tmp_path / "index"
    _write(src, "all.jsonl", [_article(n) for n in range(1, 13)])
    real_encode, calls = fake_encoder.encode, []

    def dying_encode(texts, progress=None):
        calls.append(len(texts))
        if len(calls) == 3:
            raise KeyboardInterrupt  # as if the user pressed Ctrl-C mid-file
        return real_encode(texts, progress)

    monkeypatch.setattr(fake_encoder, "encode", dying_encode)
    with pytest.raises(KeyboardInterrupt):
        ingest([src], idx, fake_encoder, PLAN)
    docs, chunks, vectors = _state(idx)
    assert 0 < len(docs) < 12 and chunks == vectors  # the first pieces are kept, whole
    monkeypatch.setattr(fake_encoder, "encode", real_encode)
    r = ingest([src], idx, fake_encoder, PLAN)
    assert r.unchanged == len(docs) and r.added == 12 - len(docs)
    docs2, chunks2, vectors2 = _state(idx)
    assert len(docs2) == 12 and chunks2 == vectors2
