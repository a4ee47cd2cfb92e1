"""The keyword side of an index, behind one seam: BM25 over chunks by tantivy (default) or SQLite FTS5.

    keyword_engine: tantivy   a tantivy index beside the store (index.engines.keyword.tantivy_engine):
                              ~17 ms per 22-term query at 1M chunks, derived data caught up
                              from the store by generation and chunk id (index.engines.keyword.reconcile)
    keyword_engine: fts5      an FTS5 table inside the store (index.engines.keyword.fts5): written in
                              the store's own transactions, but it scores every row holding any
                              query word (~3 s per query at 1M chunks)

On the dev set (hybrid, same ranking settings, docs/SCALING.md) tantivy measured recall@5
+0.37 points, recall@10 -0.02 and MRR@10 -0.20 against FTS5: within the 0.3 points allowed,
and about 150 times faster at a million chunks, so it is the default.

Both index the same fields (title, passage, the outlet/author/date line, see
index.engines.keyword.fields) and tokenise alike (letters and digits, lower-cased,
accents folded, English stemming, no stop words at index time). An engine has
`hits(terms, limit, filters, weights)` -> [(chunk_id, doc_id, score)] of chunks
still in the store, best first; `update(removed, docs)` and `commit(generation)`
after each committed write batch; `close()`. This package picks one; it never
ranks (qa.retrieve.hybrid does) and never writes the store's documents.
"""
from __future__ import annotations

from pathlib import Path

from index.errors import ConfigError
from index.engines.keyword.fts5 import SCHEMA, KeywordIndex  # noqa: F401  (the store's full-text table)

ENGINES = ("tantivy", "fts5")
DEFAULT_ENGINE = "tantivy"


def open_engine(name: str, folder: Path, store, write: bool = False):
    """The keyword engine `name` of the index at `folder` over its `store` (write=True for an ingest)."""
    if name == "fts5":
        from index.engines.keyword.fts5 import Fts5Keywords

        return Fts5Keywords(store)
    if name == "tantivy":
        from index.engines.keyword.tantivy_engine import TantivyKeywords

        if write:
            store.drop_fts5()  # one engine is kept: FTS5 rows would cost ~1.4 KB and 1 ms of ingest per chunk
        return TantivyKeywords(folder, store, write)
    raise ConfigError(f"keyword engine {name!r} is not one of {', '.join(ENGINES)}", "set keyword_engine: fts5 or tantivy")
