"""Yes/No questions and "Is it true that ...?" answered by checking their statements, never by a prior.

A question is cut into the statements it asks about: "Is it true that X?" / "Is the claim that X
true?" is X; a yes/no question ("Does the TechCrunch article report that X, while The Verge says Y?",
"Did Sora come from OpenAI?") is cut at ", while" / ", and" / ", whereas" into parts, each with its
reporting frame ("the TechCrunch article reports that") removed and the outlet it names kept. Each
statement is checked (`qa.check`) against the passages of the outlet it names, or all passages. "Yes"
only when every statement is supported, "No" when one is contradicted; otherwise the question is not
settled: `settle` returns None for a yes/no question (the answerer says what each source says, as
before) and a "cannot settle" answer with the closest quotes for "Is it true that ...?". Every answer
quotes the spans that decided it verbatim, cited [n]. This module never retrieves nor calls a model.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from qa.retrieve.conversation import Query
from qa.answer.lead import kind
from qa.answer.cite import hit_citation
from qa.answer.records import PARAGRAPH, Answer, Quote
from qa.check import Checker, ClaimCheck, as_passage
from qa.retrieve.records import Hit

_CLAIM = re.compile(r"^\s*(?:is it (?:true|correct|accurate|right|the case) that|is the (?:claim|statement|report) "
                    r"that|true or false:?|fact[- ]check:?)\s+(?P<claim>.+?)(?:\s+(?:true|correct|accurate))?\s*\?*\s*$",
                    re.IGNORECASE | re.DOTALL)
_YESNO = re.compile(r"^\s*(?:does|did|do|is|was|were|are|has|have|had|can|could|will|would)\s+", re.IGNORECASE)
_PARTS = re.compile(r"\s*(?:,\s*(?:while|whereas|and)|;\s*and|\bwhile|\bwhereas)\s+", re.IGNORECASE)
_FRAME = re.compile(r"^(?:(?:does|did|do|is|was|has|have)\s+)?(?P<who>.{0,120}?)\s*(?P<verb>reports?|reported|"
                    r"suggests?|suggested|indicates?|indicated|claims?|claimed|says?|said|states?|stated|mentions?|"
                    r"mentioned|notes?|noted|writes?|wrote|implies?|implied|argues?|argued|reveals?|revealed)"
                    r"\s+(?:that\s+)?(?P<claim>.+)$", re.IGNORECASE | re.DOTALL)
_LEAD = re.compile(r"^(?:does|did|do|is|was|were|are|has|have|had|can|could|will|would)\s+", re.IGNORECASE)
_RELATION = re.compile(r"\b(?:consisten\w*|inconsisten\w*|same|different|differ\w*|agree\w*|disagree\w*|change[sd]?|"
                       r"contrast\w*|compar\w*|similar\w*|contradict\w*|align\w*)\b", re.IGNORECASE)
MIN_WORDS = 3  # a part shorter than this is no statement ("and so on")


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement a question asks about, and the outlet whose articles must back it (None: any)."""

    text: str
    outlet: str | None


def statements(question: str, outlets: Sequence[str] = ()) -> tuple[bool, list[Statement]]:
    """(is it an "Is it true that ...?" question, its statements); no statements for other questions.

    `outlets` are the outlet names of the passages: a part that names one is checked against its articles.
    """
    claim = _CLAIM.match(question)
    if claim:
        return True, [Statement(claim.group("claim").strip().rstrip("?"), None)]
    if not _YESNO.match(question) or _RELATION.search(question) or kind(question) != "yesno":
        return False, []  # "Can you tell me who ...?", "A or B?" (lead.kind); "Is the reporting consistent
        # between A and B?" asks about the reports, not their facts
    out = []
    for part in _PARTS.split(question.strip().rstrip("?")):
        framed = _FRAME.match(part.strip())
        text = framed.group("claim") if framed else _LEAD.sub("", part.strip())
        who = framed.group("who").lower() if framed else ""
        named = [o for o in dict.fromkeys(outlets) if o and o.lower() in who] or [None]  # "Do A and B both say X?"
        if len(text.split()) >= MIN_WORDS:
            out += [Statement(text.strip(" ,;"), outlet) for outlet in named]
    return False, out


def settle(query: Query, hits: Sequence[Hit], claims_only: bool = False) -> Answer | None:
    """The checked answer to a yes/no or "Is it true that ...?" question (only the latter with
    `claims_only`: a model answers the other yes/no questions), or None when checking does not apply."""
    is_claim, parts = statements(query.text, [h.outlet for h in hits if h.outlet])
    if not parts or not hits or (claims_only and not is_claim):
        return None
    passages = [as_passage(h) for h in hits]
    results = []
    for part in parts:
        own = [p for p, h in enumerate(hits) if part.outlet is None or h.outlet == part.outlet]
        result = Checker([passages[p] for p in own]).check(part.text)
        results.append((result, own))
    verdicts = [r.verdict for r, _ in results]
    if "contradicted" in verdicts:
        decided = [results[verdicts.index("contradicted")]]
        head = f"No: {decided[0][0].reason}."
    elif all(v == "supported" for v in verdicts):
        decided = results
        head = "Yes: " + ("the articles back it." if len(results) == 1 else "the articles back every part.")
    elif is_claim:
        decided = [(r, own) for r, own in results if r.quotes][:1]
        head = f"The articles cannot settle it: {results[verdicts.index('unsupported')][0].reason}."
    else:
        return None
    return _answer(query, hits, head, decided)


def _answer(query: Query, hits: Sequence[Hit], head: str, decided: list[tuple[ClaimCheck, list[int]]]) -> Answer:
    spans: dict[int, dict[tuple[int, int], bool]] = {}  # hit index -> quoted spans (true: contradicts)
    for result, own in decided:
        for q in result.quotes:
            spans.setdefault(own[q.passage], {})[(q.start, q.end)] = result.verdict == "contradicted"
    number = {p: n for n, p in enumerate(spans, start=1)}
    lines = [head]
    for p, quoted in spans.items():
        lines += [f"{hits[p].outlet + ': ' if hits[p].outlet else ''}{hits[p].text[a:b]} [{number[p]}]"
                  for a, b in sorted(quoted)]
    citations = tuple(hit_citation(n, h, tuple(Quote(h.text[a:b], h.start + a, h.start + b, against)
                                               for (a, b), against in sorted(spans[p].items())))
                      for p, n in number.items() for h in (hits[p],))
    return Answer(query.asked, PARAGRAPH.join(lines), citations, False, tuple(hits), query.text, 1.0)
