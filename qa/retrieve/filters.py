"""Turning user-given filter values (CLI flags, UI fields) into a checked `Filters`.

The whole value must be a date: `2024-03-01garbage` is refused, not read as its
first ten characters. `Filters` itself checks what reaches it from the Python API.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Iterable

from index.errors import QueryError
from index.document import Filters

_MONTH = re.compile(r"\d{4}-\d{2}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_filters(outlets: Iterable[str] = (), topics: Iterable[str] = (), since: str | None = None,
                  until: str | None = None) -> Filters:
    """Validate dates (YYYY-MM-DD, or YYYY-MM for a whole month) and drop empty values."""
    return Filters(_names(outlets), _names(topics), _date(since, "since", first=True), _date(until, "until", first=False))


def _names(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(v.strip() for v in values if isinstance(v, str) and v.strip())


def _date(value: str | None, name: str, first: bool) -> str | None:
    if value is None or not str(value).strip():
        return None
    value = str(value).strip()
    try:
        if _MONTH.fullmatch(value):
            month = dt.date.fromisoformat(value + "-01")
            if first:
                return month.isoformat()
            nxt = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            return (nxt - dt.timedelta(days=1)).isoformat()
        if _DAY.fullmatch(value):
            return dt.date.fromisoformat(value).isoformat()
    except (ValueError, OverflowError):  # 2024-02-30; the month after 9999-12
        pass
    raise QueryError(f"{name} date {value!r} is not a date", "write it as YYYY-MM-DD, e.g. 2023-10-01")
