"""What to follow: a feed's url and how often to read it, checked on construction.

A url must be http(s) with a host; an interval is written as `90s`, `15m`, `2h`
(or a number of seconds) and lies between `MIN_INTERVAL` (politeness: a feed is
not read more often) and a day. The CLI's `--every`, the config's `feeds:` block
and `newsdesk serve` all build `FeedSpec`s here, so each says the same thing about
a bad value.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from index.errors import NewsdeskError

MIN_INTERVAL = 10.0  # seconds: the shortest --every; a feed is never read more often than this
MAX_INTERVAL = 86400.0
DEFAULT_INTERVAL = 900.0  # 15 minutes, what most feed readers use
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", re.IGNORECASE)
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600}


class FeedRefused(NewsdeskError):
    """A feed url or interval newsdesk will not use."""


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """One feed to follow: its http(s) url and the seconds between two reads of it."""

    url: str
    interval: float = DEFAULT_INTERVAL

    def __post_init__(self) -> None:
        check_url(self.url, "feed url")
        if isinstance(self.interval, bool) or not isinstance(self.interval, (int, float)) \
                or not MIN_INTERVAL <= self.interval <= MAX_INTERVAL:
            raise FeedRefused(f"the interval of {self.url} is {self.interval!r} s, outside "
                              f"{MIN_INTERVAL:g}..{MAX_INTERVAL:g} s", "write it as 15m, 1h or 30s (10s at least)")


def check_url(url: object, what: str = "url") -> str:
    """`url` when it is an http(s) url with a host, else `FeedRefused` naming it."""
    try:
        parts = urlsplit(url) if isinstance(url, str) else None
        host = parts.hostname if parts else None
    except ValueError:
        parts, host = None, None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not host or any(c.isspace() for c in url):
        shown = url if isinstance(url, str) else type(url).__name__
        raise FeedRefused(f"{what} {str(shown)[:200]!r} is not an http(s) url",
                          "give the feed's address, e.g. https://example.com/feed.xml")
    return url


def parse_interval(text: object) -> float:
    """Seconds from `15m`, `90s`, `2h` or a number; `FeedRefused` for anything else or out of range."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        seconds = float(text)
    else:
        match = _DURATION.fullmatch(str(text)) if isinstance(text, str) else None
        if not match:
            raise FeedRefused(f"interval {text!r} is not a duration", "write it as 15m, 1h or 30s")
        seconds = float(match.group(1)) * _UNIT[match.group(2).lower()]
    if not MIN_INTERVAL <= seconds <= MAX_INTERVAL:
        raise FeedRefused(f"interval {text!r} is outside {MIN_INTERVAL:g} s..24 h",
                          f"read a feed at most every {MIN_INTERVAL:g} s (polite) and at least daily")
    return seconds
