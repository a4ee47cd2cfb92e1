"""Reading time in questions (qa.retrieve.when, qa.retrieve.dates) and ordering by it: pure, no index."""
from __future__ import annotations

import pytest

from index.document import Filters
from index.errors import ConfigError, QueryError
from qa.config import RankPlan
from qa.retrieve.dates import event_date
from qa.retrieve.hybrid import Ranked
from qa.retrieve.recency import newest_first
from qa.retrieve.retriever import within
from qa.retrieve.when import read_time

NOW = "2023-12-25"


@pytest.mark.parametrize("question, since, until", [
    ("What was reported about the ASX before 20 October 2023?", None, "2023-10-19"),
    ("What was reported about NASCAR after November 10, 2023?", "2023-11-11", None),
    ("What has happened with FTX since Oct. 3, 2023?", "2023-10-03", None),
    ("News about OpenAI until 2023-11-30", None, "2023-11-30"),
    ("What was the latest on Diablo 4 as of October 20, 2023?", None, "2023-10-20"),
    ("What was reported between October 1 and October 15?", "2023-10-01", "2023-10-15"),
    ("What was reported in November 2023 about OpenAI?", "2023-11-01", "2023-11-30"),
    ("What happened last week?", "2023-12-12", "2023-12-18"),
    ("What did they say yesterday about Apple?", "2023-12-24", "2023-12-24"),
    ("What was reported last month about Apple?", "2023-11-01", "2023-11-30"),
    ("Any news on Tesla in the past 3 days?", "2023-12-23", "2023-12-25"),
    ("What was reported about the trial before October 20?", None, "2023-10-19"),  # the last October 20 up to now
])
def test_bounds_are_read_as_dates_of_publication(question, since, until):
    reading = read_time(question, NOW)
    assert (reading.since, reading.until) == (since, until)


@pytest.mark.parametrize("question", [
    "Did The Verge report on the launch before TechCrunch reported the delay?",  # compares two reports
    "Which company received the most European patents in 2021?",  # the year of an event
    "Which chatbot saw a meteoric rise in usage during December 2022?",
    "Who founded the lab in late 2015?",
    "Which airline was praised by USA Today for its service?",  # "Today" in a name
])
def test_dates_that_do_not_bound_the_articles_are_not_read(question):
    reading = read_time(question, NOW)
    assert not reading.bounded


def test_a_question_comparing_reports_of_named_outlets_reads_no_time():
    question = ("Has the portrayal of Google in reports by The Age before October 22, 2023, remained consistent "
                "with The Verge's coverage?")
    assert not read_time(question, NOW, outlets=2)
    assert not read_time(question, NOW, outlets=1)  # one outlet, but it compares reports
    assert read_time("What did TechCrunch report about OpenAI after November 20, 2023?", NOW, outlets=1).since == "2023-11-21"


@pytest.mark.parametrize("question, recency", [
    ("What is the latest news on Sam Bankman-Fried's FTX fraud trial?", True),
    ("What's the most recent report about NASCAR?", True),
    ("Any recent updates on the Cricket World Cup?", True),
    ("What's new?", True),
    ("What is happening now with OpenAI?", True),
    ("Which company, recently reported by TechCrunch to have made a profit, faces criticism?", False),
    ("What did the band say about its latest tour?", False),
    ("What did the Forbes article say about the company's recent partnership?", False),
])
def test_recency_is_read_only_when_the_newest_articles_are_asked_for(question, recency):
    assert read_time(question, NOW).recency is recency


def test_timelines_and_the_subject_left_to_search():
    assert read_time("Give me a timeline of the OpenAI leadership crisis.", NOW).timeline
    assert read_time("How did the FTX trial unfold?", NOW).timeline
    assert read_time("How did the coverage of Travis Kelce develop over time?", NOW).timeline
    reading = read_time("What is the latest news on the Michigan sign-stealing scandal?", NOW)
    assert "latest" not in reading.subject and "Michigan sign-stealing scandal" in reading.subject
    assert read_time("What is the latest news in these articles?", NOW).subject == ""  # about the articles themselves
    assert read_time("What's new?", NOW).describe() == f"published on or before {NOW}, newest first, as of {NOW}"


def test_now_is_what_latest_is_read_against():
    assert read_time("What is the latest on NASCAR?", "2023-11-01").until == "2023-11-01"  # nothing from after now
    assert RankPlan(now="2023-11-01").now == "2023-11-01"
    for bad in ("yesterday", "2023-02-30", "2023-1-1"):
        with pytest.raises(ConfigError, match="now"):
            RankPlan(now=bad)


def test_a_bound_narrows_the_users_filters_and_an_empty_range_is_an_error():
    reading = read_time("What was reported about FTX before October 20, 2023?", NOW)
    narrowed = within(Filters(outlets=("The Verge",), date_from="2023-10-01"), reading)
    assert (narrowed.outlets, narrowed.date_from, narrowed.date_to) == (("The Verge",), "2023-10-01", "2023-10-19")
    with pytest.raises(QueryError, match="before 2023-10-19|outside the dates"):
        within(Filters(date_from="2023-11-01"), reading)
    assert within(None, read_time("What is the latest on FTX?", NOW)).date_to == NOW


@pytest.mark.parametrize("sentence, day", [
    ("On Thursday, the jury found him guilty.", "2023-11-02"),
    ("The trial began on Oct. 3, 2023 in Manhattan.", "2023-10-03"),
    ("He said yesterday that he would appeal.", "2023-11-02"),
    ("On 5 October the court heard the first witness.", "2023-10-05"),
    ("Sentencing is set for March 28, 2024.", None),  # a plan, after publication
    ("Come Tuesday, all eyes will be on the court.", None),  # not "on Tuesday"
    ("The company was founded on May 5, 2015.", None),  # background, long before
])
def test_event_dates_are_read_against_the_publication_date(sentence, day):
    assert event_date(sentence, "2023-11-03") == day  # a Friday


def test_newest_first_puts_the_newest_article_about_the_subject_first():
    found = [Ranked(1, "trial-opens", 1.0), Ranked(2, "verdict", 0.7), Ranked(3, "roundup", 0.55),
             Ranked(4, "testimony", 0.9), Ranked(5, "old-background", 0.2)]
    facts = {"trial-opens": ("Quorvex fraud trial opens", "2023-10-02"), "verdict": ("Quorvex guilty in fraud trial", "2023-11-03"),
             "roundup": ("Week in review: gadgets and games", "2023-11-20"), "testimony": ("Quorvex founder testifies", "2023-10-10"),
             "old-background": ("Quorvex fraud trial explained", "2023-12-01")}
    order = [r.doc_id for r in newest_first(found, "Quorvex fraud trial", facts, k=5)]
    assert order[0] == "verdict"  # the round-up is newer but not about the trial; the explainer is barely relevant
    assert order.index("testimony") < order.index("trial-opens")
    assert set(order) == set(facts)


def test_sources_that_disagree_and_differ_in_date_are_told_apart():
    from qa.answer.records import Answer, Citation, Quote
    from qa.answer.timing import newer_note

    old = Citation(1, "a", "Old report", "The Verge", "2023-10-02", None, "p", 0, 1, (Quote("p", 0, 1),))
    new = Citation(2, "b", "New report", "TechCrunch", "2023-11-03", None, "q", 0, 1, (Quote("q", 0, 1, True),))
    answer = Answer("?", "No: ... [2]", (old, new), False, ())
    assert newer_note(answer) == ("The sources disagree and differ in date: the newest is TechCrunch (2023-11-03) [2], "
                                  "the oldest The Verge (2023-10-02) [1].")
    agreeing = Citation(2, "b", "New report", "TechCrunch", "2023-11-03", None, "q", 0, 1, (Quote("q", 0, 1),))
    assert newer_note(Answer("?", "...", (old, agreeing), False, ())) == ""  # no quote says otherwise


def test_the_chat_shows_how_the_last_question_was_read_escaped():
    from ui.render import time_read_html

    shown = time_read_html(read_time("What was reported about <b>X</b> before October 20, 2023?", NOW))
    assert "published on or before 2023-10-19" in shown and "<b>" not in shown and "Untick" in shown
    assert time_read_html(read_time("Who founded OpenAI?", NOW)) == "" and time_read_html(None) == ""
