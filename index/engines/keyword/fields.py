"""What every keyword engine indexes of a chunk besides its text: the metadata line and the day number.

Every keyword side (index.engines.keyword.fts5, .tantivy_engine, and Milvus's terms in
index.engines.milvus.rows) indexes the same three texts, title, passage and this line, so
a question that names an outlet, an author or a date ("november 9 2023") matches either
way; the engines with a date filter field store `day`. Pure text: no engine is imported here.
"""
from __future__ import annotations

import re
from typing import Iterable

from index.document import Document

_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def meta_text(doc: Document) -> str:
    """The searchable metadata line of a document: outlet, domain, author, date in words and digits."""
    parts = [doc.outlet, doc.outlet_domain, doc.author]
    date = (doc.published or "")[:10]
    if len(date) == 10 and date[4] == "-" and date[5:7].isdigit() and 1 <= int(date[5:7]) <= 12:
        parts.append(f"{_MONTHS[int(date[5:7]) - 1]} {int(date[8:10]) if date[8:10].isdigit() else ''} {date[:4]} {date}")
    return " ".join(p for p in parts if p)


def day(date: str | None) -> int | None:
    """The publication day as the number yyyymmdd (a date filter's field), or None when undated."""
    m = _DATE.match(date or "")
    return int("".join(m.groups())) if m else None


def query_tokens(analysed: Iterable[list[str]]) -> dict[str, int]:
    """The tokens of a query's words (each word's analysed tokens) with how often each counts. A word split at
    an apostrophe keeps its longer parts ("kaplan's" -> kaplan: FTS5 asks the phrase "kaplan s"; without
    positions a lone "s" would match nearly every chunk), and a token several words stem to counts that
    many times, as FTS5 scores each of its phrases."""
    counts: dict[str, int] = {}
    for tokens in analysed:
        if len(tokens) > 1:
            tokens = [t for t in tokens if len(t) > 1 or t.isdigit()] or tokens
        for token in tokens:
            counts[token] = counts.get(token, 0) + 1
    return counts
