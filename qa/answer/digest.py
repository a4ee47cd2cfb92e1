"""Answers about the articles themselves ("What's new?", "What are the main stories this week?"), and the
line that says how a question about time was read ("Newest first, as of 2023-12-25.").

The retriever answers such a question with the newest articles (inside any dates the question
or the user set); here they become a short digest, grouped by topic, one line per article: its
date, outlet and opening sentence quoted, with its [n] citation.
"""
from __future__ import annotations

from typing import Sequence

from qa.answer.cite import hit_citation
from qa.answer.extractive import candidate_sentences
from qa.answer.records import PARAGRAPH, Answer, Citation, Quote
from qa.retrieve.conversation import Query
from qa.retrieve.records import Hit
from qa.retrieve.when import TimeReading

DIGEST_K = 10  # newest articles a digest shows
NOTHING_NEW = "No dated articles are indexed for that time."
OTHER = "Other news"


def time_note(reading: TimeReading | None) -> str:
    """One sentence saying how the question's time words were read, or "" when it has none."""
    if reading is None or not (reading.recency or reading.bounded):
        return ""
    described = reading.describe()
    return described[:1].upper() + described[1:] + "." if described else ""


def digest(query: Query, hits: Sequence[Hit]) -> Answer:
    """The newest articles of `hits`, grouped by their first topic (most articles first), each cited."""
    note = time_note(query.time)
    lines: list[tuple[str, str]] = []
    citations: list[Citation] = []
    for hit in hits:
        sentences = candidate_sentences([hit])
        if not sentences or any(c.doc_id == hit.doc_id for c in citations):
            continue
        first = sentences[0]
        _, start, end = first.doc_span
        n = len(citations) + 1
        citations.append(hit_citation(n, hit, (Quote(first.text, start, end),)))
        source = ", ".join(p for p in (hit.outlet, hit.date) if p)
        lines.append((hit.topics[0] if hit.topics else OTHER, f"{hit.title} ({source}): {first.text} [{n}]"))
    if not lines:
        text = PARAGRAPH.join(p for p in (note, NOTHING_NEW) if p)
        return Answer(query.asked, text, (), True, tuple(hits), query.text, 0.0, "digest")
    groups: dict[str, list[str]] = {}
    for topic, line in lines:
        groups.setdefault(topic, []).append(line)
    ordered = sorted(groups.items(), key=lambda g: (g[0] == OTHER, -len(g[1])))
    parts = [note or "The newest articles:"]
    for topic, group in ordered:
        parts += ([f"{topic}:"] if len(groups) > 1 else []) + group
    return Answer(query.asked, PARAGRAPH.join(parts), tuple(citations), False, tuple(hits), query.text, 1.0, "digest")
