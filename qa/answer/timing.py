"""Questions about the order of two reports: "Did TechCrunch report X before The Verge reported Y?"

Such a question is not about a date range (no date follows "before") and not about what the
articles say: it asks which of two reports came first, which their publication dates settle.
Each side names an outlet and what it reported; the passage of that outlet that best matches
its side is taken as the report (the two must be different articles), and the answer is Yes or
No from their dates, both shown, each report quoted and cited. Reports of the same day cannot be
ordered by date alone, and the answer says so. This module never retrieves nor calls a model.
"""
from __future__ import annotations

import re
from typing import Sequence

from qa.answer.cite import hit_citation
from qa.answer.extractive import candidate_sentences
from qa.answer.records import PARAGRAPH, Answer, Quote
from qa.retrieve.conversation import Query
from qa.retrieve.records import Hit
from qa.retrieve.terms import content_terms

_ASKS = re.compile(r"^\s*(?:did|was|were|had|has|is)\b", re.I)
_ORDER = re.compile(r"\b(?P<op>before|after|earlier\s+than|later\s+than|prior\s+to|ahead\s+of|following)\b", re.I)
_REPORTED = re.compile(r"\b(?:report\w*|publish\w*|discuss\w*|cover\w*|mention\w*|writ\w*|wrote|detail\w*|"
                       r"announc\w*|highlight\w*|describ\w*|explain\w*|articles?|stor(?:y|ies)|piece)\b", re.I)
_ABOUT_CONTENT = re.compile(r"\b(?:consisten\w*|inconsisten\w*|change[sd]?|agree\w*|disagree\w*|contradict\w*|"
                            r"differ\w*|same|similar\w*|align\w*|portray\w*)\b", re.I)
_DATE_NEXT = re.compile(r"^\s*(?:the\s+)?(?:\d|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|"
                        r"sat|sun|today|yesterday|last|this|next)", re.I)


def order_of_reports(query: Query, hits: Sequence[Hit]) -> Answer | None:
    """The dated Yes/No answer to "Did A report X before/after B reported Y?", or None for other questions."""
    question = query.text
    if not _ASKS.match(question) or _ABOUT_CONTENT.search(question):
        return None
    order = next((m for m in _ORDER.finditer(question) if not _DATE_NEXT.match(question[m.end():])), None)
    if order is None:
        return None
    first, second = question[: order.start()], question[order.end():]
    if not (_REPORTED.search(first) and _REPORTED.search(second)):
        return None
    a = _report(first, hits, None)
    b = _report(second, hits, a)
    if a is None or b is None or not a.date or not b.date:
        return None
    op = " ".join(order["op"].lower().split())
    earlier = op in ("before", "earlier than", "prior to", "ahead of")
    if a.date == b.date:
        head = (f"The dates cannot settle it: both reports were published on {a.date} "
                "(the articles give no time of day to order them).")
    else:
        yes = (a.date < b.date) == earlier
        relation = "before" if a.date < b.date else "after"
        head = (f"{'Yes' if yes else 'No'}: {_who(a)}'s report ({a.date}) came {relation} {_who(b)}'s ({b.date}).")
    return _answer(query, hits, head, [a, b], [first, second])


def newer_note(answer: Answer) -> str:
    """When the answer's sources disagree (a quote contradicts a claim) and were published on different days,
    one sentence saying which report is newer; else ""."""
    disagree = any(q.contradicts for c in answer.citations for q in c.quotes) or \
        any(c.verdict == "contradicted" for c in answer.claims)
    dated = sorted((c for c in answer.citations if c.date), key=lambda c: (c.date, c.n))
    if not disagree or len({c.date for c in dated}) < 2:
        return ""
    newest, oldest = dated[-1], dated[0]
    return (f"The sources disagree and differ in date: the newest is {newest.outlet or newest.title} "
            f"({newest.date}) [{newest.n}], the oldest {oldest.outlet or oldest.title} ({oldest.date}) [{oldest.n}].")


def _report(side: str, hits: Sequence[Hit], other: Hit | None) -> Hit | None:
    """The passage of the outlet `side` names that best matches what it says was reported."""
    lowered = side.lower()
    named = [h for h in hits if h.outlet and _name(h.outlet) in lowered and (other is None or h.doc_id != other.doc_id)]
    if not named:
        return None
    terms = set(content_terms(side)) - {w for h in named for w in content_terms(h.outlet or "")}
    return max(named, key=lambda h: (len(terms & set(content_terms(h.title + " " + h.text))), h.score))


def _name(outlet: str) -> str:
    """An outlet as a question names it: "The Independent - Sports" is named "the independent"."""
    return re.split(r"\s+[-|–—:]\s+", outlet, maxsplit=1)[0].lower()


def _who(hit: Hit) -> str:
    return re.split(r"\s+[-|–—:]\s+", hit.outlet or hit.title, maxsplit=1)[0]


def _answer(query: Query, hits: Sequence[Hit], head: str, reports: list[Hit], sides: list[str]) -> Answer:
    lines, citations = [head], []
    for n, (hit, side) in enumerate(zip(reports, sides), start=1):
        sentences = candidate_sentences([hit])
        terms = set(content_terms(side))
        best = max(sentences, key=lambda s: (len(terms & set(content_terms(s.text))), -s.index)) if sentences else None
        quotes = ()
        line = f"{_who(hit)} ({hit.date}): \"{hit.title}\" [{n}]"
        if best is not None:
            _, start, end = best.doc_span
            quotes = (Quote(best.text, start, end),)
            line = f"{_who(hit)} ({hit.date}): {best.text} [{n}]"
        lines.append(line)
        citations.append(hit_citation(n, hit, quotes))
    return Answer(query.asked, PARAGRAPH.join(lines), tuple(citations), False, tuple(hits), query.text, 1.0)
