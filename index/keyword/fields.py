"""What every keyword engine indexes of a chunk besides its text: the document's metadata line.

Both engines (index.keyword.fts5, index.keyword.tantivy_engine) index the same three
fields, title, passage and this line, so a question that names an outlet, an author
or a date ("november 9 2023") matches either way. Pure text: no engine is imported here.
"""
from __future__ import annotations

from index.document import Document

_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")


def meta_text(doc: Document) -> str:
    """The searchable metadata line of a document: outlet, domain, author, date in words and digits."""
    parts = [doc.outlet, doc.outlet_domain, doc.author]
    date = (doc.published or "")[:10]
    if len(date) == 10 and date[4] == "-" and date[5:7].isdigit() and 1 <= int(date[5:7]) <= 12:
        parts.append(f"{_MONTHS[int(date[5:7]) - 1]} {int(date[8:10]) if date[8:10].isdigit() else ''} {date[:4]} {date}")
    return " ".join(p for p in parts if p)
