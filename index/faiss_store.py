"""Vector search over chunk ids: the only module that imports faiss.

`VectorIndex` holds unit vectors under their 63-bit chunk ids in an exact
inner-product index (`IndexIDMap2` over `IndexFlatIP`): for unit vectors inner
product is cosine similarity. Saving writes a temporary file and renames it
over the old one, so a crash never leaves a half-written index behind.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

import faiss
import numpy as np

from index.errors import IndexCorrupt


class VectorIndex:
    def __init__(self, dim: int, index: "faiss.Index | None" = None) -> None:
        self.dim = dim
        self._index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64))

    def remove(self, ids: Iterable[int]) -> None:
        ids = np.fromiter(ids, dtype=np.int64)
        if len(ids):
            self._index.remove_ids(faiss.IDSelectorBatch(ids))

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The `k` nearest chunk ids with their cosine scores, best first.

        `allowed` restricts the search to those ids (a metadata filter) inside
        FAISS itself, so a narrow filter still returns `k` hits when they exist.
        """
        k = min(k, len(self))
        if k <= 0:
            return []
        params = None
        if allowed is not None:
            if len(allowed) == 0:
                return []
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64)))
        scores, ids = self._index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k, params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i != -1]

    def save(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".tmp")
        faiss.write_index(self._index, str(tmp))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path, dim: int) -> "VectorIndex":
        try:
            index = faiss.read_index(str(path))
        except RuntimeError as exc:
            raise IndexCorrupt(
                f"vector index {path} cannot be read ({str(exc).splitlines()[0][:120]})",
                "run `newsdesk ingest PATH --rebuild` to rebuild it",
            ) from exc
        if index.d != dim:
            raise IndexCorrupt(f"vector index {path} has dimension {index.d}, the store has {dim}",
                               "run `newsdesk ingest PATH --rebuild`")
        return cls(dim, index)
