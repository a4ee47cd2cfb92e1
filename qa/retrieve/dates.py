"""Date expressions in text: "October 20, 2023", "20 Oct 2023", "2023-10-20", "October 2023", "2023",
"yesterday", "last week", "the past 3 days", and the day a sentence says something happened.

`DATE` is one date expression as a regular expression with named parts; `date_range` reads a
match of it as the first and last day it covers, relative words read against a given day.
`event_date` dates a sentence of an article ("on Tuesday", "on October 5") against its
publication date. Pure text processing, shared by qa.retrieve.when and the timeline.
"""
from __future__ import annotations

import datetime as dt
import re

from qa.retrieve.cues import MONTHS

_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d{2}"
# One date expression; each alternative names its parts so `_range` can read them.
DATE = (
    rf"(?P<iso>\d{{4}}-\d{{2}}-\d{{2}})"
    rf"|(?P<m1>{_MONTH})\s+(?P<d1>{_DAY})(?:(?:\s*,\s*|\s+)(?P<y1>{_YEAR}))?(?!\s*:)"
    rf"|(?:the\s+)?(?P<d2>{_DAY})\s+(?:of\s+)?(?P<m2>{_MONTH})(?:(?:\s*,\s*|\s+)(?P<y2>{_YEAR}))?"
    rf"|(?P<m3>{_MONTH})\s+(?:of\s+)?(?P<y3>{_YEAR})"
    rf"|(?P<ym>\d{{4}}-\d{{2}})(?!-)"
    rf"|(?P<y4>{_YEAR})"
    rf"|(?P<rel>today|yesterday|(?:this|last|past|the\s+past|the\s+last)\s+(?:week|month|year)(?!['’]s)"
    rf"|(?:the\s+)?(?:past|last)\s+(?P<n>\d{{1,3}}|two|three|four|five|six|seven|ten)\s+(?P<unit>days|weeks|months))"
)
_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10}

def date_range(m: re.Match, p: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """The first and last day a matched date expression covers, or None when it is no calendar date."""
    groups = m.groupdict()
    g = lambda name: groups.get(p + name)  # noqa: E731
    try:
        if g("iso"):
            day = dt.date.fromisoformat(g("iso"))
            return day, day
        if g("ym"):
            first = dt.date.fromisoformat(g("ym") + "-01")
            return first, month_end(first)
        for mm, dd, yy in (("m1", "d1", "y1"), ("m2", "d2", "y2")):
            if g(mm):
                month, day = MONTHS[g(mm).lower().rstrip(".")], int(re.match(r"\d+", g(dd)).group())
                if g(yy):
                    date = dt.date(int(g(yy)), month, day)
                else:  # no year: the last such day up to now
                    date = dt.date(today.year, month, day)
                    if date > today:
                        date = dt.date(today.year - 1, month, day)
                return date, date
        if g("m3"):
            first = dt.date(int(g("y3")), MONTHS[g("m3").lower().rstrip(".")], 1)
            return first, month_end(first)
        if g("y4"):
            return dt.date(int(g("y4")), 1, 1), dt.date(int(g("y4")), 12, 31)
        if g("rel"):
            return _relative(" ".join(g("rel").lower().split()), g("n"), g("unit"), today)
    except (ValueError, KeyError):
        return None
    return None


def _relative(words: str, n: str | None, unit: str | None, today: dt.date) -> tuple[dt.date, dt.date]:
    if words == "today":
        return today, today
    if words == "yesterday":
        return (today - dt.timedelta(days=1),) * 2
    if n:
        count = int(n) if n.isdigit() else _NUMBERS[n.lower()]
        if unit.lower() == "days":
            return today - dt.timedelta(days=count - 1), today
        if unit.lower() == "weeks":
            return today - dt.timedelta(days=7 * count - 1), today
        return _months_back(today, count) + dt.timedelta(days=1), today
    which, unit = words.rsplit(" ", 1)
    previous = which in ("last", "previous", "the last")
    if unit == "week":
        return (today - dt.timedelta(days=13), today - dt.timedelta(days=7)) if previous \
            else (today - dt.timedelta(days=6), today)
    if unit == "month":
        first = today.replace(day=1)
        if previous:
            last = first - dt.timedelta(days=1)
            return last.replace(day=1), last
        return first, today
    if previous:
        return dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)
    return dt.date(today.year, 1, 1), today


def _months_back(day: dt.date, count: int) -> dt.date:
    month = day.month - count
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return dt.date(year, month, min(day.day, month_end(dt.date(year, month, 1)).day))


def month_end(first: dt.date) -> dt.date:
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_EVENT_DAY = re.compile(
    rf"\b(?:on\s+)?(?P<wd>{'|'.join(_WEEKDAYS)})\b|\b(?P<rel>yesterday|today|tonight|last\s+night)\b"
    rf"|\b(?P<a>{DATE.replace('?P<', '?P<a_').split('|(?P<a_m3>')[0]})", re.I)
EVENT_WINDOW_DAYS = 90  # a day named further back than this is background, not the event reported


def event_date(sentence: str, published: str | None) -> str | None:
    """The day `sentence` says something happened, read against its article's `published` date (YYYY-MM-DD):
    "on Tuesday" (the last Tuesday up to that date), "on October 5", "yesterday", "Oct. 5, 2023". None when
    it names no day, or one after publication (a plan, not an event) or more than EVENT_WINDOW_DAYS before."""
    if not published:
        return None
    try:
        pub = dt.date.fromisoformat(published[:10])
    except ValueError:
        return None
    for m in _EVENT_DAY.finditer(sentence):
        if m["wd"]:
            if not m.group().lower().startswith("on "):
                continue  # "on Tuesday" dates an event; "Come Tuesday", "Friday night lights" need not
            back = (pub.weekday() - _WEEKDAYS.index(m["wd"].lower())) % 7
            day = pub - dt.timedelta(days=back)
        elif m["rel"]:
            day = pub if m["rel"].lower() in ("today", "tonight") else pub - dt.timedelta(days=1)
        else:
            found = date_range(m, "a_", pub)
            if found is None or found[0] != found[1]:
                continue
            day = found[0]
        if pub - dt.timedelta(days=EVENT_WINDOW_DAYS) <= day <= pub:
            return day.isoformat()
    return None
