"""A question's search, done once and cheaply: both engine sides gathered (overlapped or not, the same
evidence), fusion that does not depend on how much is asked, store reads with and without their covering
index, and a question's time read once per `ask` (fake encoder: exact, no model)."""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from index.chunk import ChunkPlan
from index.document import Filters
from index.ingest import ingest
from index.settings import IndexSettings
from index.storage.layout import IndexDir
from index.storage.store import DB_NAME
from qa.answer import ask
from qa.config import RankPlan
from qa.retrieve.cues import Clause, Cues, clauses, read_cues
from qa.retrieve.gather import Evidence, gather
from qa.retrieve.hybrid import rank
from qa.retrieve.retriever import Retriever

ARTICLES = [
    ("https://a.example/1", "Harbour council vote", "The Verge", "2023-10-02",
     "The harbour council voted on the Zephyr budget after a long night."),
    ("https://b.example/2", "Zephyr rocket reaches orbit", "TechCrunch", "2023-11-09",
     "The Zephyr rocket reached orbit on its third try, carrying two satellites."),
    ("https://c.example/3", "Bakery prices rise", "The Independent", "2023-11-09",
     "Bread and butter cost more this winter, bakers in the harbour town say."),
]
QUESTION = ("Did the harbour council vote on the Zephyr budget, as reported by The Verge on October 2, 2023, "
            "and did the Zephyr rocket reach orbit according to TechCrunch?")


@pytest.fixture
def index(tmp_path, fake_encoder) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    rows = [{"url": u, "title": t, "source": o, "published_at": f"{d} 08:00:00Z", "category": "news", "body": f"{b} " * 6}
            for u, t, o, d, b in ARTICLES]
    (src / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    ingest([src], tmp_path / "index", fake_encoder, IndexSettings(chunk=ChunkPlan(max_tokens=64, overlap_tokens=8)))
    return tmp_path / "index"


@pytest.fixture
def retriever(index, fake_encoder):
    r = Retriever(IndexDir.open(index), fake_encoder)
    yield r
    r.close()


def _gather(retriever: Retriever, question: str, overlap: bool, encode=None, keyword=None) -> Evidence:
    matcher = retriever._outlet_matcher()
    parts = clauses(question, matcher)
    engines = retriever.index.engines
    return gather(question, retriever.plan, retriever.index.store, encode or retriever.encoder.encode_query,
                  engines.dense(), keyword or engines.keywords(), read_cues(question, matcher),
                  parts if len(parts) > 1 else (), None, overlap)


def test_overlapped_and_one_after_the_other_find_the_same_evidence(retriever):
    alone, overlapped = _gather(retriever, QUESTION, False), _gather(retriever, QUESTION, True)
    assert alone == overlapped
    assert len(alone.found) > 1  # the question and its parts
    assert set(alone.docs.values()) == {u for u, *_ in ARTICLES}
    assert alone.fields["https://a.example/1"] == ("The Verge", None, "2023-10-02")  # cues: fields read


def test_a_question_without_cues_reads_no_article_fields(retriever):
    assert _gather(retriever, "bread and butter prices", False).fields == {}


def test_a_failing_encode_leaves_no_keyword_search_running(retriever):
    """The keyword side runs on another thread while the question is encoded; when encoding fails the error
    is raised only after that search has finished, so nothing reads the index behind the caller's back."""
    real = retriever.index.engines.keywords()
    finished = threading.Event()

    class SlowKeywords:
        def hits_many(self, queries, filters=None, weights=(1.0, 1.0, 1.0)):
            time.sleep(0.3)
            out = real.hits_many(queries, filters, weights)
            finished.set()
            return out

    def broken(text):
        raise RuntimeError("the model failed")

    with pytest.raises(RuntimeError, match="model failed"):
        _gather(retriever, QUESTION, True, encode=broken, keyword=SlowKeywords())
    assert finished.is_set()


def test_the_first_articles_do_not_depend_on_how_many_are_asked():
    """Collapsing stories asks the ranker again for more: the first articles must stay the same (the coverage
    of parts ran over as many articles as were asked: 137 ms a question where stories had 137 copies)."""
    docs = [f"doc{n:03d}" for n in range(400)]
    found = [(n, d, 400.0 - n) for n, d in enumerate(docs)]
    parts = [[(n, d, float((n * 37) % 101)) for n, d in enumerate(docs)],
             [(n, d, float((n * 53) % 97)) for n, d in enumerate(docs)]]
    evidence = Evidence([(n, 1.0 - n / 1000) for n in range(0, 400, 3)], [found, *parts],
                        {n: d for n, d in enumerate(docs)}, {})
    plan = RankPlan()
    clauses_ = (Clause("first part", Cues()), Clause("second part", Cues()))
    top = [r.doc_id for r in rank(10, plan, evidence, Cues(), clauses_)]
    for n in (30, 90, 270, 400):
        assert [r.doc_id for r in rank(n, plan, evidence, Cues(), clauses_)][:10] == top


def test_article_fields_are_the_same_with_or_without_their_covering_index(index):
    reader = IndexDir.open(index)
    ids = [u for u, *_ in ARTICLES]
    with_index = reader.store.doc_fields(ids)
    reader.close()
    db = sqlite3.connect(index / DB_NAME)
    db.execute("DROP INDEX documents_cues")  # a store written before the index existed
    db.commit()
    db.close()
    older = IndexDir.open(index)
    assert older.store.doc_fields(ids) == with_index
    assert with_index["https://b.example/2"] == ("TechCrunch", None, "2023-11-09")
    model = older.model_id
    older.close()
    writer = IndexDir.create_or_open(index, model)  # the next writer puts it back
    assert writer.store._has_index("documents_cues")
    writer.close()


def test_filtered_and_unfiltered_keyword_scores_agree(retriever):
    engine = retriever.index.engines.keywords()
    terms = ["harbour", "zephyr", "budget"]
    every = {c: s for c, _, s in engine.hits(terms, 10)}
    verge = {c: s for c, _, s in engine.hits(terms, 10, Filters(outlets=("The Verge",)))}
    assert verge and set(verge) < set(every)
    assert all(verge[c] == pytest.approx(every[c]) for c in verge)


def test_a_question_s_time_is_read_once_per_ask(retriever, monkeypatch):
    read = []
    real = Retriever.read_time

    def counted(self, question):
        read.append(question)
        return real(self, question)

    monkeypatch.setattr(Retriever, "read_time", counted)
    ask("What is the latest news on the Zephyr rocket?", retriever=retriever)
    assert read == ["What is the latest news on the Zephyr rocket?"]


def test_a_reader_s_chunk_map_follows_the_writer(index):
    """A reader finds each passage's article in memory; a document another process deletes is left out of the
    lookup as soon as that commit is in, as the SQL lookup would leave it out."""
    reader = IndexDir.open(index)
    db = sqlite3.connect(index / DB_NAME)
    chunks = dict(db.execute("SELECT chunk_id, doc_id FROM chunks"))
    db.close()
    assert reader.store.chunk_docs([*chunks, 12345]) == chunks  # an unknown id is left out
    writer = IndexDir.create_or_open(index, reader.model_id)
    with writer.store.transaction():
        gone = set(writer.store.delete_document("https://b.example/2"))
    writer.close()
    assert gone and reader.store.chunk_docs(list(chunks)) == {c: d for c, d in chunks.items() if c not in gone}
    assert reader.store.chunk_docs([]) == {}
    reader.close()
