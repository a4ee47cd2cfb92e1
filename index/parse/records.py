"""Article records (a mapping of fields) to `Document`s, and YAML files of such records.

One mapping function serves every structured format (YAML records, JSON lines,
Markdown front matter), so a field spelled `originalUrl`, `url` or `link` means
the same everywhere. A record's `related` list becomes one extra Document per
entry (kind "related", pointing at its parent). Only the fields named in the
alias tables below are ever read: anything else in a record, such as the
`secured` token of the feed exports, must never reach a Document.
"""
from __future__ import annotations

import re
from collections.abc import Mapping

from index.document import Document
from index.parse import fields
from index.parse.source import Source
from index.parse.yamlsafe import load_documents

TITLE_KEYS = ("title", "headline")
BODY_KEYS = ("body", "text", "content", "article", "excerpt", "summary", "description")
URL_KEYS = ("originalUrl", "url", "webUrl", "link", "canonical_url", "canonical")
OUTLET_KEYS = ("provider", "source", "outlet", "publisher", "site_name", "sitename", "site")
DATE_KEYS = ("publishedDateTime", "published_at", "publishedAt", "datePublished", "pubDate", "published", "date")
AUTHOR_KEYS = ("author", "authors", "byline", "creator")
CATEGORY_KEYS = ("category", "section")
TOPIC_KEYS = ("topics", "tags", "keywords")
IMAGE_KEYS = ("images", "image")
DOMAIN_KEYS = ("outlet_domain", "domain")

NO_CONTENT_FIX = "give the record a title, an excerpt or a body, or remove it"


def parse_records(source: Source) -> list[Document]:
    """Every record of a YAML stream (`---` separated); per-record problems go to `source.problems`."""
    documents: list[Document] = []
    for position, yaml_doc in enumerate(load_documents(source.text, source), start=1):
        if yaml_doc.data is None:
            continue  # the empty document after a closing `---`
        if not isinstance(yaml_doc.data, Mapping):
            kind = type(yaml_doc.data).__name__
            source.problems.append(source.error(
                f"YAML document {position} is a {kind}, not an article record (field: value lines)",
                NO_CONTENT_FIX, line=yaml_doc.line))
            continue
        documents.extend(documents_from_record(yaml_doc.data, source, fallback_id=f"{source.id_base}#{yaml_doc.line}",
                                               line=yaml_doc.line))
    return documents


def documents_from_record(record: Mapping, source: Source, *, fallback_id: str, line: int | None = None,
                          text: str | None = None) -> list[Document]:
    """The article of `record` followed by its `related` stubs.

    `fallback_id` is used when the record has no url; `text` overrides the body
    fields (Markdown passes the text after its front matter). A record with
    neither title nor body is reported in `source.problems` and yields nothing.
    """
    article = _document(record, source, fallback_id=fallback_id, line=line, text=text)
    if article is None:
        return []
    documents = [article]
    related = record.get("related")
    if isinstance(related, list):
        for position, entry in enumerate(related, start=1):
            if not isinstance(entry, Mapping):
                source.problems.append(source.error(f"related entry {position} is not a record", NO_CONTENT_FIX,
                                                    line=line))
                continue
            stub = _document(entry, source, fallback_id=f"{article.doc_id}#related-{position}", line=line,
                             kind="related", parent_id=article.doc_id, what=f"related entry {position}")
            if stub is not None:
                documents.append(stub)
    return documents


def _document(record: Mapping, source: Source, *, fallback_id: str, line: int | None, text: str | None = None,
              kind: str = "article", parent_id: str | None = None, what: str = "record") -> Document | None:
    title = fields.as_line(_first(record, TITLE_KEYS))
    body = text.strip() if text is not None else fields.as_text(_first(record, BODY_KEYS))
    if not body and not title:
        source.problems.append(source.error(f"{what} has no title or body", NO_CONTENT_FIX, line=line))
        return None
    url = fields.canonical_url(_first(record, URL_KEYS))
    outlet_value = _first(record, OUTLET_KEYS)
    return Document(
        doc_id=url or fallback_id,
        title=title or fields.title_from_text(body or ""),
        text=body or title or "",  # a stub with a title only is still findable by that title
        source=source.rel,
        url=url,
        outlet=fields.as_line(outlet_value),
        outlet_domain=_domain(record, outlet_value),
        published=_published(record, source, line, what),
        author=fields.as_line(_first(record, AUTHOR_KEYS)),
        category=fields.as_line(_first(record, CATEGORY_KEYS)),
        topics=fields.as_tags(_first(record, TOPIC_KEYS)),
        kind=kind,
        parent_id=parent_id,
        quality=_quality(record, source, line, what),
        images=fields.as_urls(_first(record, IMAGE_KEYS)),
    )


def _first(record: Mapping, keys: tuple[str, ...]) -> object:
    """The value of the first key present with a non-empty value."""
    for key in keys:
        value = record.get(key)
        if value not in (None, "", [], {}):
            return value
    return None


def _domain(record: Mapping, outlet_value: object) -> str | None:
    if isinstance(outlet_value, Mapping):
        domain = fields.as_line(outlet_value.get("domain"))
        if domain:
            return domain.lower()
    domain = fields.as_line(_first(record, DOMAIN_KEYS))
    return domain.lower() if domain else None


def _quality(record: Mapping, source: Source, line: int | None, what: str) -> int | None:
    value = record.get("quality")
    quality = fields.as_int(value)
    too_big = isinstance(value, int) and not isinstance(value, bool) or (
        isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{19,}\s*", value) is not None)
    if quality is None and too_big:
        size = f"{value.bit_length()} bits" if isinstance(value, int) else f"{len(value.strip())} digits"
        source.note(f"{what} has a quality value of {size}, too large to store; stored without it",
                    f"keep quality within ±{fields.INT_LIMIT - 1:,}", line=line)
    return quality


def _published(record: Mapping, source: Source, line: int | None, what: str) -> str | None:
    for key in DATE_KEYS:
        value = record.get(key)
        if value in (None, ""):
            continue
        published = fields.iso_utc(value)
        if published:
            return published
        raw = fields.as_line(value) or ""
        if any(ch.isdigit() for ch in raw):  # `published: false` is a flag, not a broken date
            source.note(f"{what} has an unreadable {key} value {raw[:40]!r}; stored without a date",
                        "write dates as 2024-02-21T01:01:00Z", line=line)
    return None
