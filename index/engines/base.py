"""The contract of an index's engines: a vector side and a keyword side, read and written through one pair.

An `Engines` pair is what `index.storage.layout.IndexDir` holds and what the writer
(index.ingest.writer) and the retriever (qa.retrieve) talk to; neither knows which
engine answers. Two pairs exist (`index.engines.open_engines` picks one):

    local    vectors.faiss (FAISS) + the keyword engine (tantivy, or FTS5 in the store)
    milvus   one Milvus collection holding each passage's vector, keyword terms and filter fields

The store (SQLite) stays the source of truth either way: a pair holds derived data
that it records the store generation of, and catches up from the store (no
re-embedding) when it is behind. Write protocol, one committed store batch at a time:
`stage` before the store's transaction (an engine that must hold a batch's passages
before readers can see its documents writes here), `apply` after it with the store's
new generation, and `save` once at the end of an ingest.
"""
from __future__ import annotations

from typing import Protocol, Sequence

import numpy as np

from index.document import Document, Filters

Batch = Sequence[tuple[Document, Sequence[tuple[int, str]]]]  # (document, [(chunk id, passage text)]) of a batch
KeywordHits = list[tuple[int, str, float]]  # (chunk id, doc id, BM25 score), best first, chunks still stored


class VectorSearch(Protocol):
    """The dense side: nearest passages to a query vector, inside `filters` (applied by the engine)."""

    def search(self, query: np.ndarray, limit: int, filters: Filters | None = None) -> list[tuple[int, float]]: ...


class KeywordSearch(Protocol):
    """The keyword side: BM25 hits of several (terms, limit) queries (a question and its clauses) in one batch.
    `weights` scale (title, passage, meta line) matches where the engine reads them per query (FTS5)."""

    def hits_many(self, queries: Sequence[tuple[Sequence[str], int]], filters: Filters | None = None,
                  weights: tuple[float, float, float] = (1.0, 1.0, 1.0)) -> list[KeywordHits]: ...


class Engines(Protocol):
    """The two sides of one index, for searching and for the writer's batches."""

    name: str

    def dense(self) -> VectorSearch: ...

    def keywords(self, engine: str | None = None) -> KeywordSearch: ...

    def begin(self) -> None:
        """An ingest starts: hold the write side and catch up with the store before the first batch."""

    def stage(self, batch: Batch, vectors: dict[int, np.ndarray]) -> None:
        """Before the store commits `batch` (its passages' vectors by chunk id)."""

    def apply(self, removed: Sequence[int], batch: Batch, vectors: dict[int, np.ndarray], generation: int) -> None:
        """After the store committed `batch` at `generation`; `removed`: the chunk ids it dropped."""

    def save(self, changed: bool = True) -> None:
        """An ingest ends (`changed`: it wrote or removed something): persist what the pair keeps in the folder."""

    def reopen(self, store) -> None:
        """The store file was replaced (a rebuild): let go of what reads the old one and use `store`."""

    def refresh(self, force: bool = False) -> bool:
        """Reload what another process wrote since (`force`: the store changed); True when something was."""

    def close(self) -> None: ...


def stored_dim(store) -> int | None:
    """The vector dimension the store records (None until the first vectors are written)."""
    dim = store.meta().get("dim")
    return int(dim) if dim else None
