"""Turning user-given filter values (CLI flags, UI fields) into a checked `Filters`."""
from __future__ import annotations

import datetime as dt
from typing import Iterable

from index.errors import QueryError
from index.store import Filters


def parse_filters(outlets: Iterable[str] = (), topics: Iterable[str] = (), since: str | None = None,
                  until: str | None = None) -> Filters:
    """Validate dates (YYYY-MM-DD, or YYYY-MM for a whole month) and drop empty values."""
    date_from = _date(since, "since", first=True)
    date_to = _date(until, "until", first=False)
    if date_from and date_to and date_from > date_to:
        raise QueryError(f"the date range {date_from}..{date_to} is empty", "put the earlier date first")
    return Filters(tuple(o.strip() for o in outlets if o and o.strip()),
                   tuple(t.strip() for t in topics if t and t.strip()), date_from, date_to)


def _date(value: str | None, name: str, first: bool) -> str | None:
    if value is None or not str(value).strip():
        return None
    value = str(value).strip()
    try:
        if len(value) == 7:
            month = dt.date.fromisoformat(value + "-01")
            if first:
                return month.isoformat()
            nxt = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            return (nxt - dt.timedelta(days=1)).isoformat()
        return dt.date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        raise QueryError(f"{name} date {value!r} is not a date", "write it as YYYY-MM-DD, e.g. 2023-10-01") from None
