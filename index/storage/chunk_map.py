"""Which article each passage belongs to, held in memory by a reader: chunk id -> doc id as two arrays.

A question's search looks up the article of every candidate passage (about 750 at the
default settings: the question's keyword hits, its parts', its nearest vectors), and
fusion cannot start without them. In SQLite that is a primary-key lookup each, about
0.5-1 ms a question at 7k chunks and 1.3-1.9 ms at a million; from these arrays it is
a binary search, about 0.1 ms. The map is read once per store generation (an ingest
moves it, and the next search reads it again), only by read-only stores: a writer's
own uncommitted rows would not be in it. Memory: 12 bytes a chunk plus each doc id
once (about 25 MB at a million chunks); at a million chunks the serving process peaked
82 MiB higher and its open and first question took 5.2 s instead of 5.0 (docs/SCALING.md). A chunk the store no longer holds is not in the map, so
whatever it is asked about that is gone is left out, as the SQL lookup leaves it out.
"""
from __future__ import annotations

import sqlite3
from typing import Sequence

import numpy as np

_BATCH = 100_000


class ChunkMap:
    """chunk id -> doc id of one store generation."""

    def __init__(self, generation: int, ids: np.ndarray, owners: np.ndarray, doc_ids: list[str]) -> None:
        self.generation = generation
        self._ids = ids          # chunk ids, ascending (int64)
        self._owners = owners    # index into doc_ids of each chunk (int32)
        self._doc_ids = doc_ids

    @classmethod
    def read(cls, db: sqlite3.Connection, generation: int) -> "ChunkMap":
        """The map of every chunk in the store on `db`, labelled with the `generation` read just before."""
        index: dict[str, int] = {}
        ids: list[np.ndarray] = []
        owners: list[np.ndarray] = []
        cursor = db.execute("SELECT chunk_id, doc_id FROM chunks ORDER BY chunk_id")
        while rows := cursor.fetchmany(_BATCH):
            ids.append(np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)))
            owners.append(np.fromiter((index.setdefault(r[1], len(index)) for r in rows), dtype=np.int32,
                                      count=len(rows)))
        joined = np.concatenate(ids) if ids else np.empty(0, np.int64)
        return cls(generation, joined, np.concatenate(owners) if owners else np.empty(0, np.int32), list(index))

    def __len__(self) -> int:
        return len(self._ids)

    def lookup(self, chunk_ids: Sequence[int]) -> dict[int, str]:
        """chunk_id -> doc_id for the given chunks (ids the map does not hold are left out)."""
        if not len(self._ids) or not chunk_ids:
            return {}
        asked = np.fromiter(chunk_ids, dtype=np.int64, count=len(chunk_ids))
        at = np.minimum(np.searchsorted(self._ids, asked), len(self._ids) - 1)
        held = self._ids[at] == asked
        owners, docs = self._owners[at], self._doc_ids
        return {int(c): docs[o] for c, o, h in zip(chunk_ids, owners.tolist(), held.tolist()) if h}
