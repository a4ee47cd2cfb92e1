"""One bad value is reported for its own record and the rest goes on; bad arguments get one clear error.

File names, text values, numbers and dates a hostile or unlucky corpus holds; files that are not files;
command-line and Python API arguments; article text that would drive a terminal. Fake encoder throughout.
"""
from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

import pytest

from index.errors import ConfigError, QueryError
from index.ingest import ingest
from index.storage.layout import IndexDir
from index.document import Filters
from qa.retrieve.filters import parse_filters
from qa.retrieve.retriever import Retriever, validate_question
from tests.crash_ingest import PLAN
from tests.test_hardening import _cli, _one_error_line

GOOD = {"url": "https://news.example/zephyr", "title": "Zephyr wind farm opens", "source": "Example Times",
        "published_at": "2024-01-08", "body": "The Zephyr wind farm near Aberdeen produced 40 megawatts in its "
                                              "first winter, its operator said on Monday."}


def _lines(*records: dict) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def _open(index_dir: Path, encoder) -> Retriever:
    return Retriever(IndexDir.open(index_dir, encoder.model_id), encoder)


def _titles(index_dir: Path) -> set[str]:
    idx = IndexDir.open(index_dir)
    try:
        return {idx.store.document(d).title for d in idx.store.doc_hashes()}
    finally:
        idx.close()


@pytest.fixture
def retriever(tmp_path, fake_encoder):
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "a.jsonl").write_text(_lines(GOOD))
    ingest([tmp_path / "news"], tmp_path / "idx", fake_encoder, PLAN)
    r = _open(tmp_path / "idx", fake_encoder)
    yield r
    r.close()


# -- file names and file types ---------------------------------------------------------------------

def test_file_names_that_are_not_utf8_or_hold_a_newline_are_skipped_one_by_one(tmp_path, fake_encoder):
    news = tmp_path / "news"
    news.mkdir()
    (news / "good.jsonl").write_text(_lines(GOOD))
    with open(os.path.join(os.fsencode(news), b"caf\xe9.md"), "w") as fh:
        fh.write("# Latin-1 name\n\nA file whose name is not UTF-8.\n")
    (news / "two\nlines.md").write_text("# Newline name\n\nA file whose name holds a newline.\n")
    r = ingest([news], tmp_path / "idx", fake_encoder, PLAN)
    assert r.added == 1 and _titles(tmp_path / "idx") == {"Zephyr wind farm opens"}
    skipped = [w for w in r.warnings if "name that is not UTF-8" in w]
    assert len(skipped) == 2 and all("\n" not in w for w in skipped) and any("caf\\xe9.md" in w for w in skipped)
    result = _cli("ingest", str(news), "--index", str(tmp_path / "idx2"), "-q", cwd=tmp_path)
    assert result.returncode == 0 and "Traceback" not in result.stderr and "1 added" in result.stdout


@pytest.mark.parametrize("kind", ["fifo", "device link"])
def test_pipes_and_devices_named_on_the_command_line_are_skipped_without_hanging(tmp_path, kind):
    (tmp_path / "news").mkdir()
    good = tmp_path / "news" / "a.jsonl"
    good.write_text(_lines(GOOD))
    odd = tmp_path / "news" / "odd.txt"
    if kind == "fifo":
        os.mkfifo(odd)
    else:
        odd.symlink_to("/dev/zero")
    for args in ([str(odd), str(good)], [str(tmp_path / "news")]):
        result = _cli("ingest", *args, "--index", str(tmp_path / "idx"), "-q", cwd=tmp_path)
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "is not a regular file" in _cli("ingest", str(odd), str(good), "--index", str(tmp_path / "idx"), "-q",
                                           cwd=tmp_path).stderr


# -- values inside records -------------------------------------------------------------------------

def test_lone_surrogates_huge_ints_and_calendar_edge_dates_cost_only_their_own_value(tmp_path, fake_encoder):
    news = tmp_path / "news"
    news.mkdir()
    bad = [
        dict(GOOD, url="https://news.example/1", title="Half an emoji \ud83d here"),
        dict(GOOD, url="https://news.example/2", title="Huge quality", quality=99999999999999999999),
        dict(GOOD, url="https://news.example/3", title="Far future", published_at="9999-12-31T23:00:00-05:00"),
        dict(GOOD, url="https://news.example/4", title="Far past", published_at="0001-01-01T00:00:00+01:00"),
        dict(GOOD, url="https://news.example/5", title="Ancient RFC date", published_at="Mon, 01 Jan 0001 00:00:00 +0100"),
    ]
    (news / "dump.jsonl").write_text("".join(json.dumps(r, ensure_ascii=True) + "\n" for r in bad))
    (news / "feed.yaml").write_text('---\ntitle: "YAML half emoji \\ud83d"\nbody: "Text with \\ud83d in it."\n'
                                    "quality: 99999999999999999999\n---\ntitle: Plain YAML\nbody: Fine text.\n")
    r = ingest([news], tmp_path / "idx", fake_encoder, PLAN)
    assert r.errors == () and r.added == 7
    titles = _titles(tmp_path / "idx")
    assert "Half an emoji \ufffd here" in titles and "YAML half emoji \ufffd" in titles and "Plain YAML" in titles
    idx = IndexDir.open(tmp_path / "idx")
    try:
        assert idx.store.document("https://news.example/2").quality is None
        assert idx.store.document("https://news.example/3").published is None
    finally:
        idx.close()
    big = [w for w in r.warnings if "too large to store" in w]
    assert len(big) == 2 and any("feed.yaml" in w for w in big) and any("not text" in w for w in r.warnings)
    assert any("unreadable published_at" in w for w in r.warnings)


def test_a_nul_inside_a_string_does_not_cut_the_stored_passage(tmp_path, fake_encoder):
    news = tmp_path / "news"
    news.mkdir()
    body = "The harbour council met on Monday.\u0000 It approved the budget for the new quay and the ferry."
    (news / "a.jsonl").write_text(_lines(dict(GOOD, title="Nul\u0000title", body=body * 3)))
    ingest([news], tmp_path / "idx", fake_encoder, PLAN)
    r = _open(tmp_path / "idx", fake_encoder)
    try:
        hits = r.search("harbour council budget quay ferry", k=5)
        doc = r.index.store.document(hits[0].doc_id)
        assert hits and all(h.text == doc.text[h.start:h.end] for h in hits)
        assert "\x00" not in doc.text and doc.title == "Nultitle" and "ferry" in hits[0].text
    finally:
        r.close()


# -- command-line arguments ------------------------------------------------------------------------

@pytest.mark.parametrize("args,needle", [
    (["search", "q", "-k", "0"], "-k: '0' is not a number of passages"),
    (["ask", "q", "-k", "abc"], "-k: 'abc' is not a number of passages"),
    (["search", "q", "--since", "2024-03-01garbage"], "since date '2024-03-01garbage' is not a date"),
    (["ask", "q", "--until", "2024-02-30"], "until date '2024-02-30' is not a date"),
    (["search", "q", "--since", "2024-03-05", "--until", "2024-03-01"], "date range 2024-03-05..2024-03-01 is empty"),
    (["serve", "--port", "99999"], "--port: '99999' is not a port number"),
    (["serve", "--port", "-1"], "is not a port number"),
    (["eval", "golden.jsonl", "--answers", "--limit", "-1"], "--limit: '-1' is not a number of questions"),
    (["eval", "golden.jsonl", "--answers", "--limit", "0"], "leave --limit out for all"),
])
def test_bad_command_line_values_get_one_line(tmp_path, args, needle):
    _one_error_line(_cli(*args, "--index", str(tmp_path / "none"), cwd=tmp_path), needle)


def test_a_golden_question_a_search_would_refuse_names_its_file_line_and_id(tmp_path):
    golden = tmp_path / "golden.jsonl"
    rows = [{"id": "q1", "question": "Fine?", "evidence": []}, {"id": "huge", "question": "x" * 30_000, "evidence": []},
            {"id": "lone", "question": "bad \ud800 text", "evidence": []}]
    for bad in rows[1:]:
        golden.write_text("\n".join(json.dumps(r) for r in (rows[0], bad)) + "\n")
        _one_error_line(_cli("eval", str(golden), "--index", str(tmp_path / "none"), cwd=tmp_path),
                        f"{golden}:2: question '{bad['id']}'")


def test_the_ray_engine_without_ray_says_how_to_install_it(monkeypatch):
    from index.ingest.parallel import runner_for

    monkeypatch.setitem(sys.modules, "index.ingest.ray_ingest", None)  # as if ray were not installed
    with pytest.raises(ConfigError, match=r"needs Ray Data, which is not installed.*newsdesk\[ray\]"):
        runner_for("ray")


def test_serving_on_a_port_in_use_is_one_line(tmp_path, retriever):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _cli("serve", "--index", str(retriever.index.path), "--port", str(port), cwd=tmp_path)
    _one_error_line(result, f"cannot serve on 127.0.0.1:{port}", "choose another --port")


# -- Python API arguments --------------------------------------------------------------------------

@pytest.mark.parametrize("k", ["abc", 2.5, None, True, 0, 101])
def test_search_k_must_be_a_whole_number_in_range(retriever, k):
    with pytest.raises(QueryError, match=r"k="):
        retriever.search("wind farm", k=k)


@pytest.mark.parametrize("kwargs,needle", [
    ({"outlets": "Forbes"}, "outlets must be a tuple of names"),
    ({"topics": [1, 2]}, "topics must be a tuple of names"),
    ({"date_from": "garbage"}, "date_from='garbage' is not a calendar date"),
    ({"date_to": "2024-02-30"}, "date_to='2024-02-30' is not a calendar date"),
    ({"date_from": "2024-03-01garbage"}, "is not a calendar date"),
    ({"date_from": "2024-03-05", "date_to": "2024-03-01"}, "is empty"),
])
def test_filters_are_checked_when_made(kwargs, needle):
    with pytest.raises(QueryError, match=needle):
        Filters(**kwargs)


def test_search_filters_must_be_filters(retriever):
    with pytest.raises(QueryError, match="is not a Filters"):
        retriever.search("wind farm", filters="Example Times")


def test_good_values_still_pass(retriever):
    import datetime

    import numpy as np

    assert Filters(outlets=["Example Times"]).outlets == ("Example Times",) and Filters(topics=None).topics == ()
    assert Filters(date_from=datetime.date(2024, 1, 1)).date_from == "2024-01-01"
    assert retriever.search("wind farm", k=np.int64(1))[0].title == GOOD["title"]
    assert parse_filters(["Example Times"], [], "2024-01", "2024-01").date_to == "2024-01-31"
    assert retriever.search("wind farm", k=1, filters=Filters(date_from="2024-01-01"))[0].title == GOOD["title"]


@pytest.mark.parametrize("question,needle", [
    (b"what about the wind farm?", "is bytes, not text"),
    ("wind farm caf\udce9?", "not UTF-8"),
    (42, "is a int, not text"),
    ("   ", "is empty"),
])
def test_unusable_questions_are_named(retriever, question, needle):
    with pytest.raises(QueryError, match=needle):
        validate_question(question)
    with pytest.raises(QueryError, match=needle):
        retriever.search(question)


# -- terminal output -------------------------------------------------------------------------------

def test_terminal_escapes_in_articles_are_not_printed(tmp_path):
    news = tmp_path / "news"
    news.mkdir()
    evil = dict(GOOD, title="Zephyr \x1b]0;pwned\x07wind farm", body=GOOD["body"] + " \x1b[2J\x1b[31mred\x1b[0m "
                "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\ and a bell\x07.")
    (news / "a.jsonl").write_text(_lines(evil))
    assert _cli("ingest", str(news), "--index", str(tmp_path / "idx"), "-q", cwd=tmp_path).returncode == 0
    for command in ("search", "ask"):
        out = _cli(command, "Zephyr wind farm megawatts", "--index", str(tmp_path / "idx"), cwd=tmp_path)
        assert out.returncode == 0 and "Zephyr" in out.stdout, out.stderr
        assert not any(ch in out.stdout for ch in "\x1b\x07\x9b"), out.stdout
    raw = _cli("search", "Zephyr wind farm", "--json", "--index", str(tmp_path / "idx"), cwd=tmp_path)
    assert "\\u001b" in raw.stdout and "\x1b" not in raw.stdout  # JSON keeps the text, escaped


def test_a_folder_named_in_bytes_that_are_not_utf8_is_skipped_and_the_rest_goes_on(tmp_path, fake_encoder):
    bad = os.path.join(os.fsencode(tmp_path), b"dump\xff")
    os.mkdir(bad)
    with open(os.path.join(bad, b"a.md"), "w") as fh:
        fh.write("# Hidden away\n\nA report in a folder whose name is not UTF-8.\n")
    (tmp_path / "news").mkdir()
    (tmp_path / "news" / "a.jsonl").write_text(_lines(GOOD))
    r = ingest([os.fsdecode(bad), tmp_path / "news"], tmp_path / "idx", fake_encoder, PLAN)
    assert r.added == 1 and any("dump\\xff" in w and "not UTF-8" in w for w in r.warnings)
