"""Grounding a written answer: every claim checked fact by fact against the passages its [n] markers name.

A model's answer is cut into claims (its first line, the direct answer, then one claim per sentence).
Each claim is checked with `qa.check` against the passages it cites: numbers, dates, names, polarity
and roles must agree with the sentences that back it, whose exact spans become the citation's quotes
(document offsets), so the UI highlights what backs each claim and `verify` can check them. A marker
naming no passage, or a passage that does not back its claim, is removed; a claim its cited passages
do not back is checked against all the passages and re-cited to the one that backs it. A claim a
passage contradicts is marked `[contradicted]` after the [n] of the passage that says otherwise (its
quote is the contradicting span); one nothing backs is marked `[unsupported]`. The direct answer is
checked against the claims under it: "Yes" above a contradicted claim, or a name or number that no
backed claim contains, is flagged too. Citation precision counts the model's own markers: the share
of its cited claims (the bare direct answer aside) whose cited passages back them. This module never
calls a model.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from qa.answer.cite import hit_citation
from qa.answer.records import Citation, Claim, Quote
from qa.check import Checker, ClaimCheck, as_passage
from qa.retrieve.records import Hit

DIRECT_WORDS = 6  # a first sentence this short is the direct answer ("Yes", "OpenAI"), which the claims back
UNSUPPORTED = "[unsupported]"
CONTRADICTED = "[contradicted]"
_MARKERS = re.compile(r"\s*(?:\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])+")
_NUMBER = re.compile(r"\d+")
_CLAIM_END = re.compile(r"(?<=[.!?])(?:\s*\[[\d,;\s]+\])*\s+(?=[A-Z0-9\"“(])|(?<=\])\s+(?=[A-Z\"“(])")


@dataclass(frozen=True, slots=True)
class Grounded:
    """An answer text with its markers renumbered to `citations`, the claims, and the counts."""

    text: str
    citations: tuple[Citation, ...]
    claims: tuple[Claim, ...]

    @property
    def unsupported(self) -> int:
        return sum(not c.supported for c in self.claims)


def split_claims(text: str) -> list[str]:
    """The lines of `text`, each cut into sentences (a sentence ends after its markers)."""
    claims = []
    for line in text.splitlines():
        line = re.sub(r"^\s*(?:[-*•]|\d+[.)])\s+", "", line).strip()
        claims += [part.strip() for part in _CLAIM_END.split(line) if part.strip()]
    return claims


def markers_of(claim: str) -> list[int]:
    """The passage numbers a claim cites, in order, without repeats."""
    return list(dict.fromkeys(int(n) for m in _MARKERS.finditer(claim) for n in _NUMBER.findall(m.group())))


def strip_markers(claim: str) -> str:
    return _MARKERS.sub("", claim).strip()


def ground(text: str, hits: Sequence[Hit]) -> Grounded:
    """Ground the model's `text`, whose [n] markers name `hits[n - 1]`."""
    passages = [as_passage(hit) for hit in hits]
    everywhere = Checker(passages)
    claims = split_claims(text)
    lines = [line for line in text.splitlines() if line.strip()]
    direct = len(lines) > 1 and len(split_claims(lines[0])) == 1  # the first line on its own: the direct answer
    quoted: dict[int, dict[tuple[int, int], bool]] = {}  # passage -> quoted spans (true: the span contradicts)
    rows = []
    for i, claim in enumerate(claims):
        words = strip_markers(claim)
        cited = markers_of(claim)
        stated = i > 0 or not direct or len(words.split()) > DIRECT_WORDS
        if not stated:
            rows.append([words, tuple(cited), [], "supported", "", False, False])  # its citations: `_direct`
            continue
        own = [n - 1 for n in cited if 1 <= n <= len(passages)]
        result = Checker([passages[p] for p in own]).check(words) if own else None
        as_cited = result is not None and result.supported
        if result is not None:
            result = _renumbered(result, own)
        if not as_cited:  # the model cited the wrong passage, or none: look in all of them
            anywhere = everywhere.check(words)
            if anywhere.supported or result is None or result.verdict == "unsupported":
                result = anywhere
        backing = list(dict.fromkeys(q.passage for q in result.quotes)) if result.verdict != "unsupported" else []
        for q in result.quotes if backing else ():
            quoted.setdefault(q.passage, {})[(q.start, q.end)] = result.verdict == "contradicted"
        rows.append([words, tuple(cited), backing, result.verdict, result.reason, as_cited, True])
    _direct(rows)
    number = {p: n for n, p in enumerate(quoted, start=1)}  # numbered in order of first citation
    out, records = [], []
    for words, cited, backing, verdict, reason, as_cited, stated in rows:
        cites = tuple(number[p] for p in backing)
        flag = {"supported": "", "contradicted": f" {CONTRADICTED}", "unsupported": f" {UNSUPPORTED}"}[verdict]
        out.append(_marked(words, "".join(f" [{n}]" for n in cites) + flag))
        records.append(Claim(words, cited, cites, verdict == "supported", 1.0 if verdict == "supported" else 0.0,
                             as_cited, stated, verdict, reason))
    citations = tuple(_citation(hits[p], n, quoted[p]) for p, n in number.items())
    return Grounded(_join(out, text), citations, tuple(records))


def _renumbered(result: ClaimCheck, own: list[int]) -> ClaimCheck:
    """A check made against the cited passages only, its quotes renumbered to all the passages."""
    quotes = tuple(type(q)(own[q.passage], q.start, q.end, q.text) for q in result.quotes)
    return ClaimCheck(result.claim, result.verdict, quotes, result.reason)


def _direct(rows: list[list]) -> None:
    """Flag the direct answer when the claims under it do not bear it out (rows are changed in place)."""
    if not rows or rows[0][6]:
        return
    direct, claims = rows[0], rows[1:]
    backed = {p for c in claims if c[3] == "supported" for p in c[2]}
    direct[2] = [n - 1 for n in direct[1] if n - 1 in backed]  # its own markers, where a backed claim quotes them
    direct[5] = bool(direct[2])
    answer = direct[0].strip().rstrip(".!").lower()
    if answer == "yes" and any(c[3] == "contradicted" for c in claims):
        direct[3], direct[4] = "contradicted", "a claim under this Yes is contradicted by its passage"
    elif answer not in ("yes", "no"):
        said = " ".join(c[0] for c in claims if c[3] == "supported").lower()
        words = re.findall(r"[a-z0-9][a-z0-9'&.-]*", answer)
        if words and not all(w.strip(".") in said for w in words):
            direct[3], direct[4] = "unsupported", f"no backed claim says {direct[0].strip()}"


def _citation(hit: Hit, n: int, spans: dict[tuple[int, int], bool]) -> Citation:
    quotes = tuple(Quote(hit.text[a:b], hit.start + a, hit.start + b, against) for (a, b), against in sorted(spans.items()))
    return hit_citation(n, hit, quotes)


def _marked(words: str, marks: str) -> str:
    """`words` with `marks` before its closing full stop, as the prompt asked the model to write them."""
    end = re.search(r"[.!?]+[\"”’')]*$", words)
    return words + marks if end is None else words[: end.start()] + marks + words[end.start():]


def _join(claims: list[str], text: str) -> str:
    """The claims as the model laid them out: its first line on its own, the rest as one paragraph."""
    lines = [line for line in text.splitlines() if line.strip()]
    first = len(split_claims(lines[0])) if lines else 0
    head, rest = claims[:first], claims[first:]
    return "\n".join(part for part in (" ".join(head), " ".join(rest)) if part)
