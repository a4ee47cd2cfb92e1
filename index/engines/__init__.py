"""The engines of an index behind one seam (`index.engines.base`): a vector side and a keyword side.

    backend: local    `LocalEngines` (index.engines.local): vectors.faiss (index.engines.faiss_store) and
                      the keyword engine (index.engines.keyword: tantivy by default, or FTS5 in the store)
    backend: milvus   `MilvusEngines` (index.engines.milvus): one Milvus collection serves both sides

`open_engines` is the one place that picks a pair; everything outside this package
(the store's folder, the writer, the retriever) sees only the `Engines` contract, and
only this package and qa/config.py name Milvus. Milvus's client is imported only when
a pair for it is opened, so a local index never loads it.
"""
from __future__ import annotations

from pathlib import Path

from index.engines.base import Engines
from index.engines.milvus.rows import MilvusTarget

Backend = MilvusTarget  # the one remote backend; None in its place means the local pair


def open_engines(folder: Path, store, backend: Backend | None = None) -> Engines:
    """The engine pair of the index at `folder` over its `store`: local, or `backend`'s collection."""
    if backend is None:
        from index.engines.local import LocalEngines

        return LocalEngines(folder, store)
    from index.engines.milvus import MilvusEngines

    return MilvusEngines(backend, store, folder)
