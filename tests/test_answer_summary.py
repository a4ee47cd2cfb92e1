""""Summarise what the articles say about X" gets the key sentences about X from different articles and
outlets, copies dropped, each cited and named, oldest article first (fake encoder)."""
from __future__ import annotations

from dataclasses import replace

import pytest

from qa.answer import verify
from qa.answer.extractive import ExtractiveAnswerer
from qa.answer.lead import kind
from qa.answer.summary import summary_subject
from tests.test_answer import documents_of, final, hit, query

ARTICLES = [  # (doc id, outlet, date, text)
    ("doc-1", "Wired", "2024-03-04", "Facial recognition cameras now watch most train stations in the city. "
     "The system matches faces against a police watch list in seconds."),
    ("doc-2", "The Guardian", "2024-01-15", "Privacy groups warn that facial recognition erodes civil liberties "
     "and is often wrong about darker-skinned faces."),
    ("doc-3", "TechCrunch", "2024-02-20", "A startup raised $20 million to sell facial recognition software to "
     "retailers who want to spot shoplifters."),
    ("doc-4", "Syndicated Wire", "2024-03-05", "Facial recognition cameras now watch most train stations in the "
     "city, officials said."),
]


def _hits():
    return [replace(hit(text, doc, rank), outlet=outlet, published=f"{date}T00:00:00Z") for rank, (doc, outlet, date, text)
            in enumerate(ARTICLES, start=1)]


@pytest.mark.parametrize("question, subject", [
    ("Summarise what the articles say about facial recognition", "facial recognition"),
    ("Summarize what the sources said about the FTX trial.", "the FTX trial"),
    ("What do the articles say about Sora?", "Sora"),
    ("Give me a summary of the coverage on layoffs", "layoffs"),
    ("What is Baidu doing in AI?", None),
    ("What do experts say about GenAI?", None),
])
def test_a_summary_question_and_its_subject(question, subject):
    assert summary_subject(question) == subject
    assert (kind(question) == "summary") == (subject is not None)


def test_a_summary_quotes_several_articles_and_outlets_without_copies_oldest_first(fake_encoder):
    hits = _hits()
    question = "Summarise what the articles say about facial recognition"
    answer = final(ExtractiveAnswerer(fake_encoder, threshold=0.05).stream(query(question), hits))[1]
    quotes = [q for c in answer.citations for q in c.quotes]
    assert not answer.abstained and len(quotes) >= 3
    assert len({c.doc_id for c in answer.citations}) >= 3 and len({c.outlet for c in answer.citations}) >= 3
    assert "civil liberties" in answer.text  # the concern is not lost to the most similar sentences
    assert answer.text.count("watch most train stations") == 1  # the syndicated copy is dropped
    dates = [c.date for c in answer.citations]
    assert dates == sorted(dates)  # [1] is the oldest article: the summary reads as the story went
    for c in answer.citations:
        assert f"{c.outlet} ({c.date}): " in answer.text and f"[{c.n}]" in answer.text
    assert verify(answer, documents_of(hits)) == []
