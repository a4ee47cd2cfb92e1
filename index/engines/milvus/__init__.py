"""The Milvus backend (`backend: milvus`): passages' vectors, keyword terms and filter fields in one collection.

In place of `vectors.faiss` and the keyword index, one Milvus collection holds a row per
chunk, keyed by the chunk id (the store's int64):

    chunk_id   INT64 primary key        stamp     the document's content hash, 60 bits
    dense      FLOAT_VECTOR (inner product over the model's unit vectors)
    terms      VARCHAR, analysed here (title twice, passage, outlet/author/date line), read by
               Milvus's BM25 function into `sparse` (SPARSE_FLOAT_VECTOR, BM25 k1 1.2, b 0.75)
    outlets, topics (ARRAY of lower-cased VARCHAR), kind (VARCHAR), day (INT64 yyyymmdd, 0: undated)

Documents and passage text stay in the store (SQLite here; PostgreSQL on a cluster), the
source of truth. The terms are analysed by newsdesk (index.engines.milvus.rows), so milvus-lite and a
cluster index the same tokens.

Write protocol (index.ingest.writer, through `MilvusEngines`): the store's record of the collection is marked unknown, a batch's
rows are upserted and flushed before the store's transaction makes its documents visible; chunks the transaction dropped are deleted after
it; then the store records the generation the collection reflects. A reader joins every hit
to the store and drops chunks it does not hold, so a crash at any point shows neither a
document without its passages nor a passage without its document. `catch_up` (at an
ingest, or at a reader's open when no writer runs) deletes rows the store does not hold and
upserts what it lacks from the store's vectors, never re-embedding; that also moves a local
index to Milvus by switching `backend: milvus`.

`collection.py` talks to Milvus (the only module that imports pymilvus), `rows.py` builds
its rows and filter expressions without it; this module is the `Engines` pair.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Sequence

import numpy as np

from index.engines.base import Batch, stored_dim
from index.engines.milvus.collection import MilvusIndex
from index.engines.milvus.rows import MilvusTarget
from index.errors import IndexBusy, IndexUnwritable
from index.storage.folder import write_lock


class MilvusEngines:
    """Both sides of an index from its Milvus collection (the `Engines` pair of backend: milvus).

    The collection is opened once the store knows the vectors' dimension. Opening it catches it up
    with the store: always for the writer, and for a reader only while no writer holds the index (a
    running ingest catches it up itself; a read-only folder is searched as it is, hits being joined)."""

    name = "milvus"

    def __init__(self, target: MilvusTarget, store, folder: Path) -> None:
        self.target, self.store, self.folder = target, store, folder
        self._collection: MilvusIndex | None = None
        self._write = False

    def collection(self, write: bool = False) -> MilvusIndex | None:
        """The collection, or None while the index has no vectors yet."""
        dim = stored_dim(self.store)
        if dim is None:
            return None
        if self._collection is None:
            write = write or self._write
            self._collection = MilvusIndex(self.target, self.store, dim, write)
            if write:
                self._collection.catch_up()
            elif self._collection.generation != self.store.generation():
                self._repair()
        return self._collection

    def _repair(self) -> None:
        """A reader catches the collection up (after a crash) only while no writer runs and the folder can be
        written: the record of what the collection reflects is the store's, so it opens the store for
        writing for that alone. Otherwise it searches the collection as it is (hits are joined to the store)."""
        from index.storage.store import Store  # not at import: the store's module imports this package's parent

        try:
            with write_lock(self.folder):
                store = Store(self.store.path)
                try:
                    self._collection.store = store
                    self._collection.catch_up()
                finally:
                    self._collection.store = self.store
                    store.close()
        except (IndexBusy, IndexUnwritable, sqlite3.OperationalError):
            pass

    def dense(self):
        return self.collection() or _Empty()

    def keywords(self, engine: str | None = None):
        """The collection's BM25 side (`engine`, a local keyword engine's name, does not apply)."""
        return self.collection() or _Empty()

    def begin(self) -> None:
        self._write = True
        self.collection(write=True)  # None until the first batch gives the index its dimension

    def stage(self, batch: Batch, vectors: dict[int, np.ndarray]) -> None:
        self.collection(write=True).put(batch, vectors)  # the passages go in before the documents are visible

    def apply(self, removed: Sequence[int], batch: Batch, vectors: dict[int, np.ndarray], generation: int) -> None:
        kept = {i for _, chunks in batch for i, _ in chunks}
        collection = self.collection(write=True)
        collection.remove(set(removed) - kept)  # old versions; rows of kept chunks were just overwritten
        collection.commit(generation)

    def save(self, changed: bool = True) -> None:
        """Nothing to write in the folder: a later local open rebuilds vectors.faiss from the store."""

    def reopen(self, store) -> None:
        self.close()
        self._collection, self.store = None, store

    def refresh(self, force: bool = False) -> bool:
        return False  # searches go to the server, which is always current

    def close(self) -> None:
        if self._collection is not None:
            self._collection.close()


class _Empty:
    """Both sides of an index with no vectors yet: nothing to find."""

    def search(self, query, limit, filters=None) -> list[tuple[int, float]]:
        return []

    def hits_many(self, queries, filters=None, weights=(1.0, 1.0, 1.0)) -> list[list[tuple[int, str, float]]]:
        return [[] for _ in queries]
