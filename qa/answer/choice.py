"""A-or-B questions ("Was it Google or Microsoft that bought Activision?") answered with the option the
passages back, never read as yes or no.

`options` finds the two (or more) names a question offers: "Was it A or B that ...", "Did A or B ...",
"Which company ..., A or B?". `each_option` adds each option's best sentence to what the extractive
answer quotes, so the reader sees both sides' evidence. `chosen` decides: the claim the question makes
of each option ("Microsoft bought Activision") is checked (`qa.check`) against the passages; exactly
one supported decides it; otherwise the option whose best sentence scores highest among the sentences
that also hold the question's other words, or none when no sentence names an option. This module
never retrieves, scores sentences for the answer, or builds citations.
"""
from __future__ import annotations

import re
from typing import Sequence

from qa.check import Checker, as_passage
from qa.retrieve.terms import STOPWORDS, words

_NAME = r"(?:(?i:the)\s+)?[A-Z][\w&.'’-]*(?:\s+(?:of\s+)?[A-Z0-9][\w&.'’-]*){0,3}"
_OPTIONS = rf"(?P<options>{_NAME}(?:\s*,\s*{_NAME})*,?\s+(?i:or)\s+{_NAME})"
_FRONT = re.compile(rf"^\s*(?i:(?:whether|if)\s+)?(?:(?P<it>(?i:(?:was|is|were|are)\s+it|it\s+(?:was|is|were)))|"
                    rf"(?i:did|does|do|has|have|had|will|would|can|could|was|is))\s+{_OPTIONS}\s+"
                    rf"(?i:(?:that|who|which)\s+)?(?P<rest>[^?]+)")  # names are capitalised: no IGNORECASE
_TAIL = re.compile(rf"[,:]\s*{_OPTIONS}\s*\?\s*$")
_SOURCE_VERB = re.compile(r"(?:report|say|said|mention|suggest|claim|state|write|wrote|note|indicate|cover|argue)",
                          re.IGNORECASE)
_SPLIT = re.compile(r"\s*,\s*(?:or\s+)?|\s+or\s+")


def options(question: str) -> tuple[tuple[str, ...], str | None]:
    """(the options a question offers, the claim it makes of each with "{}" for the option), or ((), None).
    The tail form ("Which company ..., A or B?") has no claim: only the scores decide it."""
    m = _FRONT.match(question) or _TAIL.search(question)
    if m is None:
        return (), None
    if m.groupdict().get("rest") and not m.group("it") and _SOURCE_VERB.match(m.group("rest")):
        return (), None  # "Did TechCrunch or Wired report that ...?" asks whether either did: yes or no
    names = tuple(n for n in _SPLIT.split(m.group("options").strip()) if n)
    if len(names) < 2 or any(not re.match(r"(?:the\s+)?[A-Z]", n) for n in names):
        return (), None
    claim = "{} " + m.group("rest").strip() if "rest" in m.groupdict() and m.group("rest") else None
    return names, claim


def _holds(text: str, option: str) -> re.Match | None:
    core = re.sub(r"^the\s+", "", option, flags=re.IGNORECASE)
    return re.search(rf"(?<![\w-]){re.escape(core)}(?![\w-])", text, re.IGNORECASE)


def each_option(question: str, picked: list, ranked: list) -> list:
    """`picked` with each option's best sentence added when no picked sentence names it yet (`picked` and
    `ranked`: (sentence, score) pairs, anything with `.text`)."""
    out = list(picked)
    for option in options(question)[0]:
        if not any(_holds(s.text, option) for s, _ in out):
            best = next(((s, score) for s, score in ranked if _holds(s.text, option)), None)
            if best is not None:
                out.append(best)
    return out


def chosen(question: str, shown: Sequence, ranked: Sequence) -> tuple[int, int, int] | None:
    """The backed option as (index into `shown`, start, end) of its span in a shown sentence, or None.
    `shown` are the quoted sentences, `ranked` every candidate (sentence, score), best first."""
    names, claim = options(question)
    if not names:
        return None
    winner = None
    if claim is not None:
        hits = list({id(s.hit): s.hit for s, _ in ranked}.values())
        checker = Checker([as_passage(h) for h in hits])
        backed = [n for n in names if checker.check(claim.format(re.sub(r"^the\s+", "", n, flags=re.I))).supported]
        winner = backed[0] if len(backed) == 1 else None
    if winner is None:
        asked = set(words(question)) - STOPWORDS - {w for n in names for w in words(n)}
        best: dict[str, float] = {}
        for s, score in ranked:
            for n in names:
                if _holds(s.text, n) and asked & set(words(s.text)) and n not in best:
                    best[n] = score
        named = [n for n in names if n in best]
        winner = max(named, key=best.get) if named else None
    if winner is None:
        return None
    for i, s in enumerate(shown):
        m = _holds(s.text, winner)
        if m:
            return i, m.start(), m.end()
    return None
