"""Parse stage: article files on disk to `Document` records.

`discover` lists the files under the paths a user names; `parse_file` turns one
file into Documents, choosing the format by suffix (and, for `.txt`, by content):

=====================  =========================================  ===============
suffix                 read as                                    module
=====================  =========================================  ===============
.txt starting ``---``  YAML article records (feed exports)        records
.yaml .yml             YAML article records                       records
other .txt             scraped plain-text page                    page
.jsonl                 one JSON article object per line           jsonl
.json                  one object or a list of objects            jsonl
.json (a JSON Feed)    one article per item                       feed
.rss .atom .xml        RSS 0.9x/1.0/2.0 or Atom, one per item     feed
.md .markdown          Markdown with optional YAML front matter   markup
.html .htm             web page, main text via trafilatura        markup
=====================  =========================================  ===============

This stage must not chunk, embed or deduplicate across files, and must not let
one bad file or record stop an ingest: every problem a user can fix comes out as
an `index.errors.ParseError` naming the file (relative to the ingested folder),
the line when known, and the fix. No other exception type escapes for bad input.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from index.document import Document
from index.errors import ParseError
from index.parse import walk
from index.parse.feed import FEED_SUFFIXES, parse_feed
from index.parse.jsonl import parse_json, parse_jsonl
from index.parse.markup import parse_html, parse_markdown
from index.parse.page import parse_page
from index.parse.records import parse_records
from index.parse.source import MAX_FILE_BYTES, MAX_JSONL_BYTES, ParseNote, Source, cap_for, read_source, relative_name

__all__ = ["MAX_FILE_BYTES", "MAX_JSONL_BYTES", "SUPPORTED_SUFFIXES", "ParseNote",
           "discover", "parse_file", "parse_file_report"]

SUPPORTED_SUFFIXES = frozenset({".txt", ".yaml", ".yml", ".jsonl", ".json", ".md", ".markdown", ".html", ".htm"}
                               | FEED_SUFFIXES)

_PARSERS: dict[str, Callable[[Source], list[Document]]] = {
    ".yaml": parse_records, ".yml": parse_records,
    ".jsonl": parse_jsonl, ".json": parse_json,
    ".md": parse_markdown, ".markdown": parse_markdown,
    ".html": parse_html, ".htm": parse_html,
    **dict.fromkeys(FEED_SUFFIXES, parse_feed),
}
_YAML_START = re.compile(r"\A\s*---[ \t]*(?:\r?\n|\Z)")
_NOT_TEXT = re.compile("[\x00\ud800-\udfff]")  # NUL cuts strings in SQLite; a lone surrogate cannot be stored


def discover(paths: Iterable[Path], skipped: list[ParseError] | None = None) -> list[tuple[Path, Path]]:
    """Sorted (root, file) pairs for every supported file under `paths` (folders are walked).

    Hidden entries and unsupported suffixes are skipped silently; symlinks that
    leave their folder, dangle or loop are skipped and, when `skipped` is given,
    reported there (one `ParseError` naming the link each). Raises `ParseError` for a
    path that does not exist ("check the path") or a file named directly that cannot be parsed.
    """
    return walk.discover(paths, SUPPORTED_SUFFIXES, skipped)


def parse_file(path: Path, root: Path) -> list[Document]:
    """The Documents of one file; raises the first `ParseError` when none could be read.

    Per-record problems in a file that still yields Documents are dropped here;
    use `parse_file_report` to show them.
    """
    documents, problems = parse_file_report(path, root)
    if not documents:
        raise problems[0]
    return documents


def parse_file_report(path: Path, root: Path) -> tuple[list[Document], list[ParseError]]:
    """The Documents of one file and every problem met, without raising for bad input.

    Problems are the file-level failure (then there are no Documents), records
    that were skipped (a broken JSONL line, a record without title or body, a
    repeated article) and, last, `ParseNote`s (a `ParseError` subclass) about
    what was read but may be off: an unreadable date, a file decoded as
    Windows-1252. Show notes as warnings; the file's records were kept.
    """
    path, root = Path(path), Path(root)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        return [], [ParseError(relative_name(path, root), f"has an unsupported file type '{path.suffix}'",
                               f"use one of {', '.join(sorted(SUPPORTED_SUFFIXES))}")]
    source = None
    try:
        source = read_source(path, root, cap_for(suffix))
        documents = _parser_for(suffix, source)(source)
    except ParseError as exc:
        return [], [exc, *(source.notes if source else [])]
    documents = _unique([_clean(document, source) for document in documents], source)
    if not documents and not source.problems:
        source.problems.append(source.error("has no article records",
                                            "add a record with a title and a body, or remove the file"))
    return documents, source.problems + source.notes


def _parser_for(suffix: str, source: Source) -> Callable[[Source], list[Document]]:
    if suffix == ".txt":
        return parse_records if _YAML_START.match(source.text) else parse_page
    return _PARSERS[suffix]


def _clean(document: Document, source: Source) -> Document:
    """`document` with NUL characters removed and lone surrogates (half an emoji) made U+FFFD, noted.

    Every parser's output passes here, so no field of any format can carry a value
    that SQLite, UTF-8 or the passage spans cannot hold; chunking then runs on
    the cleaned text, so `hit.text == document.text[start:end]` holds.
    """
    changes: dict[str, object] = {}
    for field in dataclasses.fields(Document):
        value = getattr(document, field.name)
        if isinstance(value, str) and _NOT_TEXT.search(value):
            changes[field.name] = _text_only(value)
        elif isinstance(value, tuple) and any(_NOT_TEXT.search(v) for v in value):
            changes[field.name] = tuple(_text_only(v) for v in value)
    if not changes:
        return document
    if any(_lossy(getattr(document, name), value) for name, value in changes.items()):
        source.note(f"article {_text_only(document.doc_id)[:80]} held characters that are not text (NUL or a lone "
                    f"surrogate) in {', '.join(changes)}; they were removed or shown as \ufffd",
                    "re-export the file as UTF-8 text")
    return dataclasses.replace(document, **changes)


def _lossy(before: object, after: object) -> bool:
    """Whether cleaning lost something (a NUL or a lone surrogate), not only joined a surrogate pair."""
    pairs = zip(before, after) if isinstance(before, tuple) else [(before, after)]
    return any("\x00" in b or a.count("\ufffd") > b.count("\ufffd") for b, a in pairs)


def _text_only(value: str) -> str:
    """NULs dropped; a surrogate pair (as YAML escapes give it) joined into its character, a lone one U+FFFD."""
    value = value.replace("\x00", "")
    return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _unique(documents: list[Document], source: Source) -> list[Document]:
    """One Document per id: an article beats a related stub of the same url; a repeated article is reported."""
    chosen: dict[str, Document] = {}
    for document in documents:
        kept = chosen.get(document.doc_id)
        if kept is None or (kept.kind == "related" and document.kind == "article"):
            chosen[document.doc_id] = document
        elif document.kind == "article" and kept.kind == "article":
            source.problems.append(source.error(f"article {document.doc_id} appears more than once; the first is kept",
                                                "remove the repeated record"))
    return list(chosen.values())
