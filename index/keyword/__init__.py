"""The keyword side of an index, behind one seam: BM25 over chunks by SQLite FTS5 (default) or tantivy.

    keyword_engine: fts5      an FTS5 table inside the store (index.keyword.fts5): written in
                              the store's own transactions, but it scores every row holding any
                              query word (~3 s per query at 1M chunks)
    keyword_engine: tantivy   a tantivy index beside the store (index.keyword.tantivy_engine):
                              ~17 ms per 22-term query at 1M chunks, derived data caught up
                              from the store by generation and chunk id

FTS5 stays the default until tantivy measures as good on the dev set: on 2026-12-01 tantivy's
hybrid recall@10 was 0.9331 against 0.9337 and MRR@10 0.9253 against 0.9290 (0.37 points,
over the 0.3 allowed), see docs/SCALING.md.

Both index the same fields (title, passage, the outlet/author/date line, see
index.keyword.fields) and tokenise alike (letters and digits, lower-cased,
accents folded, English stemming, no stop words at index time). An engine has
`hits(terms, limit, filters, weights)` -> [(chunk_id, doc_id, score)] of chunks
still in the store, best first; `update(removed, docs)` and `commit(generation)`
after each committed write batch; `close()`. This package picks one; it never
ranks (qa.retrieve.hybrid does) and never writes the store's documents.
"""
from __future__ import annotations

from pathlib import Path

from index.errors import ConfigError
from index.keyword.fts5 import SCHEMA, KeywordIndex  # noqa: F401  (the store's full-text table)

ENGINES = ("tantivy", "fts5")
DEFAULT_ENGINE = "fts5"


def open_engine(name: str, folder: Path, store, write: bool = False):
    """The keyword engine `name` of the index at `folder` over its `store` (write=True for an ingest)."""
    if name == "fts5":
        from index.keyword.fts5 import Fts5Keywords

        return Fts5Keywords(store)
    if name == "tantivy":
        from index.keyword.tantivy_engine import TantivyKeywords

        if write:
            store.drop_fts5()  # one engine is kept: FTS5 rows would cost ~1.4 KB and 1 ms of ingest per chunk
        return TantivyKeywords(folder, store, write)
    raise ConfigError(f"keyword engine {name!r} is not one of {', '.join(ENGINES)}", "set keyword_engine: fts5 or tantivy")
