"""Timelines: "Give me a timeline of X", "How did X unfold?", `newsdesk timeline QUERY`.

A timeline is a dated list, oldest first, one line per event: the date, what happened
(a sentence quoted from an article) and its [n] citation. The articles are those the
retriever finds about the subject (qa.retrieve.recency.about_subject: relevant enough,
and headlined on it), one event each: the sentence of its passage that says most about
the subject, preferring one that names a date. An event is dated by a date its sentence
names ("on Tuesday", "on October 5", read against the article's publication date) when
that date is not after the article's; else by the article's date. Copies of one event
from several articles (one wire story republished) become one line citing each. No model
writes anything here: every line is a verbatim quote.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Sequence

from index.document import Filters
from qa.answer.cite import hit_citation
from qa.answer.extractive import Sentence, candidate_sentences
from qa.answer.records import PARAGRAPH, Answer, Citation, Quote
from qa.retrieve.hybrid import Ranked
from qa.retrieve.recency import about_subject, headline_share, subject_terms
from qa.retrieve.records import Hit
from qa.retrieve.retriever import Retriever, validate_question
from qa.retrieve.dates import event_date

TIMELINE_K = 40  # articles searched: a story of a few dozen articles fits
SAME_EVENT = 0.6  # word overlap (Jaccard) above which two sentences tell one event
NO_EVENTS = "The indexed articles hold no dated events about this."


@dataclass(frozen=True, slots=True)
class Event:
    """One line of a timeline: `text == document(doc_id).text[start:end]`, dated `date` (YYYY-MM-DD);
    `dated_by` is "sentence" when the sentence names the date, "article" when it is the publication date;
    `n` is its citation number and `also` the numbers of copies of the same event."""

    date: str
    text: str
    doc_id: str
    start: int
    end: int
    url: str | None
    outlet: str | None
    title: str
    published: str | None
    dated_by: str
    n: int = 0
    also: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Timeline:
    """The events about `subject`, oldest first, and the answer that shows them (`answer.text`, citations)."""

    subject: str
    events: tuple[Event, ...]
    answer: Answer


def timeline(query: str, retriever: Retriever | None = None, filters: Filters | None = None,
             k: int = TIMELINE_K) -> Timeline:
    """The timeline of `query`: a subject ("Sam Bankman-Fried") or a question ("How did the FTX trial unfold?").

    Dates the question bounds ("since November 1, 2023") and `filters` both apply.
    """
    query = validate_question(query)
    retriever = retriever or Retriever.open()
    reading = retriever.read_time(query)
    hits = retriever.search(query, k=k, filters=filters)
    return from_hits(query, reading.subject or query, hits)


def from_hits(question: str, subject: str, hits: Sequence[Hit]) -> Timeline:
    """The timeline of the articles of `hits` that are about `subject`."""
    facts = {h.doc_id: (h.title, h.date) for h in hits}
    about = about_subject([Ranked(h.chunk_id, h.doc_id, h.score) for h in hits], subject, facts)
    first = {}
    for h in hits:
        first.setdefault(h.doc_id, h)
    terms = subject_terms(subject)
    merged: list[tuple[Event, list[Event]]] = []
    passages: list[str] = []  # the passage each line of `merged` was told from
    for doc_id in sorted(about, key=lambda d: (first[d].date or "", d)):
        hit = first[doc_id]
        copy = next((i for i, text in enumerate(passages) if _jaccard(text, hit.text) >= SAME_EVENT), None)
        if copy is not None:  # the same article again (a wire story republished): one line, each copy cited
            event = _event(hit, terms, [], prefer=merged[copy][0].text)
            if event is not None:
                merged[copy][1].append(event)
            continue
        event = _event(hit, terms, [m[0].text for m in merged])
        if event is not None:
            merged.append((event, []))
            passages.append(hit.text)
    merged.sort(key=lambda m: (m[0].date, m[0].published or "", m[0].doc_id))
    return _compose(question, subject, merged, hits)


def _event(hit: Hit, terms: dict[str, float], said: Sequence[str], prefer: str | None = None) -> Event | None:
    """The article's event: its sentence that says most about the subject (a dated one preferred) and does
    not repeat a sentence already in the timeline (boilerplate such as "X, the founder of Y, is on trial");
    for a copy, its sentence closest to `prefer`, the line it joins."""
    sentences = [s for s in candidate_sentences([hit]) if not s.text.rstrip("”\"'’ ").endswith("?")]
    if not sentences:
        return None
    if prefer is not None:
        sentences = [max(sentences, key=lambda s: _jaccard(s.text, prefer))]
    fresh = [s for s in sentences if all(_jaccard(s.text, t) < SAME_EVENT for t in said)] or sentences
    best = max(fresh, key=lambda s: (_says(s, terms) + (0.25 if event_date(s.text, hit.date) else 0.0)
                                     - (0.2 if s.text[:1] in "“\"'‘" else 0.0), -s.index))
    dated = event_date(best.text, hit.date)
    _, start, end = best.doc_span
    return Event(dated or hit.date or "", best.text, hit.doc_id, start, end, hit.url, hit.outlet, hit.title,
                 hit.date, "sentence" if dated else "article")


def _says(sentence: Sentence, terms: dict[str, float]) -> float:
    """How much of the subject the sentence names (its first sentences slightly preferred)."""
    return headline_share(terms, sentence.text) - 0.02 * sentence.index


def _compose(question: str, subject: str, merged: list[tuple[Event, list[Event]]], hits: Sequence[Hit]) -> Timeline:
    by_doc = {}
    for h in hits:
        by_doc.setdefault(h.doc_id, h)
    citations: list[Citation] = []
    events: list[Event] = []
    for main, copies in merged:
        numbers = []
        for e in [main, *copies]:
            h = by_doc[e.doc_id]
            n = len(citations) + 1
            citations.append(hit_citation(n, h, (Quote(e.text, e.start, e.end),)))
            numbers.append(n)
        events.append(Event(**{**asdict(main), "n": numbers[0], "also": tuple(numbers[1:])}))
    if not events:
        answer = Answer(question, NO_EVENTS, (), True, tuple(hits), subject, 0.0, "timeline")
        return Timeline(subject, (), answer)
    lines = [f"Timeline, oldest first ({len(events)} event{'s' if len(events) > 1 else ''} "
             f"from {len(citations)} article{'s' if len(citations) > 1 else ''}):"]
    for e in events:
        marks = "".join(f"[{n}]" for n in (e.n, *e.also))
        lines.append(f"{e.date}: {e.text} {marks}")
    answer = Answer(question, PARAGRAPH.join(lines), tuple(citations), False, tuple(hits), subject,
                    1.0, "timeline")
    return Timeline(subject, tuple(events), answer)


def _jaccard(a: str, b: str) -> float:
    wa, wb = set(a.lower().split()), set(b.lower().split())
    return len(wa & wb) / len(wa | wb) if wa and wb else 0.0
