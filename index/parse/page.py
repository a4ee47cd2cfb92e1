"""Scraped plain-text pages: drop the site header, find the title, keep the body verbatim.

A scraped page starts with header lines (site name, tagline, menu items, the
headline, maybe a byline or a date) and then the article's paragraphs. The
heuristic, which looks at line shapes only and knows no site:

* A paragraph line is a long line of prose: two or more sentences, or at least
  `PARAGRAPH_MIN_WORDS` words ending like a sentence, or more than
  `HEADER_MAX_WORDS` words. Every non-blank line before the first one is a header line.
* When a later header line repeats the first one or starts with it ("Site:
  tagline"), the first line is the site name: it becomes the `outlet`, and every
  header line equal to it or starting with it is boilerplate.
* "By ..." lines give the author and date lines give `published`; the title is the
  last remaining header line (the headline sits just above the text), else the
  first sentence of the body.
* The body is the file text from the first paragraph line on, stripped only at
  its ends, so chunk offsets are offsets into the original characters.

It must not rewrite the body: no de-duplication of repeated phrases, no
footer guessing (a trailing "Share this" line stays; better kept than lost).
"""
from __future__ import annotations

import re
from datetime import datetime

from index.document import Document
from index.parse import fields
from index.parse.source import Source

HEADER_MAX_WORDS = 30
"""Longer lines are always prose; raise it for sites with very long headlines."""

PARAGRAPH_MIN_WORDS = 8
"""A single sentence this long ending in a full stop counts as prose, not a header."""

_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(?=\s|$)")
_BYLINE = re.compile(r"^(?:written\s+)?by\s+(\S.{1,80})$", re.IGNORECASE)
_DATE_PREFIX = re.compile(r"^(?:published|updated|posted|date)\s*(?:on)?\s*:?\s*", re.IGNORECASE)
_HUMAN_DATE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%B %d %Y", "%Y/%m/%d", "%d.%m.%Y")


def parse_page(source: Source) -> list[Document]:
    """One Document for the page; its id is the file path (a page has no url)."""
    header, body_start = _split_header(source.text)
    body = source.text[body_start:].strip()
    site, author, published, candidates = _read_header(header)
    title = candidates[-1] if candidates else fields.title_from_text(body)
    return [Document(doc_id=source.id_base, title=title, text=body, source=source.rel, outlet=site,
                     published=published, author=author)]


def is_paragraph(line: str) -> bool:
    """Whether a stripped line reads as prose rather than a header, menu item or headline."""
    words = len(line.split())
    if words > HEADER_MAX_WORDS:
        return True
    sentences = len(_SENTENCE_END.findall(line))
    return (sentences >= 2 and words >= 4) or (words >= PARAGRAPH_MIN_WORDS and line.endswith((".", ".”", '."')))


def _split_header(text: str) -> tuple[list[str], int]:
    """The header lines and the offset where the body starts (0 when no line reads as prose)."""
    header: list[str] = []
    offset = 0
    for raw in text.splitlines(keepends=True):
        line = raw.strip()
        if line and is_paragraph(line):
            return header, offset
        if line:
            header.append(line)
        offset += len(raw)
    return [], 0  # no prose at all (a list or short note): keep every line as the body


def _read_header(header: list[str]) -> tuple[str | None, str | None, str | None, list[str]]:
    """(outlet, author, published, title candidates) from the header lines, in that order."""
    site = None
    if len(header) >= 2 and any(line.casefold().startswith(header[0].casefold()) for line in header[1:]):
        site = header[0]
    author = published = None
    candidates = []
    for line in header:
        if site and line.casefold().startswith(site.casefold()):
            continue
        byline = _BYLINE.match(line)
        date = None if byline else _dateline(line)
        if byline:
            author = author or byline.group(1).strip()
        elif date:
            published = published or date
        else:
            candidates.append(line)
    return site, author, published, candidates


def _dateline(line: str) -> str | None:
    """The date of a header line that is only a date (`March 3, 2024`, `Published: 2024-03-03`)."""
    text = _DATE_PREFIX.sub("", line).strip()
    if len(text) > 40 or not re.search(r"\d{4}", text):
        return None
    machine = fields.iso_utc(text)
    if machine:
        return machine
    for pattern in _HUMAN_DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    return None
