"""The records that flow through the pipeline: a parsed `Document` and its `Chunk`s.

Both are small frozen value objects. A document's id is its canonical url when it
has one, else `local_id`: its path relative to the ingested folder, `@`, and a tag
of the file's absolute path (so files of the same name in two folders never share
an id); `content_hash` decides
whether a re-ingest must re-chunk and re-embed it. A chunk knows the exact
character span of its text inside `Document.text`, so a citation can always be
traced back to the stored article and highlighted.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path


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
