"""The tantivy keyword engine as derived data: it follows the store through edits, crashes, damage and
other processes' commits, and never returns a passage whose document is gone (fake encoder, exact)."""
from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from index.chunk import ChunkPlan
from index.errors import ConfigError, IndexBusy
from index.ingest import ingest
from index.engines.keyword.tantivy_engine import FOLDER, RECORD, TantivyKeywords
from index.storage.layout import IndexDir
from index.storage.store import DB_NAME, FORMAT_VERSION
from qa.config import load_config
from tests.conftest import ROOT
from index.settings import IndexSettings

PLAN = IndexSettings(chunk=ChunkPlan(max_tokens=64, overlap_tokens=8))
W = (2.0, 1.0, 1.0)


def _write(src: Path, articles: list[tuple[int, str, str]]) -> None:
    src.mkdir(exist_ok=True)
    rows = [{"url": f"https://n.example/{n}", "title": title, "source": "Example Times", "body": f"{body}. " * 8,
             "published_at": f"2023-10-{n + 1:02d}", "category": "tech"} for n, title, body in articles]
    (src / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def _docs(idx: IndexDir, *terms: str) -> set[str]:
    return {d for _, d, _ in idx.engines.keywords("tantivy").hits(list(terms), 10, None, W)}


@pytest.fixture
def built(tmp_path, fake_encoder) -> Path:
    _write(tmp_path / "src", [(0, "Harbour vote", "The harbour council voted on the budget"),
                              (1, "Rail strike", "Rail workers strike over pay")])
    ingest([tmp_path / "src"], tmp_path / "index", fake_encoder, IndexSettings(chunk=PLAN.chunk, keyword_engine="tantivy"))
    return tmp_path / "index"


def test_query_words_weigh_as_fts5_asks_them(tmp_path, fake_encoder):
    """A possessive asks for its name, not for the letter after the apostrophe (which FTS5 reads as a phrase
    and a positions-free index would match in every chunk with any "'s"), and two query words that stem
    alike count twice, as FTS5 scores each of its phrases."""
    _write(tmp_path / "src", [(0, "Court", "Judge Kaplan ruled on the motion"),
                              (1, "Markets", "The company's shares and its rival's shares fell"),
                              (2, "Tech", "Companies report earnings; a chip maker grew")])
    ingest([tmp_path / "src"], tmp_path / "index", fake_encoder, IndexSettings(chunk=PLAN.chunk, keyword_engine="tantivy"))
    idx = IndexDir.open(tmp_path / "index")
    try:
        assert _docs(idx, "kaplan's") == {"https://n.example/0"}
        engine = idx.engines.keywords("tantivy")
        once = dict((d, s) for _, d, s in engine.hits(["company", "chip"], 10, None, W))
        twice = dict((d, s) for _, d, s in engine.hits(["company", "companies", "chip"], 10, None, W))
        assert twice["https://n.example/2"] > once["https://n.example/2"]
    finally:
        idx.close()


def test_add_edit_delete_follow_the_store(tmp_path, built, fake_encoder):
    idx = IndexDir.open(built)
    assert _docs(idx, "harbours") == {"https://n.example/0"}  # stemmed both ways
    idx.close()
    _write(tmp_path / "src", [(0, "Harbour vote", "Kumquat growers fill the harbour"), (2, "Drought", "No rain")])
    ingest([tmp_path / "src"], built, fake_encoder, PLAN)
    idx = IndexDir.open(built)
    try:
        assert _docs(idx, "kumquat") == {"https://n.example/0"}
        assert _docs(idx, "council") == set()  # the old text of an edited article is gone
        assert _docs(idx, "strike") == set()  # a dropped article is gone
        assert _docs(idx, "rain") == {"https://n.example/2"}
        assert json.loads((built / RECORD).read_text())["generation"] == idx.store.generation()
    finally:
        idx.close()


def test_a_reader_sees_new_commits_without_reopening(tmp_path, built, fake_encoder):
    reader = IndexDir.open(built)
    try:
        assert _docs(reader, "drought") == set()
        _write(tmp_path / "src", [(0, "Harbour vote", "The harbour council voted on the budget"),
                                  (3, "Drought", "Drought empties the reservoirs")])
        ingest([tmp_path / "src"], built, fake_encoder, PLAN)
        assert _docs(reader, "drought") == {"https://n.example/3"}
        assert _docs(reader, "strike") == set()
    finally:
        reader.close()


def test_hits_of_documents_gone_from_the_store_are_never_returned(built):
    reader = IndexDir.open(built)
    writer = IndexDir.create_or_open(built, reader.model_id)
    try:
        engine = reader.engines.keywords("tantivy")
        writer.engines.keywords("tantivy", write=True)  # an ingest in progress: the reader leaves repairs to it
        with writer.store.transaction():  # committed to the store, not yet to tantivy
            writer.store.delete_document("https://n.example/1")
        assert set(engine.indexed()) - set(reader.store.chunk_stamps())  # still in tantivy...
        assert engine.hits(["strike"], 10, None, W) == []  # ...never shown
    finally:
        writer.close()
        reader.close()


def test_an_index_behind_the_store_is_caught_up_at_open(tmp_path, built, fake_encoder):
    record = json.loads((built / RECORD).read_text())
    _write(tmp_path / "src", [(0, "Harbour vote", "Kumquat growers fill the harbour"), (2, "Drought", "No rain")])
    saved = tmp_path / "kw-old"
    shutil.copytree(built / FOLDER, saved)
    ingest([tmp_path / "src"], built, fake_encoder, PLAN)
    shutil.rmtree(built / FOLDER)  # as if killed after the store committed, before tantivy did
    shutil.copytree(saved, built / FOLDER)
    (built / RECORD).write_text(json.dumps(record))
    idx = IndexDir.open(built)
    try:
        assert _docs(idx, "kumquat") == {"https://n.example/0"}
        assert _docs(idx, "council") == set() and _docs(idx, "strike") == set()
        assert _docs(idx, "rain") == {"https://n.example/2"}
        assert json.loads((built / RECORD).read_text())["generation"] == idx.store.generation()  # repaired on disk
    finally:
        idx.close()


def test_a_title_edit_with_the_same_passages_is_reindexed(tmp_path, built, fake_encoder):
    db = sqlite3.connect(built / DB_NAME)  # another writer changed a title and its content hash only
    with db:
        db.execute("UPDATE documents SET title = 'Zeppelin vote', content_hash = 'f' || substr(content_hash, 2)"
                   " WHERE doc_id = 'https://n.example/0'")
        db.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
    db.close()
    idx = IndexDir.open(built)
    try:
        assert _docs(idx, "zeppelin") == {"https://n.example/0"}
    finally:
        idx.close()


@pytest.mark.parametrize("damage", ["missing", "meta", "segments"])
def test_a_missing_or_damaged_index_is_rebuilt_from_the_store(built, fake_encoder, damage, tmp_path):
    folder = built / FOLDER
    if damage == "missing":
        shutil.rmtree(folder)
    elif damage == "meta":
        (folder / "meta.json").write_text("{not json")
    else:
        for f in folder.iterdir():
            if f.suffix in (".idx", ".term"):
                f.unlink()
    idx = IndexDir.open(built)  # a reader: rebuilt in memory, files left for the next ingest
    try:
        assert _docs(idx, "harbour") == {"https://n.example/0"}
    finally:
        idx.close()
    ingest([tmp_path / "src"], built, fake_encoder, PLAN)  # nothing changed, but the ingest writes it again
    idx = IndexDir.open(built)
    try:
        engine = idx.engines.keywords("tantivy")
        assert engine.generation == idx.store.generation() and _docs(idx, "rail") == {"https://n.example/1"}
    finally:
        idx.close()


def _writer(built) -> IndexDir:
    reader = IndexDir.open(built)
    model = reader.model_id
    reader.close()
    return IndexDir.create_or_open(built, model)


def test_a_second_writer_is_refused(built):
    first = _writer(built)
    try:
        first.engines.keywords("tantivy", write=True)
        code = ("import sys; from index.storage.layout import IndexDir; from index.errors import IndexBusy\n"
                f"i = IndexDir.create_or_open({str(built)!r}, {first.model_id!r})\n"
                "try:\n    i.engines.keywords('tantivy', write=True)\nexcept IndexBusy as e:\n    print('busy', e); sys.exit(3)")
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert out.returncode == 3 and "being written by another process" in out.stdout, out.stderr
        with pytest.raises(IndexBusy):
            TantivyKeywords(built, first.store, write=True)
    finally:
        first.close()
    again = _writer(built)  # closing released the lock
    again.engines.keywords("tantivy", write=True)
    again.close()


def test_switching_engines_rebuilds_the_other_from_the_store(built):
    before = (built / DB_NAME).read_bytes()
    idx = IndexDir.open(built)
    try:
        fts = idx.engines.keywords("fts5")  # FTS5 was not kept while tantivy was the engine: filled from the store
        assert {d for _, d, _ in fts.hits(["harbour"], 10, None, W)} == {"https://n.example/0"}
        assert idx.store.meta()["fts5"] == "off"  # a reader's rows live in its own temporary table
    finally:
        idx.close()
    assert (built / DB_NAME).read_bytes() == before  # searching never writes the store
    writer = _writer(built)
    try:
        writer.engines.keywords("fts5")  # a writer keeps them in the store
        assert writer.store.meta()["fts5"] == "on" and writer.store.meta()["format_version"] == str(FORMAT_VERSION)
    finally:
        writer.close()


def test_keyword_engine_is_a_validated_choice(tmp_path):
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text("keyword_engine: fts5\n")
    bad.write_text("keyword_engine: lucene\n")
    assert load_config(good).rank_plan().keyword_engine == "fts5"
    with pytest.raises(ConfigError, match="lucene"):
        load_config(bad)


def test_eval_compares_engines_in_one_run(tmp_path, built):
    """`newsdesk eval --engines tantivy,fts5` asks the same questions of both engines: one JSON object keyed
    by engine; an unknown engine is one clear error line, before anything is loaded."""
    golden = tmp_path / "golden.jsonl"
    golden.write_text(json.dumps({"id": "q1", "question": "Which council voted on the harbour budget?",
                                  "evidence": ["https://n.example/0"]}) + "\n")
    env = dict(__import__("os").environ, PYTHONPATH=str(ROOT))
    env.pop("NEWSDESK_CONFIG", None)
    run = lambda *a: subprocess.run([sys.executable, "-m", "tests.fake_cli", "eval", str(golden), "--index",  # noqa: E731
                                     str(built), *a], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    result = run("--engines", "tantivy,fts5", "--json", "--mode", "keyword")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) == {"tantivy", "fts5"}
    assert all(r["recall@5"] == 1.0 and r["keyword_engine"] == name for name, r in report.items())
    bad = run("--engines", "tantivy,lucene")
    assert bad.returncode == 2 and "'lucene' is not a keyword engine" in bad.stderr and "Traceback" not in bad.stderr
