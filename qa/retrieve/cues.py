"""Reading a question for news cues: the outlets it names, the dates it mentions, its keywords.

News questions often say where and when ("as reported by The Verge on November 9,
2023"). Those words are weak evidence for text similarity but strong evidence
for which article is meant, so they are pulled out here and used by the ranker
as boosts, never as filters: a question naming an outlet the index lacks, or
naming none, is ranked exactly as before. Outlets are matched against the names
actually stored in the index, never against a fixed list. This module is pure
text processing: it reads no index and imports no model.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from qa.retrieve.terms import QUERY_STOPWORDS as STOPWORDS

MONTHS = {m: i for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july", "august",
                                      "september", "october", "november", "december"), 1)}
MONTHS |= {m[:3]: i for m, i in list(MONTHS.items())} | {"sept": 9}

_CAPITALISED_RUN = re.compile(r"\b[A-Z][\w'’&-]*(?:\s+[A-Z][\w'’&-]*)*")
_WORD = re.compile(r"\w+(?:['’]\w+)?", re.UNICODE)
_MONTH_RE = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_DAY_RE = r"(\d{1,2})(?:st|nd|rd|th)?"
_DATE_PATTERNS = (
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})"), ("y", "m", "d")),
    (re.compile(rf"\b{_MONTH_RE}\s+{_DAY_RE}(?:\s*,\s*|\s+)(\d{{4}})\b", re.I), ("M", "d", "y")),
    (re.compile(rf"\b{_DAY_RE}\s+(?:of\s+)?{_MONTH_RE}(?:\s*,\s*|\s+)(\d{{4}})\b", re.I), ("d", "M", "y")),
    (re.compile(rf"\b{_MONTH_RE}\s+{_DAY_RE}\b(?!\s*,?\s*\d{{4}})(?!:)", re.I), ("M", "d")),
    (re.compile(rf"\b{_MONTH_RE}\s+(?:of\s+)?(\d{{4}})\b", re.I), ("M", "y")),
)


@dataclass(frozen=True, slots=True)
class Cues:
    """What a question says about its articles.

    `outlets`: stored outlet names the question names. `days`: (year or None, month, day)
    of dates it mentions; `months`: (year, month) of months it mentions without a day.
    """

    outlets: frozenset[str] = frozenset()
    days: frozenset[tuple[int | None, int, int]] = frozenset()
    months: frozenset[tuple[int, int]] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.outlets or self.days or self.months)

    def date_match(self, date: str | None) -> str | None:
        """"day" when an ISO `date` is a day the question names, "month" for a named month, else None."""
        if not date or len(date) < 10 or not (date[:4].isdigit() and date[5:7].isdigit() and date[8:10].isdigit()):
            return None
        y, m, d = int(date[:4]), int(date[5:7]), int(date[8:10])
        if (y, m, d) in self.days or (None, m, d) in self.days:
            return "day"
        return "month" if (y, m) in self.months else None


def keywords(question: str) -> list[str]:
    """The question's content words, lowercased, in order, without stopwords or repeats."""
    words = (w.lower().replace("’", "'") for w in _WORD.findall(question))
    return list(dict.fromkeys(w for w in words if w not in STOPWORDS and (len(w) > 1 or w.isdigit())))


def find_dates(question: str) -> tuple[frozenset[tuple[int | None, int, int]], frozenset[tuple[int, int]]]:
    """(days, months) mentioned: "November 9, 2023", "9 Nov 2023", "2023-11-09", "October 6th", "October 2023"."""
    days: set[tuple[int | None, int, int]] = set()
    months: set[tuple[int, int]] = set()
    taken: list[tuple[int, int]] = []
    for pattern, roles in _DATE_PATTERNS:
        for m in pattern.finditer(question):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue  # already read as part of a fuller date
            parts = dict(zip(roles, m.groups()))
            month = MONTHS.get(parts["M"].lower().rstrip(".")) if "M" in parts else int(parts["m"])
            year = int(parts["y"]) if "y" in parts else None
            if not month or not 1 <= month <= 12:
                continue
            if "d" in parts:
                if not 1 <= int(parts["d"]) <= 31:
                    continue
                days.add((year, month, int(parts["d"])))
            elif year is not None:
                months.add((year, month))
            taken.append(m.span())
    return frozenset(days), frozenset(months)


class OutletMatcher:
    """Finds the stored outlets a question names.

    Each outlet answers to its full name, the name before a " - " or " | " section
    suffix ("The Independent - Sports" -> "The Independent"), either without a
    leading "The", its domain, and capitalised words that spell its domain's name
    ("China Daily" names the outlet of chinadaily.com.cn, whatever its stored name).
    A mention must start with a capital letter (or be a domain), so "a fortune"
    does not name Fortune. A longer name is tried first, so "The Independent -
    Sports" names the sports section only.
    """

    def __init__(self, outlets: Iterable[tuple[str, str | None]]) -> None:
        variants: dict[str, set[str]] = {}
        self._labels: dict[str, set[str]] = {}
        for name, domain in outlets:
            for v in _variants(name):
                variants.setdefault(v.lower(), set()).add(name)
            if domain and "." in domain:
                variants.setdefault(domain.lower(), set()).add(name)
                label = domain.lower().removeprefix("www.").split(".")[0]
                if len(label) >= 5:
                    self._labels.setdefault(label, set()).add(name)
        self._names = variants
        ordered = sorted(variants, key=len, reverse=True)
        self._re = re.compile(r"(?<![\w.])(" + "|".join(re.escape(v) for v in ordered) + r")(?![\w])", re.I) if ordered else None

    def find(self, question: str) -> frozenset[str]:
        found: set[str] = set()
        for m in self._re.finditer(question) if self._re else ():
            text = m.group(1)
            if text[0].isupper() or text[0].isdigit() or "." in text:
                found |= self._names[text.lower()]
        for run in _CAPITALISED_RUN.finditer(question) if self._labels else ():
            words = run.group().lower().split()
            for i in range(len(words)):
                for j in range(i + 1, min(i + 4, len(words)) + 1):
                    found |= self._labels.get("".join(words[i:j]), set())
        return frozenset(found)


def _variants(name: str) -> set[str]:
    name = " ".join(name.split())
    out = {name}
    short = re.split(r"\s+[-|–—:]\s+", name, maxsplit=1)[0]
    out.add(short)
    out |= {v[4:] for v in list(out) if v.lower().startswith("the ") and len(v) > 8}
    return {v for v in out if len(v) >= 3}


def read_cues(question: str, matcher: OutletMatcher | None) -> Cues:
    days, months = find_dates(question)
    return Cues(matcher.find(question) if matcher else frozenset(), days, months)


@dataclass(frozen=True, slots=True)
class Clause:
    """One part of a long question, with the outlets and dates named inside it."""

    text: str
    cues: Cues


# Where a question starts a new part: after a comma or semicolon (not the one inside "November 9, 2023"), and at
# "while", "whereas", "but", or "and" when a new clause or article follows ("and the Verge article ...", "and is").
_CLAUSE_BREAK = re.compile(
    r"\s*[;,]\s+(?!\d)|\s+(?=(?:while|whereas|but)\s)"
    r"|\s+(?=and\s+(?:the|a|an|is|was|has|had|did|does|also|then|what|which|who|how|its|his|her|their)\s)", re.I)


def clauses(question: str, matcher: OutletMatcher | None, min_words: int = 3) -> tuple[Clause, ...]:
    """The parts of a multi-part question, each with at least `min_words` content words besides names of outlets.

    A long news question often joins facts that live in different articles ("..., as
    reported by The Verge, and is accused by prosecutors of ..."); each part can then be
    searched on its own. Fragments too short to search alone (an outlet attribution,
    "respectively") are joined to their neighbour. A plain question gives one clause.
    """
    parts: list[str] = []
    buffer = ""
    for piece in _CLAUSE_BREAK.split(question):
        buffer = f"{buffer} {piece}".strip() if buffer else piece.strip()
        if _content_words(buffer, matcher) >= min_words:
            parts.append(buffer)
            buffer = ""
    if buffer:
        if parts:
            parts[-1] = f"{parts[-1]} {buffer}"
        else:
            parts.append(buffer)
    return tuple(Clause(p, read_cues(p, matcher)) for p in parts)


def _content_words(text: str, matcher: OutletMatcher | None) -> int:
    outlet_words = {w for name in (matcher.find(text) if matcher else ()) for w in keywords(name)}
    return sum(w not in outlet_words for w in keywords(text))
