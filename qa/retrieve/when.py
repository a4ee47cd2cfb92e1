"""Reading time in a question: recency ("the latest on X"), bounds ("before October 20, 2023"), timelines.

News questions say *when* as often as *what*. This module reads three things:

- recency: "latest", "most recent", "newest", "today", "this week", ... ask for the newest
  articles about the subject first;
- bounds: "as of D", "before D", "after D", "since D", "until D", "between D1 and D2", "in
  October 2023" (when it says when something was reported), "last month", ... become a date
  range on the articles' publication dates: a filter, never a boost;
- timelines: "Give me a timeline of X", "How did X unfold?", "... develop over time?".

Relative words ("yesterday", "last week", "this month", a date without a year) are read
against `now`, a date the caller gives: by default the newest publication date of the
index, since an archive's "latest" is its newest article. Only real time constraints are
read: in "Did The Verge report X before TechCrunch reported Y?" no date follows "before", so
nothing is read. Pure text processing: it reads no index and imports no model.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from qa.retrieve.cues import MONTHS

_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d{2}"
# One date expression; each alternative names its parts so `_range` can read them.
_DATE = (
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
# A bound: an operator word, then a date, or "between D1 and D2" / "from D1 to D2".
_OPS = r"on\s+or\s+before|on\s+or\s+after|as\s+of|before|after|since|until|till|through|up\s+(?:to|until)|prior\s+to|earlier\s+than|later\s+than|by|in|during|from|between"
_BOUND = re.compile(
    rf"\b(?P<op>{_OPS})\s+(?:the\s+(?=\d)|late\s+|early\s+|mid-?)?(?P<a>{_DATE.replace('?P<', '?P<a_')})"
    rf"(?:\s*(?:,\s*)?(?:and|to|until|through|till|-|–)\s+(?P<b>{_DATE.replace('?P<', '?P<b_')}))?\b", re.I)
# Relative words standing alone ("What happened this week?"): a bound and a request for the newest.
_BARE_RELATIVE = re.compile(rf"\b(?P<a>{_DATE.replace('?P<', '?P<a_')})\b", re.I)
# Recency asked for: "the latest (news) on X", "most recent report", "any recent updates", "what's new",
# "what is happening now". Not "recently reported by X to have ...", "its latest tour", "a recent partnership":
# there the word describes a fact, and the question is not asking for the newest articles.
_NEWS = r"(?:news|reports?|reporting|updates?|developments?|coverage|stories|story|headlines?|articles?|information|word)"
_RECENCY = re.compile(
    rf"\b(?:latest|most\s+recent|newest|recent|current|fresh)\s+(?:(?:\w+\s+){{0,2}}{_NEWS}\b|on\b|about\b|with\b|regarding\b"
    rf"|from\b|in\b)|\bwhat['’]?s\s+(?:the\s+)?(?:latest|new(?:est)?)\b|\bwhat\s+is\s+(?:the\s+)?(?:latest|new(?:est)?)\b"
    rf"|\b(?:the\s+)?latest\s*\??$|\b(?:happening|going\s+on|happened)\s+(?:right\s+)?(?:now|today|lately|recently)\b"
    rf"|\b(?:up[\s-]to[\s-]date|so\s+far|lately|as\s+it\s+stands)\b",
    re.I)
_TIMELINE = re.compile(
    r"\btime\s*line\b|\bchronolog|\bunfold(?:ed|ing)?\b|\bdevelop(?:ed)?\s+over\s+time\b|\bover\s+time\b"
    r"|\bevolv(?:e|ed)\b|\bstep\s+by\s+step\b|\bsequence\s+of\s+events\b|\bwhat\s+(?:has\s+)?happened\s+(?:with|to|in)\b.*\bsince\b",
    re.I)
# "in October 2023" is a bound only when it says when something was reported; else the month stays a
# boost (qa.retrieve.cues): "a rise in usage during December 2022" dates an event, not an article.
_REPORTED = re.compile(r"\b(?:report\w*|publish\w*|news|articles?|stor(?:y|ies)|coverage|headlines?|written|posted|"
                       r"covered|said|wrote|happen\w*)\s+(?:\w+\s+)?$", re.I)
# A question that compares reports ("... as reported by X before D, remained consistent with Y's ...") dates one
# report, not the articles to search: with an outlet named, its bounds are not read.
_COMPARES = re.compile(r"\b(?:consisten\w*|inconsisten\w*|chang\w*|compar\w*|while|whereas|differ\w*|both|either|"
                       r"same|also|earlier|later|subsequent|previous|prior)\b", re.I)
_GENERIC = re.compile(r"\b(?:news|updates?|reports?|reporting|coverage|stories|headlines|developments|"
                      r"information|info|articles?|happened|happening|going\s+on|main|top|biggest|big|key|"
                      r"important|major|headline|these|this|index|corpus|collection)\b")  # lowercase: "Sporting News" stays


@dataclass(frozen=True, slots=True)
class TimeReading:
    """What a question says about time.

    `recency`: the newest articles about the subject first. `since`/`until`: inclusive ISO dates
    bounding publication, or None. `timeline`: the question asks for the events in order.
    `now`: the date relative words were read against. `phrases`: the words read, as typed.
    `subject`: the question without them and without words such as "news" (what to search for);
    empty when nothing is left: the question asks about the articles themselves ("What's new?").
    """

    recency: bool = False
    since: str | None = None
    until: str | None = None
    timeline: bool = False
    now: str | None = None
    phrases: tuple[str, ...] = ()
    subject: str = ""

    def __bool__(self) -> bool:
        return self.recency or self.timeline or self.bounded

    @property
    def bounded(self) -> bool:
        return bool(self.since or self.until)

    def describe(self) -> str:
        """A few words for the user: "newest first, as of 2023-12-25", "published before 2023-10-20"."""
        parts = []
        if self.since and self.until:
            parts.append(f"published {self.since} to {self.until}" if self.since != self.until
                         else f"published on {self.since}")
        elif self.since:
            parts.append(f"published on or after {self.since}")
        elif self.until:
            parts.append(f"published on or before {self.until}")
        if self.timeline:
            parts.append("oldest first")
        elif self.recency:
            parts.append(f"newest first, as of {self.until or self.now}" if (self.until or self.now) else "newest first")
        return ", ".join(parts)


def read_time(question: str, now: str | dt.date | None = None, outlets: int = 0) -> TimeReading:
    """The time `question` asks about; relative words read against `now` (an ISO date; None: today).

    `outlets` is how many outlets the question names: with two, or one in a question that compares
    reports, a date belongs to one report ("as reported by X after D") and bounds nothing.
    """
    today = _as_date(now) if now else dt.date.today()
    if not (outlets == 0 or (outlets == 1 and not _COMPARES.search(question))):
        return TimeReading(now=today.isoformat(), subject=question)  # its dates and words describe reports
    bounds = True
    spans: list[tuple[int, int]] = []
    since: dt.date | None = None
    until: dt.date | None = None
    relative = False
    for m in _BOUND.finditer(question) if bounds else ():
        if m["a_rel"] and m["a"][0].isupper() and m.start("a") > 0:
            continue  # "USA Today", "Business Today": a name
        op = " ".join(m["op"].lower().split())
        a = _range(m, "a_", today)
        b = _range(m, "b_", today) if m["b"] else None
        loose = op in ("in", "during", "by", "from") and not b or bool(m["a_y4"])  # a bare year: often an event's
        if a is None or loose and not m["a_rel"] and not _REPORTED.search(question[: m.start()]):
            continue  # "founded in 2015", "by 2030", "from 1905 to 1913": not when an article appeared
        lo, hi = a[0], (b or a)[1]
        if op in ("before", "prior to", "earlier than"):
            lo, hi = None, a[0] - dt.timedelta(days=1)
        elif op in ("after", "later than"):
            lo, hi = a[1] + dt.timedelta(days=1), None
        elif op in ("since", "on or after") or (op == "from" and not b):
            lo, hi = a[0], None
        elif op in ("until", "till", "through", "up to", "up until", "as of", "on or before", "by"):
            lo, hi = None, a[1]
        since = _later(since, lo)
        until = _earlier(until, hi)
        relative |= bool(m["a_rel"])
        spans.append(m.span())
        if op == "as of":
            relative = True  # "the latest on X as of D": the newest before D
    for m in _BARE_RELATIVE.finditer(question) if bounds else ():
        if m["a_rel"] and (m.start() == 0 or m["a"][0].islower()) and not any(s <= m.start() < e for s, e in spans):
            lo, hi = _range(m, "a_", today)
            since, until = _later(since, lo), _earlier(until, hi)
            relative = True
            spans.append(m.span())
    recency = relative or bool(_RECENCY.search(question))
    timeline = bool(_TIMELINE.search(question))
    if recency and not timeline and until is None:
        until = today  # "the latest" as of now: nothing from after it (a no-op when now is the newest article)
    spans += [m.span() for m in _RECENCY.finditer(question)]
    phrases = tuple(question[s:e] for s, e in sorted(set(spans)))
    subject = _subject(question, spans) if (recency or timeline or spans) else question
    return TimeReading(recency and not timeline, since and since.isoformat(), until and until.isoformat(), timeline,
                       today.isoformat(), phrases, subject)


def _subject(question: str, spans: list[tuple[int, int]]) -> str:
    out, last = [], 0
    for s, e in sorted(spans):
        if s >= last:
            out.append(question[last:s])
            last = e
    out.append(question[last:])
    text = _GENERIC.sub(" ", "".join(out))
    text = " ".join(text.split())
    return text if re.search(r"\w{3,}", text) else ""


def _range(m: re.Match, p: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """The first and last day a matched date expression covers, or None when it is no calendar date."""
    groups = m.groupdict()
    g = lambda name: groups.get(p + name)  # noqa: E731
    try:
        if g("iso"):
            day = dt.date.fromisoformat(g("iso"))
            return day, day
        if g("ym"):
            first = dt.date.fromisoformat(g("ym") + "-01")
            return first, _month_end(first)
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
            return first, _month_end(first)
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
    return dt.date(year, month, min(day.day, _month_end(dt.date(year, month, 1)).day))


def _month_end(first: dt.date) -> dt.date:
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def _as_date(value: str | dt.date) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _later(a: dt.date | None, b: dt.date | None) -> dt.date | None:
    return b if a is None else a if b is None else max(a, b)


def _earlier(a: dt.date | None, b: dt.date | None) -> dt.date | None:
    return b if a is None else a if b is None else min(a, b)


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_EVENT_DAY = re.compile(
    rf"\b(?:on\s+)?(?P<wd>{'|'.join(_WEEKDAYS)})\b|\b(?P<rel>yesterday|today|tonight|last\s+night)\b"
    rf"|\b(?P<a>{_DATE.replace('?P<', '?P<a_').split('|(?P<a_m3>')[0]})", re.I)
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
            found = _range(m, "a_", pub)
            if found is None or found[0] != found[1]:
                continue
            day = found[0]
        if pub - dt.timedelta(days=EVENT_WINDOW_DAYS) <= day <= pub:
            return day.isoformat()
    return None
