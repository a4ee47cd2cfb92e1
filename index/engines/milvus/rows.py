"""The Milvus backend without pymilvus: where the collection is (`MilvusTarget`), a passage's row (keyword
terms and filter fields), and the filter expression of a search (index.engines.milvus.collection sends them).

The terms are analysed here, not by Milvus: words of letters and digits (under 40 bytes), lower-cased,
accents folded, Snowball English stems (the analysis of the tantivy engine, whose "english" stemmer is the
same Snowball algorithm), the title twice, then the passage and the outlet/author/date line. milvus-lite's
analyser only splits and lower-cases; with the analysis done here it and a cluster index the same tokens.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Sequence

import numpy as np

from index.document import Document, stamp
from index.engines.keyword.fields import day, meta_text

VECTOR_INDEXES = ("FLAT", "HNSW", "IVF_FLAT", "IVF_SQ8", "AUTOINDEX")
MAX_TERMS_BYTES = 60_000  # under Milvus's 65,535-byte VARCHAR
MAX_VALUES, MAX_VALUE_BYTES = 4096, 1024  # Milvus's ARRAY capacity; a longer outlet or topic is cut
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class MilvusTarget:
    """Where the collection lives. `uri`: a server (http://HOST:19530, a cluster's proxy or milvus-lite's
    `server` mode) or a milvus-lite file (`./milvus.db`, one process at a time). `token` ("user:password" or
    an API key) or `user` and `password` authenticate; none for a server without authentication.
    `vector_index`: FLAT is exact (as `flat` locally); HNSW or AUTOINDEX trade a little recall for speed
    past a few million chunks on a cluster."""

    uri: str = "http://127.0.0.1:19530"
    collection: str = "newsdesk"
    token: str | None = field(default=None, repr=False)
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    vector_index: str = "FLAT"


@lru_cache(maxsize=1)
def _stemmer():
    import snowballstemmer  # the Snowball English stemmer tantivy's "english" filter runs (Porter2)

    return snowballstemmer.stemmer("english")


def analyze(text: str) -> list[str]:
    """The keyword tokens of `text`: words of letters and digits (under 40 bytes), lower-cased, accents
    folded, stemmed."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
    return _stemmer().stemWords([w for w in _WORD.findall(folded) if len(w.encode()) < 40])


def _values(items: Iterable[str | None]) -> list[str]:
    out = sorted({v.lower().encode()[:MAX_VALUE_BYTES].decode("utf-8", "ignore") for v in items if v})
    return out[:MAX_VALUES]


def rows_of(doc: Document, chunks: Sequence[tuple[int, str]], vectors: np.ndarray) -> list[dict]:
    """One collection row per (chunk id, text) of `doc`, with its vector."""
    head = " ".join(analyze(doc.title))
    meta = " ".join(analyze(meta_text(doc)))
    common = {"stamp": stamp(doc.content_hash), "outlets": _values((doc.outlet, doc.outlet_domain)),
              "topics": _values(doc.topics), "kind": doc.kind, "day": day(doc.published) or 0}
    rows = []
    for (chunk_id, text), vec in zip(chunks, vectors):
        terms = " ".join((head, head, " ".join(analyze(text)), meta)).encode()[:MAX_TERMS_BYTES]
        rows.append({"chunk_id": int(chunk_id), "terms": terms.decode("utf-8", "ignore"),
                     "dense": np.asarray(vec, np.float32).tolist(), **common})
    return rows


def _literal(value: str) -> str:
    """A Milvus string literal: double-quoted, with the escapes both milvus-lite and Milvus read."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + '"'


def expression(filters) -> str:
    """The Milvus filter expression of an `index.document.Filters` ("" for none). Values are quoted and escaped
    (milvus-lite has no template parameters), so a quote in an outlet name is only a quote."""
    if not filters:
        return ""
    parts = []
    for name, values in (("outlets", filters.outlets), ("topics", filters.topics)):
        if values:
            parts.append(f"ARRAY_CONTAINS_ANY({name}, [{', '.join(_literal(v.lower()) for v in values)}])")
    if getattr(filters, "kinds", ()):
        parts.append(f"kind in [{', '.join(_literal(k) for k in filters.kinds)}]")
    if filters.date_from or filters.date_to:  # undated rows (day 0) never match a range
        parts.append(f"day >= {max(1, day(filters.date_from) or 0)} and day <= {day(filters.date_to) or 99_991_231}")
    return " and ".join(parts)
