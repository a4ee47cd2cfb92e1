"""The Milvus backend (`backend: milvus`) against a milvus-lite server the tests start on 127.0.0.1: the
collection holds exactly the store's chunks through ingests, edits, removals and a switch from a local
index; filters run inside Milvus; hits whose chunk the store does not hold are never shown, and the next
open deletes them (fake encoder, exact)."""
from __future__ import annotations

import json
import uuid
from pathlib import Path

import numpy as np
import pytest

from index.chunk import ChunkPlan
from index.errors import ConfigError
from index.ingest import ingest
from index.storage.layout import IndexDir
from index.engines.milvus.rows import MilvusTarget
from index.engines.milvus.rows import analyze, expression, rows_of
from index.document import Filters
from qa.config import Config, _validated
from qa.retrieve.retriever import Retriever
from tests.milvus_server import milvus_server  # noqa: F401  (the fixture)
from index.settings import IndexSettings

PLAN = IndexSettings(chunk=ChunkPlan(max_tokens=64, overlap_tokens=8))
ARTICLES = [(0, "Harbour vote", "The harbour council voted on the budget", "Example Times", ["politics"]),
            (1, "Rail strike", "Rail workers strike over pay in the capital", "Daily Planet", ["labour"]),
            (2, "Vaccine rollout", "The vaccine rollout reaches rural clinics", "Example Times", ["health"]),
            (3, "Drought export", "A drought cuts grain exports and raises tariffs", "Quote \"Weekly\"", [])]


def _write(src: Path, articles) -> Path:
    src.mkdir(exist_ok=True)
    rows = [{"url": f"https://n.example/{n}", "title": title, "source": outlet, "body": f"{body}. " * 8,
             "published_at": None if n == 3 else f"2023-10-{n + 1:02d}", "topics": topics}
            for n, title, body, outlet, topics in articles]
    (src / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return src


@pytest.fixture
def target(milvus_server) -> MilvusTarget:
    return MilvusTarget(uri=milvus_server.uri, collection=f"t_{uuid.uuid4().hex[:12]}")


def _rows(idx: IndexDir) -> dict[int, int]:
    return idx.engines.collection().indexed()


def _stored(idx: IndexDir) -> dict[int, int]:
    return idx.store.chunk_stamps()


def _urls(hits) -> list[str]:
    return [h.doc_id for h in hits]


def test_ingest_edit_and_remove_keep_the_collection_equal_to_the_store(tmp_path, fake_encoder, target):
    src = _write(tmp_path / "src", ARTICLES)
    ingest([src], tmp_path / "idx", fake_encoder, IndexSettings(chunk=PLAN.chunk, backend=target))
    idx = IndexDir.open(tmp_path / "idx", backend=target)
    try:
        assert _rows(idx) == _stored(idx) and len(_stored(idx)) >= 4
        assert not (tmp_path / "idx" / "vectors.faiss").exists(), "milvus mode keeps no local vector file"
        hits = Retriever(idx, fake_encoder).search("rail workers strike", k=2)
        assert hits[0].doc_id == "https://n.example/1" and "strike" in hits[0].text
    finally:
        idx.close()
    _write(src, [ARTICLES[0], (1, "Rail strike ends", "Rail workers end their strike", "Daily Planet", []), ARTICLES[3]])
    ingest([src], tmp_path / "idx", fake_encoder, IndexSettings(chunk=PLAN.chunk, backend=target))
    idx = IndexDir.open(tmp_path / "idx", backend=target)
    try:
        assert _rows(idx) == _stored(idx)
        retriever = Retriever(idx, fake_encoder)
        assert "https://n.example/2" not in _urls(retriever.search("vaccine rollout rural clinics", k=5))
        assert "end their strike" in retriever.search("rail strike ends", k=1)[0].text
    finally:
        idx.close()


def test_filters_run_inside_milvus(tmp_path, fake_encoder, target):
    ingest([_write(tmp_path / "src", ARTICLES)], tmp_path / "idx", fake_encoder, IndexSettings(chunk=PLAN.chunk, backend=target))
    idx = IndexDir.open(tmp_path / "idx", backend=target)
    try:
        retriever = Retriever(idx, fake_encoder)
        ask = lambda **f: {h.doc_id for h in retriever.search("harbour rail vaccine drought", k=10,  # noqa: E731
                                                               filters=Filters(**f))}
        assert ask(outlets=("example times",)) == {"https://n.example/0", "https://n.example/2"}
        assert ask(topics=("Labour",)) == {"https://n.example/1"}
        assert ask(date_to="2023-10-02") == {"https://n.example/0", "https://n.example/1"}  # undated 3 never in a range
        assert ask(outlets=('Quote "Weekly"',)) == {"https://n.example/3"}  # a quote is only a quote
        assert ask(outlets=("Example Times",), date_from="2023-10-03") == {"https://n.example/2"}
        # a date the question bounds is a filter too, inside Milvus, narrowed by the user's own
        asked = {h.doc_id for h in retriever.search("harbour rail vaccine drought reported before October 3, 2023", k=10)}
        assert asked == {"https://n.example/0", "https://n.example/1"}
        assert [h.date for h in retriever.search("What is the latest news on the vaccine rollout?", k=1)] == ["2023-10-03"]
        dense = idx.engines.collection().search(fake_encoder.encode_query("harbour"), 10, Filters(outlets=("daily planet",)))
        assert dense and set(idx.store.chunk_docs([i for i, _ in dense]).values()) == {"https://n.example/1"}
    finally:
        idx.close()


def test_a_local_index_moves_to_milvus_by_switching_backend_without_embedding(tmp_path, fake_encoder, target):
    ingest([_write(tmp_path / "src", ARTICLES)], tmp_path / "idx", fake_encoder, PLAN)
    local = Retriever(IndexDir.open(tmp_path / "idx"), fake_encoder)
    expected = _urls(local.search("harbour council budget", k=3))
    local.close()
    real_encode, fake_encoder.encode = fake_encoder.encode, None  # filled from the stored vectors: no embedding
    config = _validated({"backend": "milvus", "milvus": {"uri": target.uri, "collection": target.collection}},
                        Path("newsdesk.yaml"))
    idx = IndexDir.open(tmp_path / "idx", backend=config.milvus_target())
    try:
        assert _rows(idx) == _stored(idx)
        fake_encoder.encode = real_encode
        assert _urls(Retriever(idx, fake_encoder).search("harbour council budget", k=3))[0] == expected[0]
    finally:
        idx.close()


def test_rows_a_crash_left_behind_are_never_shown_and_are_deleted_at_the_next_open(tmp_path, fake_encoder, target):
    settings = IndexSettings(chunk=PLAN.chunk, backend=target)
    ingest([_write(tmp_path / "src", ARTICLES)], tmp_path / "idx", fake_encoder, settings)
    idx = IndexDir.create_or_open(tmp_path / "idx", fake_encoder.model_id, settings)  # a writer the crash will stop
    milvus = idx.engines.collection(write=True)
    doc = idx.store.document("https://n.example/0")
    ghost = [(7, "harbour council budget harbour council budget")]
    milvus.put([(doc, ghost)], {7: fake_encoder.encode_query("harbour council budget")})  # upserted, never committed
    first = next(iter(_stored(idx)))
    milvus.remove([first])  # a row lost
    assert 7 in milvus.indexed() and first not in milvus.indexed()
    found = milvus.hits_many([(["harbour", "council", "budget"], 50)], None, (1.0, 1.0, 1.0))[0]
    assert found and 7 not in {i for i, _, _ in found}, "a hit the store does not hold was returned"
    hits = Retriever(idx, fake_encoder).search("harbour council budget", k=5)
    assert all(h.chunk_id != 7 and idx.store.document(h.doc_id) for h in hits)
    idx.store.set_meta(milvus="{}")  # as a crash leaves it: the record behind the store
    idx.close()
    idx = IndexDir.open(tmp_path / "idx", backend=target)
    try:
        assert _rows(idx) == _stored(idx), "the next open did not reconcile the collection with the store"
    finally:
        idx.close()


def test_rows_carry_newsdesk_analysis_and_the_filter_fields(fake_encoder):
    from index.document import Document

    doc = Document("https://n.example/9", "Councils voting", "Les élections", "x", "https://n.example/9",
                   "BBC News", "bbc.co.uk", "2023-10-09T10:00:00Z", None, None, ("Politics",))
    row = rows_of(doc, [(5, "Running élections")], [np.zeros(4, np.float32)])[0]
    assert analyze("Running élections, COUNCILS") == ["run", "elect", "council"]
    assert row["terms"].startswith("council vote council vote run elect") and row["day"] == 20231009
    assert row["outlets"] == ["bbc news", "bbc.co.uk"] and row["topics"] == ["politics"]
    assert expression(None) == "" and "day >= 1" in expression(Filters(date_to="2023-10-01"))


@pytest.mark.parametrize("block, named", [({"uri": "ftp://x"}, "milvus.uri"), ({"collection": "1 bad"}, "milvus.collection"),
                                          ({"colection": "x"}, "did you mean 'collection'"),
                                          ({"vector_index": "LSH"}, "milvus.vector_index"),
                                          ({"password": "secret"}, "without milvus.user")])
def test_bad_milvus_settings_are_named_with_the_fix(block, named):
    with pytest.raises(ConfigError) as err:
        _validated({"backend": "milvus", "milvus": block}, Path("newsdesk.yaml"))
    assert named in str(err.value) and "secret" not in str(err.value)


def test_the_environment_wins_over_the_file(monkeypatch):
    monkeypatch.setenv("NEWSDESK_MILVUS_URI", "http://milvus.internal:19530")
    monkeypatch.setenv("NEWSDESK_MILVUS_TOKEN", "root:Milvus")
    config = _validated({"backend": "milvus", "milvus": {"uri": "http://127.0.0.1:19530"}}, Path("newsdesk.yaml"))
    target = config.milvus_target()
    assert target.uri == "http://milvus.internal:19530" and target.token == "root:Milvus"
    assert "root:Milvus" not in repr(target) and Config().milvus_target() is None
    monkeypatch.setenv("NEWSDESK_MILVUS_URI", "milvus.internal")
    with pytest.raises(ConfigError, match="milvus.uri"):
        config.milvus_target()


def test_a_server_that_does_not_answer_is_named_in_one_line(tmp_path, fake_encoder, milvus_server):
    from index.errors import BackendUnavailable
    from tests.milvus_server import _free_port

    ingest([_write(tmp_path / "src", ARTICLES[:1])], tmp_path / "idx", fake_encoder, PLAN)
    nowhere = MilvusTarget(uri=f"http://127.0.0.1:{_free_port()}")
    idx = IndexDir.open(tmp_path / "idx", backend=nowhere)
    try:
        with pytest.raises(BackendUnavailable, match=f"Milvus at {nowhere.uri}.*check that the server runs"):
            Retriever(idx, fake_encoder).search("harbour", k=1)
    finally:
        idx.close()
