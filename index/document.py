"""The records that flow through the pipeline: a parsed `Document`, its `Chunk`s, and the `Filters` of a search.

Both are small frozen value objects. A document's id is its canonical url when it
has one, else `local_id`: its path relative to the ingested folder, `@`, and a tag
of the file's absolute path (so files of the same name in two folders never share
an id); `content_hash` decides
whether a re-ingest must re-chunk and re-embed it. A chunk knows the exact
character span of its text inside `Document.text`, so a citation can always be
traced back to the stored article and highlighted.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from index.errors import QueryError


@dataclass(frozen=True, slots=True)
class Document:
    """One article (or one `related` article stub) as newsdesk stores it.

    `text` is the body that chunks point into; the title is kept apart so spans
    never shift when the title changes. `published` is an ISO 8601 string in UTC
    (`2024-02-21T01:01:00Z`) or a bare date, or None when unknown.
    """

    doc_id: str
    title: str
    text: str
    source: str  # file path relative to the ingested folder
    url: str | None = None
    outlet: str | None = None
    outlet_domain: str | None = None
    published: str | None = None
    author: str | None = None
    category: str | None = None
    topics: tuple[str, ...] = ()
    kind: str = "article"  # "article" or "related" (a stub listed under another article)
    parent_id: str | None = None
    quality: int | None = None
    images: tuple[str, ...] = ()

    @property
    def content_hash(self) -> str:
        """A digest of every stored field: equal hashes mean nothing to re-index."""
        payload = json.dumps(asdict(self), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Chunk:
    """A passage of a document: `text == document.text[start:end]`.

    `chunk_id` is a stable 63-bit integer derived from the document id, the span
    and the text, so it can be used directly as a FAISS id. `context` is the
    title/outlet line prepended for embedding only; it is never part of a span.
    """

    chunk_id: int
    doc_id: str
    ordinal: int
    start: int
    end: int
    text: str
    context: str = field(default="", compare=False)

    @property
    def embed_text(self) -> str:
        """What the encoder sees: the context line, then the passage."""
        return f"{self.context}\n{self.text}" if self.context else self.text

    @staticmethod
    def make_id(doc_id: str, start: int, end: int, text: str) -> int:
        digest = hashlib.blake2b(f"{doc_id}\x00{start}\x00{end}\x00{text}".encode("utf-8"), digest_size=8).digest()
        return int.from_bytes(digest, "big") >> 1  # keep it positive in a signed int64


def local_id(name: str, path: Path) -> str:
    """The id of a document without a url: its file's name as ingested, `@`, a tag of the file's absolute path.

    The tag (48 bits of a hash of the resolved path) makes ids unique per source
    file across ingest roots (`d1/story.md` and `d2/story.md` never share one) and
    stable: re-ingesting the same file from the same folder gives the same id.
    """
    real = os.fsencode(Path(path).resolve())
    return f"{name}@{hashlib.blake2b(real, digest_size=6).hexdigest()}"


def untagged(doc_id: str) -> str:
    """`doc_id` without the tag `local_id` adds (`d1/story.md@1a2b3c4d5e6f#3` -> `d1/story.md#3`).

    The name a person writes for a url-less document (in a golden file, say); a url is returned as it is.
    """
    return _TAG.sub("", doc_id)


_TAG = re.compile(r"@[0-9a-f]{12}(?=#|$)")


def stamp(content_hash: str) -> int:
    """A document's content hash cut to 60 bits: what a derived index (tantivy, Milvus) stores per chunk and is
    checked against by `index.engines.keyword.reconcile`."""
    return int(content_hash[:15], 16)


@dataclass(frozen=True, slots=True)
class Filters:
    """Restrict a search: outlets (name or domain) and topics match case-insensitively,
    dates are inclusive ISO dates (`2023-10-01`); empty fields do not filter."""

    outlets: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    date_from: str | None = None
    date_to: str | None = None

    def __post_init__(self) -> None:
        """Check every field, so a mistake (`outlets="Forbes"`, `date_from="2024-02-30"`) is an error, not a wrong answer."""
        for name in ("outlets", "topics"):
            value = () if getattr(self, name) is None else getattr(self, name)
            if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)) \
                    or not all(isinstance(v, str) for v in value):
                raise QueryError(f"Filters {name} must be a tuple of names, got {value!r}",
                                 f"write {name}=({value!r},)" if isinstance(value, str) else f"write {name}=('name', ...)")
            object.__setattr__(self, name, tuple(value))
        for name in ("date_from", "date_to"):
            object.__setattr__(self, name, _checked_date(name, getattr(self, name)))
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise QueryError(f"the date range {self.date_from}..{self.date_to} is empty", "put the earlier date first")

    def __bool__(self) -> bool:
        return bool(self.outlets or self.topics or self.date_from or self.date_to)


def _checked_date(name: str, value: object) -> str | None:
    """An ISO date `YYYY-MM-DD` that exists on the calendar (a `datetime.date` is accepted), or None."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value.isoformat()[:10]
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise QueryError(f"Filters {name}={value!r} is not a calendar date", "write it as YYYY-MM-DD, e.g. 2023-10-01")
