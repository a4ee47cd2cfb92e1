"""Numbers and dates read as values from spaCy tokens, so "$10bn" equals "10 billion dollars".

A mention is one number (its value times its scale word: hundred, thousand, million, billion,
"bn", "m", "k"), with its unit when it has one (a currency, percent), or one calendar word (a month or
weekday, spelled out or abbreviated). Spaced forms and written-out numbers up to the tens are read
("four" = 4, "twenty-five" = 25, "1,000" = 1000, "10 per cent" = "10%"). Ordinals ("first", "3rd")
are numbers of their own kind. This module reads tokens; it never loads a pipeline nor judges claims.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_DIGITS = re.compile(r"(\d[\d,]*(?:\.\d+)?|\.\d+)(bn|b|mn|m|k|tn|trn)?(?![a-z])", re.IGNORECASE)
_ORDINAL = re.compile(r"^(\d+)(?:st|nd|rd|th)$", re.IGNORECASE)
_WORDS = {w: n for n, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split())}
_WORDS |= {w: 10 * n for n, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), start=2)}
_WORDS |= {"dozen": 12, "a dozen": 12}
_ORDINAL_WORDS = {w: n for n, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split(), start=1)}
_SCALES = {"hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
           "bn": 1e9, "b": 1e9, "mn": 1e6, "m": 1e6, "k": 1e3, "tn": 1e12, "trn": 1e12, "mln": 1e6}
_SUFFIX_SCALES = {"bn": 1e9, "b": 1e9, "mn": 1e6, "m": 1e6, "k": 1e3, "tn": 1e12, "trn": 1e12}
_CURRENCY = {"$": "$", "us$": "$", "$us": "$", "usd": "$", "dollar": "$", "dollars": "$", "€": "€", "eur": "€",
             "euro": "€", "euros": "€", "£": "£", "gbp": "£", "pound": "£", "pounds": "£", "¥": "¥", "yen": "¥"}
MONTHS = {m: n for n, names in enumerate(
    ["january jan", "february feb", "march mar", "april apr", "may", "june jun", "july jul", "august aug",
     "september sep sept", "october oct", "november nov", "december dec"], start=1) for m in names.split()}
WEEKDAYS = {d: n for n, names in enumerate(
    ["monday mon", "tuesday tue tues", "wednesday wed", "thursday thu thurs", "friday fri", "saturday sat",
     "sunday sun"]) for d in names.split()}
RELATIVE = {"today", "tonight", "yesterday", "tomorrow", "week", "weekend"} | set(WEEKDAYS)


@dataclass(frozen=True, slots=True)
class Mention:
    """One value a text states: `kind` is "number", "ordinal", "month" or "weekday"."""

    kind: str
    value: float
    unit: str  # "$", "€", "£", "¥", "%" or "" (none stated)
    first: int  # token indices [first, last] of the doc it was read from
    last: int

    def same(self, other: "Mention") -> bool:
        """The same value of the same kind; a unit only counts when both state one."""
        if self.kind != other.kind or abs(self.value - other.value) > 1e-9 * max(1.0, abs(self.value)):
            return False
        return not (self.unit and other.unit and self.unit != other.unit)

    def spoken(self, doc) -> str:
        """The mention as the text wrote it."""
        return doc[self.first : self.last + 1].text


def mentions(doc) -> list[Mention]:
    """Every number, ordinal, month and weekday of a spaCy `Doc` (or span), in order."""
    found: list[Mention] = []
    tokens = list(doc)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        low = token.lower_.rstrip(".")
        if low in MONTHS and (token.text[:1].isupper() and (low != "may" or token.pos_ in ("PROPN", ""))):
            found.append(Mention("month", MONTHS[low], "", i, i))
        elif low in WEEKDAYS and token.text[:1].isupper() and (len(low) > 3 or token.text.endswith(".")):
            found.append(Mention("weekday", WEEKDAYS[low], "", i, i))
        elif low in _ORDINAL_WORDS or _ORDINAL.match(low):
            found.append(Mention("ordinal", _ORDINAL_WORDS.get(low) or int(_ORDINAL.match(low).group(1)), "", i, i))
        else:
            i = _number(tokens, i, found)
            continue
        i += 1
    return found


def _number(tokens, i: int, found: list[Mention]) -> int:
    """Read the number that starts at token `i` (if any) into `found`; the index after it."""
    token = tokens[i]
    low = token.lower_
    values: list[float] = []
    if low in _WORDS or (low.count("-") == 1 and all(p in _WORDS for p in low.split("-"))):
        values = [float(sum(_WORDS[p] for p in low.split("-")))]
    elif any(ch.isdigit() for ch in low) and ":" not in low:
        for m in _DIGITS.finditer(low):
            try:
                values.append(float(m.group(1).replace(",", "")) * _SUFFIX_SCALES.get((m.group(2) or "").lower(), 1))
            except ValueError:
                continue
    if not values:
        return i + 1
    first, last = i, i
    unit = _unit_before(tokens, i) or _unit_inside(token.text)
    if unit:
        first = i - 1 if tokens[i - 1].lower_ in _CURRENCY else i
    j = i + 1
    while j < len(tokens) and tokens[j].lower_ in _SCALES and len(values) == 1 and not (
            tokens[j].lower_ in ("m", "b", "k") and tokens[j].whitespace_ == "" and j + 1 < len(tokens)
            and tokens[j + 1].is_alpha):
        values[0] *= _SCALES[tokens[j].lower_]
        last, j = j, j + 1
    after = _unit_after(tokens, j)
    if after:
        unit, (last, j) = after[0], (after[1], after[1] + 1)
    for n, value in enumerate(values):  # "2-1" holds two numbers; the unit belongs to the whole token
        found.append(Mention("number", value, unit if len(values) == 1 else "", first if n == 0 else i,
                             last if n == len(values) - 1 else i))
    return j


def _unit_before(tokens, i: int) -> str:
    if i > 0 and tokens[i - 1].lower_ in _CURRENCY and not tokens[i - 1].is_alpha:
        return _CURRENCY[tokens[i - 1].lower_]
    return ""


def _unit_inside(text: str) -> str:
    """A currency written onto the number ("US83.59" after a "$", "$5bn")."""
    low = text.lower()
    for sign in ("us$", "$us", "$", "€", "£", "¥"):
        if low.startswith(sign):
            return _CURRENCY[sign]
    return ""


def _unit_after(tokens, j: int) -> tuple[str, int] | None:
    """A unit after the number: "%", "percent", "per cent", "dollars", "euros"; (unit, its last token)."""
    if j >= len(tokens):
        return None
    low = tokens[j].lower_
    if low in ("%", "percent", "pct"):
        return "%", j
    if low == "per" and j + 1 < len(tokens) and tokens[j + 1].lower_ == "cent":
        return "%", j + 1
    if low in _CURRENCY and tokens[j].is_alpha:
        return _CURRENCY[low], j
    return None


def date_mentions(published: str | None) -> list[Mention]:
    """The article's own date as mentions (year, month, day, weekday), for "on Tuesday" and "this week"."""
    try:
        day = date.fromisoformat((published or "")[:10])
    except ValueError:
        return []
    return [Mention("number", float(day.year), "", -1, -1), Mention("month", day.month, "", -1, -1),
            Mention("number", float(day.day), "", -1, -1), Mention("weekday", day.weekday(), "", -1, -1)]
