"""Turning loosely typed field values into the strings a `Document` stores.

Files come from YAML (where `NO` may be a bool and `2024-02-21` a date), JSON and
scraped metadata, so every helper here accepts any value and never raises: a
value it cannot use becomes None. These helpers must not guess content (no
language detection, no date inference from text); they only normalise what a
field already says.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit, urlunsplit

TITLE_MAX_CHARS = 100
"""Length of a title made from the text when a record has none (cut at a word)."""

_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


def as_text(value: object) -> str | None:
    """Any scalar as a stripped string (dates in ISO form); None when empty or unusable.

    A list becomes one comma-separated string of its scalar items (several
    authors); a mapping is read through its `name` key (`provider: {name: ...}`).
    Containers are opened one level only, so self-referencing YAML cannot loop.
    """
    if isinstance(value, dict):
        return _scalar_text(value.get("name"))
    if isinstance(value, (list, tuple)):
        parts = [_scalar_text(item.get("name") if isinstance(item, dict) else item) for item in value]
        return ", ".join(" ".join(part.split()) for part in parts if part) or None
    return _scalar_text(value)


def _scalar_text(value: object) -> str | None:
    if value is None or isinstance(value, (bytes, dict, list, tuple, set)):
        return None
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (datetime, date)):
        text = value.isoformat()
    else:
        try:
            text = str(value)
        except ValueError:  # an int too long to print (Python's digit limit)
            return None
    return text.strip() or None


def as_line(value: object) -> str | None:
    """`as_text` with runs of whitespace (folded YAML, newlines) collapsed to one space."""
    text = as_text(value)
    return " ".join(text.split()) if text else None


INT_LIMIT = 2**63
"""Integers are stored in SQLite's signed 64 bits; a value outside them is unusable, not an error."""


def as_int(value: object) -> int | None:
    """An integer field (`quality: 41`, `"41"`) within SQLite's 64 bits; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if -INT_LIMIT < value < INT_LIMIT else None
    text = as_text(value)
    if text and re.fullmatch(r"[+-]?\d{1,19}", text):
        return as_int(int(text))
    return None


def as_tags(value: object) -> tuple[str, ...]:
    """Topics or tags: a list, or one comma-separated string; duplicates dropped, order kept."""
    if isinstance(value, (list, tuple)):
        items = [as_line(item) for item in value]
    else:
        text = as_line(value)
        items = [part.strip() for part in text.split(",")] if text else []
    return tuple(dict.fromkeys(item for item in items if item))


def as_urls(value: object) -> tuple[str, ...]:
    """Image urls from `[{url: ...}, ...]`, a list of strings or a single value."""
    items = value if isinstance(value, (list, tuple)) else [value]
    urls = []
    for item in items:
        raw = item.get("url") if isinstance(item, dict) else item
        url = canonical_url(raw)
        if url:
            urls.append(url)
    return tuple(dict.fromkeys(urls))


def iso_utc(value: object) -> str | None:
    """A timestamp as `YYYY-MM-DDTHH:MM:SSZ` in UTC, a bare date as `YYYY-MM-DD`, else None.

    Accepts ISO 8601 (`2024-02-21T01:01:00Z`, `2023-11-27 08:45:59.000000000Z`,
    offsets such as `+08:00`) and RFC 2822 (`Tue, 27 Nov 2023 08:45:59 GMT`).
    A time without an offset is taken as UTC, the convention of news feeds.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return value.isoformat()
    else:
        text = as_line(value)
        if not text:
            return None
        if _DATE_ONLY.fullmatch(text):
            try:
                return date.fromisoformat(text).isoformat()
            except ValueError:
                return None
        moment = _parse_moment(text)
        if moment is None:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    try:
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError):  # 9999-12-31T23:00-05:00 is in the year 10000 in UTC
        return None


def _parse_moment(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def canonical_url(value: object) -> str | None:
    """A url with surrounding whitespace removed and a minimal canonical form.

    Only changes that cannot point somewhere else: the scheme and host are
    lowercased, a default port (:80, :443), an empty port and the host's trailing dot
    are dropped, escapes are normalised (RFC 3986: %7E is ~, %2f is %2F), and the
    `#fragment` and `utm_*` tracking parameters are dropped, so every spelling of one
    url is one document id. Path and the other parameters stay as given otherwise
    (sites differ on case and trailing slashes). A value without a scheme is kept as stripped; one with
    any scheme but http(s) (`javascript:`, `data:`, `file:`) is dropped, so no
    stored url, document id or API answer carries a link that runs or reads something.
    """
    text = as_text(value)
    if not text:
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    if parts.scheme and parts.scheme.lower() not in ("http", "https"):
        return None
    if not parts.netloc:
        return text
    scheme = parts.scheme.lower()
    user, at, host = parts.netloc.rpartition("@")
    host, colon, port = host.lower().rpartition(":") if not host.endswith("]") else (host.lower(), "", "")
    if not colon:
        host, port = port, ""
    if port == _DEFAULT_PORTS.get(scheme):
        port = ""  # https://host:443/a is https://host/a
    netloc = f"{user}{at}{host.rstrip('.') or host}{':' + port if port else ''}"
    query = "&".join(p for p in parts.query.split("&") if p and not p.lower().startswith("utm_"))
    return urlunsplit((scheme, netloc, _unescape_unreserved(parts.path), _unescape_unreserved(query), ""))


_DEFAULT_PORTS = {"http": "80", "https": "443"}
_UNRESERVED_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")


def _unescape_unreserved(text: str) -> str:
    """RFC 3986's safe normalisation of escapes: an escaped letter, digit or -._~ is that character
    (%7E is ~), and the hex of every other escape is upper case (%2f is %2F); neither changes the target."""
    def one(m: re.Match) -> str:
        char = chr(int(m.group(1), 16))
        return char if char.isascii() and (char.isalnum() or char in "-._~") else "%" + m.group(1).upper()
    return _UNRESERVED_ESCAPE.sub(one, text)


def title_from_text(text: str) -> str:
    """A title for a record without one: the first line or sentence, cut to `TITLE_MAX_CHARS`."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    first = _SENTENCE_END.split(first, maxsplit=1)[0]
    first = " ".join(first.split())
    if len(first) <= TITLE_MAX_CHARS:
        return first
    cut = first[:TITLE_MAX_CHARS].rsplit(" ", 1)[0] or first[:TITLE_MAX_CHARS]
    return cut.rstrip(" ,;:-") + "…"
