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

from qa.retrieve.dates import DATE, date_range

_OPS = r"on\s+or\s+before|on\s+or\s+after|as\s+of|before|after|since|until|till|through|up\s+(?:to|until)|prior\s+to|earlier\s+than|later\s+than|by|in|during|from|between"
_BOUND = re.compile(
    rf"\b(?P<op>{_OPS})\s+(?:the\s+(?=\d)|late\s+|early\s+|mid-?)?(?P<a>{DATE.replace('?P<', '?P<a_')})"
    rf"(?:\s*(?:,\s*)?(?:and|to|until|through|till|-|–)\s+(?P<b>{DATE.replace('?P<', '?P<b_')}))?\b", re.I)
# Relative words standing alone ("What happened this week?"): a bound and a request for the newest.
_BARE_RELATIVE = re.compile(rf"\b(?P<a>{DATE.replace('?P<', '?P<a_')})\b", re.I)
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
_REPORTED = re.compile(r"\b(?:report(?:ed|s)?|published|posted|written|covered|news|articles?|stories|coverage|"
                       r"headlines)\s+$", re.I)
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
        a = date_range(m, "a_", today)
        b = date_range(m, "b_", today) if m["b"] else None
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
            lo, hi = date_range(m, "a_", today)
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


def _as_date(value: str | dt.date) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _later(a: dt.date | None, b: dt.date | None) -> dt.date | None:
    return b if a is None else a if b is None else max(a, b)


def _earlier(a: dt.date | None, b: dt.date | None) -> dt.date | None:
    return b if a is None else a if b is None else min(a, b)
