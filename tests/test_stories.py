"""Stories: syndicated copies grouped at ingest, kept right by updates, --sync, --rebuild and crashes, shown once."""
from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

import pytest

from index.chunk import ChunkPlan
from index.ingest import IngestRun, ingest
from index.settings import IndexSettings
from index.storage.layout import IndexDir
from index.storage.store import Store
from qa.retrieve.retriever import Retriever
from tests.milvus_server import milvus_server  # noqa: F401  (the fixture)

PLAN = IndexSettings(chunk=ChunkPlan(max_tokens=64, overlap_tokens=8))
_VOCAB = [f"{a}{b}" for a in ("tor", "mel", "vas", "quin", "dral", "ost", "pem", "rhu") for b in
          ("an", "ek", "is", "ol", "ur", "yx", "ed", "ath", "om", "ib", "ex", "unt", "ar", "ow", "il", "ay")]


def _body(seed: int, paragraphs: int = 8) -> list[str]:
    """Paragraphs of made-up words: two seeds never share more than chance 4-grams."""
    rng = random.Random(seed)
    return [" ".join(" ".join(rng.choice(_VOCAB) for _ in range(12)).capitalize() + "." for _ in range(4))
            for _ in range(paragraphs)]


def _article(url: str, title: str, paragraphs: list[str], outlet: str, day: int) -> dict:
    return {"url": url, "title": title, "source": outlet, "published_at": f"2023-10-{day:02d} 08:00:00",
            "body": "\n\n".join(paragraphs)}


def _copy(paragraphs: list[str]) -> list[str]:
    """A wire copy: a dateline, the end trimmed, a word changed, a footer."""
    out = ["LONDON (Reuters) - " + paragraphs[0]] + paragraphs[1:-2]
    out[2] = out[2].replace(out[2].split()[3], "says", 1)
    return out + ["Related: another story entirely"]


ORIGINAL = _article("https://wire.example/a", "Harbour deal signed", _body(1), "Wire Daily", 2)
COPY = _article("https://valley.example/a", "UPDATE 1-Harbour deal signed", _copy(_body(1)), "Valley Courier", 3)
HALF = _article("https://coast.example/a", "Deal at the harbour", _body(1)[:4], "Coast Post", 4)
NEAR = _article("https://other.example/b", "Harbour deal signed, critics say", _body(2), "Other Times", 2)


def _write(folder: Path, name: str, articles: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("".join(json.dumps(a) + "\n" for a in articles))
    return folder / name


def _stories(index_dir: Path) -> dict[str, str]:
    idx = IndexDir.open(index_dir)
    try:
        ids = list(idx.store.doc_hashes())
        return idx.store.stories.story_of(ids)
    finally:
        idx.close()


def _groups(index_dir: Path) -> set[frozenset[str]]:
    by: dict[str, set[str]] = {}
    for doc, story in _stories(index_dir).items():
        by.setdefault(story, set()).add(doc.split("//")[1].split(".")[0])
    return {frozenset(g) for g in by.values()}


@pytest.mark.parametrize("order", [(ORIGINAL, COPY, HALF, NEAR), (NEAR, HALF, COPY, ORIGINAL)])
def test_copies_join_one_story_and_a_near_miss_does_not_in_either_order(tmp_path, fake_encoder, order):
    report = ingest([_write(tmp_path / "src", "a.jsonl", list(order))], tmp_path / "idx", fake_encoder, PLAN)
    assert _groups(tmp_path / "idx") == {frozenset({"wire", "valley", "coast"}), frozenset({"other"})}
    assert report.total_stories == 2 and "4 documents in 2 stories" in report.summary()


def test_copies_arriving_in_later_ingests_join_and_the_canonical_is_the_earliest(tmp_path, fake_encoder):
    idx = tmp_path / "idx"
    ingest([_write(tmp_path / "s1", "a.jsonl", [COPY, NEAR])], idx, fake_encoder, PLAN)
    ingest([_write(tmp_path / "s2", "b.jsonl", [HALF, ORIGINAL])], idx, fake_encoder, PLAN)
    assert _groups(idx) == {frozenset({"wire", "valley", "coast"}), frozenset({"other"})}
    index = IndexDir.open(idx)
    try:
        story = index.store.stories.shared()
        members = index.store.stories.members(story)[story[0]]
    finally:
        index.close()
    assert [r.outlet for r in members] == ["Wire Daily", "Valley Courier", "Coast Post"]  # earliest first


def test_an_update_a_sync_removal_and_a_rebuild_keep_stories_right(tmp_path, fake_encoder):
    src, idx = tmp_path / "src", tmp_path / "idx"
    _write(src, "a.jsonl", [ORIGINAL, NEAR])
    copies = _write(src, "b.jsonl", [COPY, HALF])
    ingest([src], idx, fake_encoder, PLAN)
    rewritten = dict(COPY, body="\n\n".join(_body(3)))  # the copy becomes a different article
    _write(src, "b.jsonl", [rewritten, HALF])
    ingest([src], idx, fake_encoder, PLAN)
    assert _groups(idx) == {frozenset({"wire", "coast"}), frozenset({"valley"}), frozenset({"other"})}
    _write(src, "a.jsonl", [NEAR])  # the original leaves its file: the half copy stands alone
    ingest([src], idx, fake_encoder, PLAN)
    assert _groups(idx) == {frozenset({"coast"}), frozenset({"valley"}), frozenset({"other"})}
    _write(src, "a.jsonl", [ORIGINAL, NEAR])
    ingest([src], idx, fake_encoder, PLAN)
    copies.unlink()
    ingest([src], idx, fake_encoder, PLAN, IngestRun(sync=True))
    assert _groups(idx) == {frozenset({"wire"}), frozenset({"other"})}
    _write(src, "b.jsonl", [COPY, HALF])
    ingest([src], idx, fake_encoder, PLAN, IngestRun(rebuild=True))
    assert _groups(idx) == {frozenset({"wire", "valley", "coast"}), frozenset({"other"})}


def test_removing_the_document_that_linked_two_others_splits_them(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    p = _body(5, 10)
    with store.transaction():
        store.stories.add("head", "\n".join(p[:4]))  # the first half of the full version
        store.stories.add("tail", "\n".join(p[2:]))  # from the third paragraph on: too little in common with head
        assert store.stories.count() == 2
        store.stories.add("full", "\n".join(p[:8]))  # shares its opening with head and most of its body with tail
        assert store.stories.count() == 1
    with store.transaction():
        store.stories.remove("full")
    assert store.stories.count() == 2 and store.stories.shared() == []
    store.close()


def test_a_batch_that_fails_leaves_no_story_behind(tmp_path, fake_encoder, monkeypatch):
    src, idx = tmp_path / "src", tmp_path / "idx"
    ingest([_write(src, "a.jsonl", [ORIGINAL])], idx, fake_encoder, PLAN)
    _write(src, "b.jsonl", [COPY])

    def crash(*args, **kwargs):
        raise OSError("disk gone mid-batch")

    monkeypatch.setattr(Store, "put_file", crash)  # after the copy's document and story rows were written
    with pytest.raises(OSError):
        ingest([src], idx, fake_encoder, PLAN)
    monkeypatch.undo()
    assert _groups(idx) == {frozenset({"wire"})}  # the copy's story rows went with its document
    ingest([src], idx, fake_encoder, PLAN)
    assert _groups(idx) == {frozenset({"wire", "valley"})}


def test_an_index_from_before_stories_is_read_as_it_is_and_grouped_by_its_next_writer(tmp_path, fake_encoder):
    src, idx = tmp_path / "src", tmp_path / "idx"
    ingest([_write(src, "a.jsonl", [ORIGINAL, COPY, NEAR])], idx, fake_encoder, PLAN)
    db = sqlite3.connect(idx / "newsdesk.sqlite")  # as format 3 wrote it: no story tables
    db.executescript("DROP TABLE story_docs; DROP TABLE story_bands; "
                     "UPDATE meta SET value = '3' WHERE key = 'format_version';")
    db.close()
    assert len(set(_stories(idx).values())) == 3  # each document its own story
    retriever = Retriever(IndexDir.open(idx, fake_encoder.model_id), fake_encoder)
    assert len(retriever.search("Harbour deal signed", k=3)) == 3
    retriever.close()
    fake_encoder.encoded.clear()
    ingest([src], idx, fake_encoder, PLAN)
    assert _groups(idx) == {frozenset({"wire", "valley"}), frozenset({"other"})} and fake_encoder.encoded == []


def test_search_shows_a_story_once_with_its_other_reports_unless_asked_for_every_copy(tmp_path, fake_encoder):
    idx = tmp_path / "idx"
    ingest([_write(tmp_path / "src", "a.jsonl", [ORIGINAL, COPY, HALF, NEAR])], idx, fake_encoder, PLAN)
    retriever = Retriever(IndexDir.open(idx, fake_encoder.model_id), fake_encoder)
    hits = retriever.search("Harbour deal signed", k=5)
    shown: dict[str, set[str]] = {}
    for h in hits:  # few articles match: their further passages fill the k places, each from one copy only
        shown.setdefault(h.story, set()).add(h.doc_id)
    assert len(shown) == 2 and all(len(docs) == 1 for docs in shown.values())  # the story once, the near miss
    top = next(h for h in hits if h.also)
    assert {r.outlet for r in top.also} | {top.outlet} == {"Wire Daily", "Valley Courier", "Coast Post"}
    assert "also reported by" in top.citation and "(2023-10-0" in top.citation
    every = Retriever(retriever.index, fake_encoder, type(retriever.plan)(per_story=0))
    assert len({h.doc_id for h in every.search("Harbour deal signed", k=5)}) == 4
    retriever.close()


def test_stories_command_prints_one_json_object_per_story(tmp_path, fake_encoder, capsys):
    from ui.cli import main

    idx = tmp_path / "idx"
    ingest([_write(tmp_path / "src", "a.jsonl", [HALF, NEAR, COPY, ORIGINAL])], idx, fake_encoder, PLAN)
    assert main(["stories", "--index", str(idx), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 1 and set(lines[0]) == {"story", "documents"}
    docs = lines[0]["documents"]
    assert [d["outlet"] for d in docs] == ["Wire Daily", "Valley Courier", "Coast Post"]
    assert set(docs[0]) == {"doc_id", "url", "outlet", "published", "title"}
    assert main(["stories", "--index", str(idx), "--min-size", "4"]) == 0
    assert "0 stories" in capsys.readouterr().out


def test_the_source_card_and_the_citation_name_the_other_reports():
    from index.storage.stories import Report
    from qa.answer.records import Citation
    from qa.retrieve.records import Hit
    from ui.render import card_html, hit_card_html

    also = (Report("u2", "T", "Valley <Courier>", "2023-10-03T08:00:00Z", "https://valley.example/a"),
            Report("u3", "T", None, None, "https://coast.example/a"))
    hit = Hit(1, 1.0, 7, "u1", "Text.", 0, 5, "Harbour", "Wire Daily", "2023-10-02", "https://wire.example/a",
              "a.jsonl", story="s1", also=also)
    text = "also reported by Valley &lt;Courier&gt; (2023-10-03), coast.example"
    assert text in hit_card_html(hit, 1)
    citation = Citation(1, "u1", "Harbour", "Wire Daily", "2023-10-02", None, "Text.", 0, 5, (), 1.0, hit.also_labels)
    assert text in card_html(citation, 1)
    assert citation.label.endswith("; also reported by Valley <Courier> (2023-10-03), coast.example")


def test_stories_with_the_milvus_backend(tmp_path, fake_encoder, milvus_server):
    import uuid

    from index.engines.milvus.rows import MilvusTarget

    target = MilvusTarget(uri=milvus_server.uri, collection=f"t_{uuid.uuid4().hex[:12]}")
    idx = tmp_path / "idx"
    ingest([_write(tmp_path / "src", "a.jsonl", [ORIGINAL, COPY, HALF, NEAR])], idx, fake_encoder,
           IndexSettings(chunk=PLAN.chunk, backend=target))
    assert _groups(idx) == {frozenset({"wire", "valley", "coast"}), frozenset({"other"})}
    retriever = Retriever(IndexDir.open(idx, fake_encoder.model_id, target), fake_encoder)
    try:
        hits = retriever.search("Harbour deal signed", k=4)
        assert len({h.doc_id for h in hits if h.story == hits[0].story}) == 1 and hits[0].also
    finally:
        retriever.close()


@pytest.mark.ray
def test_stories_with_the_ray_engine(tmp_path, fake_encoder):
    pytest.importorskip("ray", reason="ray[data] is not installed (pip install 'newsdesk[ray]')")
    import os

    from index.ingest.parallel import runner_for

    root = str(Path(__file__).resolve().parent.parent)  # Ray's workers find newsdesk through PYTHONPATH
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (root, old) if p)
    runner = runner_for("ray", 2)
    try:
        ingest([_write(tmp_path / "src", "a.jsonl", [NEAR, HALF, COPY, ORIGINAL])], tmp_path / "idx", fake_encoder,
               PLAN, IngestRun(runner=runner))
    finally:
        runner.close()
        os.environ.pop("PYTHONPATH", None) if old is None else os.environ.update(PYTHONPATH=old)
    assert _groups(tmp_path / "idx") == {frozenset({"wire", "valley", "coast"}), frozenset({"other"})}


def test_the_extractive_answer_quotes_a_story_once_even_when_every_copy_is_shown(fake_encoder):
    from qa.answer.extractive import ExtractiveAnswerer
    from qa.retrieve.conversation import resolve
    from qa.retrieve.records import Hit

    wire = "The central bank raised interest rates by half a point on Tuesday to fight inflation, officials said."
    edited = "The central bank raised interest rates by 0.5 points on Tuesday to fight inflation, officials say."
    hits = [Hit(n + 1, 0.5, n, doc, text, 0, len(text), "Rates up", outlet, "2024-03-01", None, "a.jsonl", story="s1")
            for n, (doc, text, outlet) in enumerate([("wire", wire, "Wire"), ("copy", edited, "Valley Courier")])]
    answer = list(ExtractiveAnswerer(fake_encoder, threshold=0.1).stream(
        resolve("How much did the central bank raise interest rates?"), hits))[-1]
    assert not answer.abstained and len(answer.citations) == 1
