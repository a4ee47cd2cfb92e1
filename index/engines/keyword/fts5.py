"""The FTS5 keyword engine: an SQLite table of chunks in the store's own database, ranked with BM25.

Each row is one chunk (rowid = chunk_id) with three columns: the document's title,
the chunk's text, and a metadata line (outlet, its domain, the author and the
publication date spelled out: "november 9 2023 2023-11-09"), so questions that
name an outlet or a date match it. Rows are written and deleted inside the
store's transactions, so it never lags the store (no generation to catch up).
Tokenising: FTS5's `porter unicode61 remove_diacritics 2`: words split at anything
not a letter or digit, lower-cased, accents folded, Porter-stemmed; no stop words
at index time (queries drop theirs), numbers kept as digit runs ("2023-11-09" is
2023, 11, 09). BM25 is computed over the three columns together (one length per
row), with per-column weights. This module must not import tantivy.
"""
from __future__ import annotations

import sqlite3
from typing import Sequence

from index.document import Document
from index.engines.keyword.fields import meta_text

SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    title, body, meta, tokenize = 'porter unicode61 remove_diacritics 2');
"""


class KeywordIndex:
    """BM25 search over chunks, on the store's SQLite connection."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def put(self, doc: Document, chunks: Sequence[tuple[int, str]]) -> None:
        """Index (chunk_id, text) pairs of `doc` (replacing rows with the same ids)."""
        meta = meta_text(doc)
        self._db.executemany("INSERT OR REPLACE INTO chunks_fts (rowid, title, body, meta) VALUES (?, ?, ?, ?)",
                             [(i, doc.title, text, meta) for i, text in chunks])

    def delete(self, chunk_ids: Sequence[int]) -> None:
        self._db.executemany("DELETE FROM chunks_fts WHERE rowid = ?", [(i,) for i in chunk_ids])

    def clear(self) -> None:
        self._db.execute("DELETE FROM chunks_fts")

    def search(self, terms: Sequence[str], limit: int, where: Sequence[str] = (), args: Sequence[object] = (),
               weights: tuple[float, float, float] = (1.0, 1.0, 1.0)) -> list[tuple[int, float]]:
        """(chunk_id, score) of the best `limit` chunks holding any of `terms`, best first.

        `where` are SQL conditions on the documents table (aliased `d`) with their `args`.
        Without them, FTS5 ranks on its own and nothing is joined: at a million chunks
        a common word matches most rows, and joining every match to its document before
        the sort cost more than the ranking itself.
        """
        terms = [t.replace('"', "") for t in terms]
        terms = [t for t in dict.fromkeys(terms) if t.strip()]
        if not terms or limit < 1:
            return []
        match = " OR ".join(f'"{t}"' for t in terms)
        joins = " JOIN chunks c ON c.chunk_id = f.rowid JOIN documents d USING (doc_id)" if where else ""
        q = (f"SELECT f.rowid, -bm25(chunks_fts, ?, ?, ?) AS s FROM chunks_fts f{joins} WHERE chunks_fts MATCH ?"
             + "".join(" AND " + w for w in where) + " ORDER BY s DESC LIMIT ?")
        return [(int(i), float(s)) for i, s in self._db.execute(q, [*weights, match, *args, limit])]



class Fts5Keywords:
    """The FTS5 engine behind the keyword seam (see index.engines.keyword): the rows live in the store's own
    transactions, so there is nothing to catch up, commit or reload."""

    name = "fts5"

    def __init__(self, store) -> None:
        self.store = store
        meta = store.meta()
        if meta.get("fts5") == "off" or meta.get("format_version") == "1":  # written without FTS5 rows: fill them
            store.fill_fts5()  # from the store (a reader's go to its own temporary table: the store is not written)

    def hits(self, terms: Sequence[str], limit: int, filters=None,
             weights: tuple[float, float, float] = (1.0, 1.0, 1.0)) -> list[tuple[int, str, float]]:
        return self.store.keyword_search(terms, limit, filters, weights)

    def hits_many(self, queries: Sequence[tuple[Sequence[str], int]], filters=None,
                  weights: tuple[float, float, float] = (1.0, 1.0, 1.0)) -> list[list[tuple[int, str, float]]]:
        """`hits` of each (terms, limit) query, one after another (one connection: no parallel queries)."""
        return [self.hits(terms, limit, filters, weights) for terms, limit in queries]

    def update(self, removed: Sequence[int], docs: Sequence[tuple[Document, Sequence[tuple[int, str]]]]) -> None:
        """Nothing to do: `Store.put_document` wrote the rows inside the batch's transaction."""

    def commit(self, generation: int) -> None:
        """Nothing to do: the rows committed with the store."""

    def close(self) -> None:
        """Nothing held."""
