"""Time in search, answers and the CLI, on a small index with the fake encoder (exact and fast)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from index.document import Filters
from index.errors import QueryError
from index.ingest import ingest
from index.settings import IndexSettings
from index.storage.layout import IndexDir
from qa.answer import ask, verify
from qa.config import RankPlan
from qa.retrieve.retriever import Retriever

ROOT = Path(__file__).resolve().parent.parent


def _article(url: str, title: str, outlet: str, date: str, body: str, topic: str = "business") -> dict:
    return {"url": url, "title": title, "source": outlet, "published_at": f"{date} 09:00:00Z", "category": topic,
            "body": body}


VERDICT = ("On Thursday, a jury found the Quorvex founder guilty on all seven counts of fraud and conspiracy. "
           "The Quorvex fraud trial lasted a month. Sentencing in the Quorvex case is set for March.")
ARTICLES = [
    _article("https://a.example/opens", "Quorvex fraud trial opens in Manhattan", "The Verge", "2023-10-02",
             "The Quorvex fraud trial opened on Monday with jury selection in Manhattan. Prosecutors say the "
             "Quorvex founder misused customer funds. The trial is expected to last a month."),
    _article("https://b.example/testifies", "Quorvex founder testifies at his fraud trial", "TechCrunch", "2023-10-20",
             "The Quorvex founder took the stand in his own fraud trial and denied misusing customer funds. "
             "Quorvex collapsed last year after a run on deposits."),
    _article("https://c.example/verdict", "Quorvex founder found guilty in fraud trial", "Fortune", "2023-11-03", VERDICT),
    _article("https://d.example/copy", "Jury convicts Quorvex founder", "Wire Daily", "2023-11-03", VERDICT),
    _article("https://e.example/roundup", "Week in review: gadgets, games and phones", "Gadget Weekly", "2023-11-20",
             "New phones, new consoles and a busy week for games. A new tablet arrived with a brighter screen. "
             "Elsewhere, the Quorvex appeal got a mention. The week closed with a big console sale.", "tech"),
    _article("https://f.example/bread", "Bread prices rise again", "The Independent", "2023-12-01",
             "Bakers say flour and energy costs pushed bread prices up for the third month in a row.", "food"),
]


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> Path:
    from tests.fakes import HashingEncoder

    root = tmp_path_factory.mktemp("time")
    src, idx = root / "src", root / "index"
    src.mkdir()
    (src / "a.jsonl").write_text("".join(json.dumps(a) + "\n" for a in ARTICLES))
    ingest([src], idx, HashingEncoder(), IndexSettings())
    return idx


@pytest.fixture
def retriever(index, fake_encoder):
    r = Retriever(IndexDir.open(index), fake_encoder)
    yield r
    r.close()


def test_now_is_the_newest_article_and_latest_puts_the_newest_report_on_the_subject_first(retriever):
    assert retriever.now() == "2023-12-01"
    hits = retriever.search("What is the latest news on the Quorvex fraud trial?", k=4)
    assert hits[0].date == "2023-11-03" and "guilty" in hits[0].text
    assert hits[0].url != "https://e.example/roundup"  # newer, but names the trial in passing only
    dated = Retriever(retriever.index, retriever.encoder, RankPlan(now="2023-10-25"))
    assert dated.search("What is the latest news on the Quorvex fraud trial?", k=1)[0].url == "https://b.example/testifies"


def test_a_bound_in_the_question_filters_and_combines_with_the_users(retriever):
    before = retriever.search("What was reported about the Quorvex trial before October 15, 2023?", k=5)
    assert before and all(h.date < "2023-10-15" for h in before)
    after = retriever.search("What was reported about the Quorvex trial after October 15, 2023?", k=5,
                             filters=Filters(outlets=("Fortune", "TechCrunch")))
    assert {h.url for h in after} == {"https://b.example/testifies", "https://c.example/verdict"}
    assert retriever.search("What was reported about the Quorvex trial after December 5, 2023?", k=5) == []
    with pytest.raises(QueryError, match="outside the dates"):
        retriever.search("What was reported about the Quorvex trial before October 15, 2023?",
                         filters=Filters(date_from="2023-11-01"))


def test_a_timeline_is_dated_oldest_first_quotes_verbatim_and_merges_copies(retriever, index):
    answer = ask("Give me a timeline of the Quorvex fraud trial.", retriever=retriever)
    assert answer.answerer == "timeline" and not answer.abstained
    lines = answer.text.split("\n\n")[1:]
    dates = [line[:10] for line in lines]
    assert dates == sorted(dates) and dates[0] == "2023-10-02"
    assert any(line.startswith("2023-11-02:") and "[3][4]" in line for line in lines)  # "on Thursday"; the copy merged
    assert not any("roundup" in (c.url or "") for c in answer.citations)
    store = IndexDir.open(index).store
    assert verify(answer, {c.doc_id: store.document(c.doc_id).text for c in answer.citations}) == []


def test_questions_about_the_articles_get_the_newest_and_are_never_follow_ups(retriever):
    history = [{"role": "user", "content": "Who testified at the Quorvex trial?"}, {"role": "assistant", "content": "…"}]
    answer = ask("What is the latest news in these articles?", history, retriever=retriever)
    assert answer.answerer == "digest" and answer.citations[0].date == "2023-12-01"
    assert answer.text.startswith("Published on or before 2023-12-01, newest first")


def test_time_answers_name_their_sources_dates(retriever):
    answer = ask("What is the latest news on the Quorvex fraud trial?", retriever=retriever)
    assert answer.text.startswith("Published on or before 2023-12-01, newest first, as of 2023-12-01.")
    assert "(2023-11-03): " in answer.text


def test_the_order_of_two_reports_is_settled_by_their_dates(retriever):
    answer = ask("Did The Verge report on the Quorvex trial opening before TechCrunch reported the founder's "
                 "testimony?", retriever=retriever, k=5)
    assert answer.text.startswith("Yes: The Verge's report (2023-10-02) came before TechCrunch's (2023-10-20).")
    answer = ask("Did TechCrunch report on the founder's testimony before The Verge reported the Quorvex trial "
                 "opening?", retriever=retriever, k=5)
    assert answer.text.startswith("No: ")


def test_newsdesk_timeline_prints_events_and_json(index):
    run = lambda *args: subprocess.run([sys.executable, "-m", "tests.fake_cli", *args, "--index", str(index)],  # noqa: E731
                                       capture_output=True, text=True, cwd=ROOT, timeout=300)
    out = run("timeline", "Quorvex fraud trial", "--json")
    assert out.returncode == 0, out.stderr
    events = [json.loads(line) for line in out.stdout.splitlines()]
    assert [e["date"] for e in events] == sorted(e["date"] for e in events)
    assert {"date", "text", "url", "doc_id", "outlet"} <= set(events[0])
    out = run("timeline", "Quorvex fraud trial", "--until", "2023-10-10")
    assert out.returncode == 0 and "2023-10-02" in out.stdout and "2023-11" not in out.stdout
    bad = run("search", "latest on Quorvex", "--now", "soon")
    assert bad.returncode == 2 and "--now" in bad.stderr
