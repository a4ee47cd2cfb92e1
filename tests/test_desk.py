"""The chat UI's back end without a browser: rendering is escaped, uploads are checked and searchable at once."""
from __future__ import annotations

import html

import pytest

from index.chunk import ChunkPlan
from index.ingest import ingest
from index.storage.layout import IndexDir
from qa.answer import Answer, Citation, Quote
from qa.answer.extractive import ExtractiveAnswerer
from qa.retrieve.retriever import Retriever
from qa.retrieve.records import Hit
from ui import render
from index.document import Filters
from index.ingest.uploads import MAX_UPLOAD_FILES, UploadRejected, check_uploads, safe_name
from ui.desk import CorpusSummary, Desk
from index.settings import IndexSettings

EVIL = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


def citation(**overrides) -> Citation:
    passage = f"Before. {EVIL} said the minister. After."
    start = passage.index(EVIL)
    fields = dict(n=1, doc_id="d", title=f"Title {EVIL}", outlet=f"Outlet {EVIL}", date="2024-01-02",
                  url="https://example.com/a?x=1&y=<b>", passage=passage, passage_start=100,
                  passage_end=100 + len(passage), quotes=(Quote(EVIL, 100 + start, 100 + start + len(EVIL)),))
    return Citation(**(fields | overrides))


def test_cards_escape_corpus_text_and_mark_the_quote():
    html = render.card_html(citation(), turn=2)
    assert "<script>" not in html and "<img" not in html and "&lt;script&gt;" in html
    assert '<mark>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;</mark>' in html
    assert 'id="nd-src-2-1"' in html and 'href="https://example.com/a?x=1&amp;y=&lt;b&gt;"' in html


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,hi", "/relative/path", "ftp://x/y", None,
                                 "JAVASCRIPT:alert(1)", "https:///nohost"])
def test_only_http_links_are_clickable(url):
    html = render.card_html(citation(url=url), turn=1)
    assert "<a " not in html and "Title &lt;img" in html


def test_answer_markers_link_to_their_cards_and_text_is_escaped():
    html = render.answer_html(f"{EVIL} [1] Second sentence. [2]", turn=3)
    assert "<script>" not in html
    assert '<a class="nd-cite" href="#nd-src-3-1">[1]</a>' in html and 'href="#nd-src-3-2"' in html


def test_a_quote_across_a_hard_wrapped_line_reads_as_one_line():
    html = render.answer_html("opened a factory in Gdansk on Tuesday that will\n  employ 1,200 people. [1]", turn=1)
    assert "that will employ 1,200 people." in html and "\n" not in html


def test_the_direct_answer_stands_on_a_line_of_its_own():
    html = render.answer_html("OpenAI [1]\n\nSora, a model developed by OpenAI, was\nshown on Thursday. [1]", turn=1)
    assert '[1]</a><br>Sora, a model developed by OpenAI, was shown on Thursday.' in html


def test_filters_that_exclude_everything_are_named_in_chat_and_sources_alike():
    summary = CorpusSummary(5, 14, 4, "2024-02-21", "2024-03-07", None, ("Outlet <b>",), ())
    note = render.filters_note(Filters(outlets=("Outlet <b>",), date_from="2030-01-01"), summary)
    assert note == ("No article matches the filters (outlet Outlet <b>; from 2030-01-01). The articles run from "
                    "2024-02-21 to 2024-03-07. Widen or clear the filters under Filters, then ask again.")
    answer = Answer("q", "The indexed articles don't answer this.", (), True, ())
    chat = render.answer_html(answer.text, 1, True, note)
    sources = render.sources_html([("q", answer, note)])
    shown = html.escape(note)
    assert shown in chat and shown in sources and "<b>" not in chat + sources
    assert "No passages match the filters" in sources and "listed under Sources" not in chat


def test_highlight_trims_long_passages_around_the_quote():
    passage = "word " * 200 + "THE QUOTE." + " tail" * 200
    start = passage.index("THE QUOTE.")
    html = render.highlighted(passage, [(start, start + 10)], context=50)
    assert html.startswith("…") and html.endswith("…") and "<mark>THE QUOTE.</mark>" in html and len(html) < 200


def test_abstained_turn_lists_the_closest_passages():
    hit = Hit(1, 0.1, 7, "d", "Some passage.", 0, 13, "A title", "Outlet", None, None, "a.txt")
    answer = Answer("q", "The indexed articles don't answer this.", (), True, (hit,))
    html = render.sources_html([("first?", answer), ("second?", answer)])
    assert "Closest passages" in html and "A title" in html
    assert html.index("second?") < html.index("first?") and "<details" in html  # newest first, older folded


@pytest.fixture
def desk(tmp_path, seeds_copy, fake_encoder):
    ingest([seeds_copy], tmp_path / "idx", fake_encoder, IndexSettings(chunk=ChunkPlan(max_tokens=64)))
    retriever = Retriever(IndexDir.open(tmp_path / "idx", fake_encoder.model_id), fake_encoder)
    yield Desk(retriever, answerer=ExtractiveAnswerer(fake_encoder, threshold=0.3))
    retriever.close()


def test_summary_and_example_questions_come_from_the_index(desk):
    s = desk.summary()
    assert s.documents == 5 and s.chunks > 5 and s.date_from <= s.date_to and s.last_ingest
    assert desk.example_questions(3) == ["Who developed Sora?", "What is GenAI?", "What is Baidu known for?"]


def test_uploaded_article_is_answerable_right_away(desk, tmp_path):
    upload = tmp_path / "browser upload" / "Zephyr report.md"
    upload.parent.mkdir()
    upload.write_text("# Zephyr turbines\n\nThe Zephyr wind farm near Aberdeen produced 40 megawatts of power in "
                      "its first winter, its operator said on Monday.\n")
    seen = []
    report = desk.add_files([str(upload)], progress=lambda done, desc: seen.append((done, desc)))
    assert report.added == 1 and not report.errors and seen and seen[-1][0] == 1.0
    assert (desk.index_path / "uploads" / "Zephyr_report.md").is_file()
    answer = [p for p in desk.ask_stream("How much power did the Zephyr wind farm produce?") if isinstance(p, Answer)][0]
    assert not answer.abstained and "40 megawatts" in answer.text
    assert answer.citations[0].title == "Zephyr turbines"
    assert desk.summary().documents == 6


def test_uploads_are_checked_before_anything_is_written(desk, tmp_path):
    bad = tmp_path / "tool.exe"
    bad.write_bytes(b"MZ")
    with pytest.raises(UploadRejected, match=r"tool.exe is not an article file .*\.txt"):
        desk.add_files([str(bad)])
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * 6_000_000)
    with pytest.raises(UploadRejected, match="big.txt is 6.0 MB, the limit is 5 MB"):
        check_uploads([big])
    with pytest.raises(UploadRejected, match=f"the limit is {MAX_UPLOAD_FILES}"):
        check_uploads([tmp_path / f"{i}.txt" for i in range(MAX_UPLOAD_FILES + 1)])
    with pytest.raises(UploadRejected, match="no file was uploaded"):
        check_uploads([])
    assert not (desk.index_path / "uploads").exists()


def test_unreadable_upload_is_reported_by_name(desk, tmp_path):
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{not json\n")
    report = desk.add_files([str(broken)])
    assert report.errors and "broken.jsonl" in str(report.errors[0]) and str(tmp_path) not in str(report.errors[0])


@pytest.mark.parametrize("name,expected", [("../../etc/passwd.txt", "passwd.txt"), ("a b?.MD", "a_b.md"),
                                           (".hidden.txt", "hidden.txt"), ("noext", "noext")])
def test_safe_name(name, expected):
    assert safe_name(name) == expected
