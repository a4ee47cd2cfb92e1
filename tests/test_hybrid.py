"""Keyword index, news cues and fused ranking with the fake encoder: exact and fast (no model)."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from index.chunk import ChunkPlan
from index.errors import ConfigError
from index.ingest import ingest
from index.storage.layout import IndexDir
from index.storage.store import DB_NAME, FORMAT_VERSION
from index.document import Filters
from qa.config import RankPlan
from qa.retrieve.cues import OutletMatcher, clauses, find_dates, keywords, read_cues
from qa.retrieve.hybrid import _cover
from qa.retrieve.retriever import Retriever
from index.settings import IndexSettings

PLAN = IndexSettings(chunk=ChunkPlan(max_tokens=64, overlap_tokens=8))


def _article(url: str, title: str, outlet: str, date: str, body: str) -> dict:
    return {"url": url, "title": title, "source": outlet, "published_at": f"{date} 08:00:00.000000000Z",
            "category": "tech", "body": body}


ARTICLES = [
    _article("https://a.example/1", "Rocket lab launch", "The Verge", "2023-10-02",
             "The Zephyr rocket reached orbit on its third try. " * 6),
    _article("https://b.example/2", "Rocket lab launch again", "TechCrunch", "2023-11-09",
             "The Zephyr rocket reached orbit a second time, carrying two satellites. " * 6),
    _article("https://c.example/3", "Bakery prices", "The Independent - Life and Style", "2023-11-09",
             "Bread and butter cost more this winter, bakers say. " * 6),
]


@pytest.fixture(params=["tantivy", "fts5"])
def engine(request) -> str:
    return request.param


@pytest.fixture
def index(tmp_path, fake_encoder, engine) -> Path:
    src, idx = tmp_path / "src", tmp_path / "index"
    src.mkdir()
    (src / "a.jsonl").write_text("".join(json.dumps(a) + "\n" for a in ARTICLES))
    ingest([src], idx, fake_encoder, IndexSettings(chunk=PLAN.chunk, keyword_engine=engine))
    return idx


def _docs(retriever: Retriever, question: str, k: int = 3, filters: Filters | None = None) -> list[str]:
    return [h.doc_id for h in retriever.search(question, k=k, filters=filters)]


def _found(idx: IndexDir, terms: list[str], filters: Filters | None = None) -> set[str]:
    return {d for _, d, _ in idx.engines.keywords().hits(terms, 10, filters, (1.0, 1.0, 1.0))}


def test_keyword_index_follows_edits_and_deletes(tmp_path, index, fake_encoder, engine):
    src = tmp_path / "src"
    edited = dict(ARTICLES[0], body="Quantum kumquats were sighted near the launch pad. " * 6)
    (src / "a.jsonl").write_text(json.dumps(edited) + "\n" + json.dumps(ARTICLES[2]) + "\n")
    ingest([src], index, fake_encoder, PLAN)
    idx = IndexDir.open(index)
    try:
        assert idx.engines.keywords().name == engine  # the engine the index was written with
        assert _found(idx, ["kumquats"]) == {"https://a.example/1"}
        assert _found(idx, ["zephyr"]) == set()  # old text and the dropped article are gone
        fts_rows = idx.store._db.execute("SELECT count(*) FROM chunks_fts").fetchone()[0]
        assert fts_rows == (idx.store.counts()["chunks"] if engine == "fts5" else 0)  # only one engine is kept
    finally:
        idx.close()


def test_keyword_search_respects_filters_and_indexes_outlet_and_date(index):
    idx = IndexDir.open(index)
    try:
        assert _found(idx, ["zephyr"], Filters(outlets=("techcrunch",))) == {"https://b.example/2"}
        assert _found(idx, ["zephyr"], Filters(date_to="2023-10-31")) == {"https://a.example/1"}
        assert _found(idx, ["zephyr"], Filters(date_from="2023-11-09", date_to="2023-11-09")) == {"https://b.example/2"}
        assert _found(idx, ["november"]) == {"https://b.example/2", "https://c.example/3"}
        assert _found(idx, ["bakers"]) == {"https://c.example/3"}  # stemmed: baker(s)
    finally:
        idx.close()


def test_a_version_1_store_is_read_as_it_is_and_upgraded_by_the_next_writer(index, engine):
    if engine != "fts5":
        pytest.skip("a version-1 store predates tantivy")
    db = sqlite3.connect(index / DB_NAME)
    db.execute("DELETE FROM chunks_fts")
    db.execute("UPDATE meta SET value = '1' WHERE key = 'format_version'")
    db.commit()
    db.close()
    idx = IndexDir.open(index)
    try:
        generation, model = idx.generation, idx.model_id
        assert {d for _, d, _ in idx.engines.keywords("fts5").hits(["bakers"], 10)} == {"https://c.example/3"}
        assert idx.store.meta()["format_version"] == "1"  # a reader never upgrades (nor writes) the store
    finally:
        idx.close()
    for _ in range(2):  # the upgrade runs once: a current store is never touched again
        writer = IndexDir.create_or_open(index, model)
        try:
            assert writer.store.meta()["format_version"] == str(FORMAT_VERSION) and writer.generation == generation
            assert {d for _, d, _ in writer.store.keyword_search(["bakers"], 10)} == {"https://c.example/3"}
        finally:
            writer.close()


def test_one_passage_per_article_before_any_article_repeats(index, fake_encoder):
    r = Retriever(IndexDir.open(index), fake_encoder)
    try:
        hits = r.search("Zephyr rocket orbit", k=5)
        assert len({h.doc_id for h in hits[:3]}) == 3  # every article appears before one repeats
        assert len(hits) == 5  # then the best articles' further passages fill up k
        deep = Retriever(r.index, fake_encoder, RankPlan(per_article=2)).search("Zephyr rocket orbit", k=4)
        assert deep[0].doc_id == deep[1].doc_id
    finally:
        r.close()


def test_named_outlet_and_date_lift_the_matching_article(index, fake_encoder):
    r = Retriever(IndexDir.open(index), fake_encoder)
    try:
        assert _docs(r, "Zephyr rocket reached orbit, as reported by TechCrunch", k=1) == ["https://b.example/2"]
        assert _docs(r, "What did The Verge say about the Zephyr rocket reaching orbit?", k=1) == ["https://a.example/1"]
        assert _docs(r, "Zephyr rocket reaching orbit, article of October 2, 2023", k=1) == ["https://a.example/1"]
        assert set(_docs(r, "bread prices", k=3, filters=Filters(outlets=("The Verge",)))) == {"https://a.example/1"}
    finally:
        r.close()


@pytest.mark.parametrize("mode", ["dense", "keyword", "hybrid"])
def test_every_mode_returns_cited_passages_of_stored_text(index, fake_encoder, mode):
    r = Retriever(IndexDir.open(index), fake_encoder, RankPlan(mode=mode))
    try:
        hits = r.search("bread and butter prices", k=2)
        assert hits and hits[0].doc_id == "https://c.example/3"
        doc = r.index.store.document(hits[0].doc_id)
        assert doc.text[hits[0].start : hits[0].end] == hits[0].text
        assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    finally:
        r.close()


def test_rank_plan_rejects_bad_values_with_the_fix():
    with pytest.raises(ConfigError, match="search mode 'semantic'"):
        RankPlan(mode="semantic")
    with pytest.raises(ConfigError, match="dense_weight 1.5"):
        RankPlan(dense_weight=1.5)


def test_outlet_matcher_reads_stored_names_sections_and_domains():
    m = OutletMatcher([("The Independent - Life and Style", None), ("The Independent - Sports", None),
                       ("Fortune", "fortune.com"), ("中国日报网", "chinadaily.com.cn"), ("The Verge", "theverge.com")])
    assert m.find("Did The Independent - Sports report it?") == {"The Independent - Sports"}
    assert m.find("What did The Independent say?") == {"The Independent - Life and Style", "The Independent - Sports"}
    assert m.find("He made a fortune on the verge of collapse") == frozenset()
    assert m.find("According to Fortune and China Daily") == {"Fortune", "中国日报网"}
    assert m.find("a story on theverge.com") == {"The Verge"}


def test_dates_in_the_forms_news_questions_use():
    days, months = find_dates("on November 9, 2023, on 2023-10-04T21:11:57, on October 6th, in December 2023, 3 Sept 2023")
    assert days == {(2023, 11, 9), (2023, 10, 4), (None, 10, 6), (2023, 9, 3)}
    assert months == {(2023, 12)}
    cues = read_cues("in October 2023 on November 9, 2023", None)
    assert cues.date_match("2023-11-09T08:00:00Z") == "day"
    assert cues.date_match("2023-10-20") == "month"
    assert cues.date_match("2023-12-01") is None and cues.date_match(None) is None


def test_keywords_drop_stopwords_and_repeats():
    assert keywords("What did the FTX founder's trial show about the FTX collapse?") == [
        "ftx", "founder's", "trial", "show", "collapse"]


def test_clauses_split_a_multi_part_question_but_not_a_plain_one():
    m = OutletMatcher([("The Verge", "theverge.com"), ("Engadget", "engadget.com")])
    parts = clauses("Which company, covered by The Verge on November 9, 2023 for defending its default search engine, "
                    "and by Engadget for new chipsets at an upcoming event, is known for privacy in its products?", m)
    assert [sorted(p.cues.outlets) for p in parts] == [["The Verge"], ["Engadget"], []]
    assert parts[0].cues.days == {(2023, 11, 9)}  # the comma inside the date does not split it
    assert [p.text for p in clauses("What did the FTX founder's trial show about the FTX collapse?", m)] == [
        "What did the FTX founder's trial show about the FTX collapse?"]


def test_an_article_answering_an_uncovered_part_is_pulled_up():
    scores = {"trial-1": 1.0, "trial-2": 0.95, "trial-3": 0.9, "roundup": 0.5}
    parts = [{"trial-1": 1.0, "trial-2": 0.9, "trial-3": 0.9}, {"roundup": 0.8, "trial-3": 0.1}]
    assert _cover(scores, parts, 0.0, k=2) == ["trial-1", "trial-2", "trial-3", "roundup"]
    assert _cover(scores, parts, 0.65, k=2) == ["trial-1", "roundup", "trial-2", "trial-3"]
    assert _cover({"a": 1.0}, [{"x": 1.0}, {"x": 1.0}], 0.5, k=3) == ["a", "x"]  # each article once


def test_a_covered_part_keeps_some_pull_for_its_next_article():
    """One article closes only part of a clause: its runner-up still beats an article answering no part."""
    scores = {"first": 0.5, "second": 0.5, "off-topic": 0.6}
    assert _cover(scores, [{"first": 1.0, "second": 1.0}], 0.65, k=3) == ["first", "second", "off-topic"]
