"""JSON lines dumps (one article object per line) and `.json` files holding articles.

Field names follow `records` (url, title, source, author, published_at, category,
body and their aliases). A broken line is reported with its line number and the
other lines still parse: one bad record must not lose a whole dump. A `.json`
file may hold one object, a list of objects, or, mislabelled, JSON lines.
"""
from __future__ import annotations

import json
from collections.abc import Mapping

from index.document import Document
from index.parse.feed import is_json_feed, parse_feed
from index.parse.records import NO_CONTENT_FIX, documents_from_record
from index.parse.source import Source

JSON_FIX = "fix the JSON on that line (one complete object per line) or remove the line"


def parse_jsonl(source: Source) -> list[Document]:
    """One Document (plus related stubs) per line; bad lines go to `source.problems`."""
    documents: list[Document] = []
    for number, line in enumerate(source.text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = _loads(line)
        except _BadJson as exc:
            source.problems.append(source.error(exc.problem, JSON_FIX, line=number))
            continue
        documents.extend(_from_value(value, source, fallback_id=f"{source.id_base}#{number}", line=number,
                                     what="line"))
    return documents


def parse_json(source: Source) -> list[Document]:
    """A single object or a list of objects; a file of JSON lines is read as such, a JSON Feed as a feed."""
    try:
        value = _loads(source.text)
    except _BadJson as exc:
        if "Extra data" in exc.problem and source.text.lstrip().startswith("{"):
            return parse_jsonl(source)
        raise source.error(exc.problem, "fix the JSON syntax", line=exc.line) from exc
    if is_json_feed(value):
        return parse_feed(source)
    if isinstance(value, list):
        documents: list[Document] = []
        for position, item in enumerate(value, start=1):
            documents.extend(_from_value(item, source, fallback_id=f"{source.id_base}#{position}", line=None,
                                         what=f"item {position} of the list"))
        return documents
    return _from_value(value, source, fallback_id=source.id_base, line=None, what="the file")


class _BadJson(Exception):
    """A JSON text that cannot be loaded; the caller adds the file and the fix."""

    def __init__(self, problem: str, line: int | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.line = line


def _loads(text: str) -> object:
    """`json.loads` with every failure, not only syntax errors, turned into `_BadJson`."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _BadJson(f"is not valid JSON: {exc.msg} (column {exc.colno})", exc.lineno) from exc
    except (ValueError, RecursionError) as exc:  # numbers too long to convert, nesting too deep
        raise _BadJson(f"is not usable JSON ({' '.join(str(exc).split()) or type(exc).__name__})") from exc


def _from_value(value: object, source: Source, *, fallback_id: str, line: int | None, what: str) -> list[Document]:
    if not isinstance(value, Mapping):
        source.problems.append(source.error(f"{what} is a JSON {type(value).__name__}, not an article object",
                                            NO_CONTENT_FIX, line=line))
        return []
    return documents_from_record(value, source, fallback_id=fallback_id, line=line)
