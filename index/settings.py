"""How an index is built and where its engines live: one frozen value, built once from the config.

`qa.config.Config.index_settings()` makes it; `index.ingest.ingest`, `IndexDir.create_or_open`
and the test and bench helpers take it whole, so no caller re-assembles a dozen loose
parameters its own way. Each field says what it trades.
"""
from __future__ import annotations

from dataclasses import dataclass

from index.chunk import ChunkPlan
from index.engines import Backend


@dataclass(frozen=True, slots=True)
class IndexSettings:
    """chunk:          passage size and overlap in model tokens (`ChunkPlan`): smaller cites more precisely.
    index_type:     vector index: "auto" (exact below 200,000 chunks, IVF with 8-bit codes above), "flat"
                    or "ivf-sq8"; None keeps what the index has. Remembered by the index.
    keyword_engine: "tantivy" or "fts5"; None keeps what the index has (tantivy for a new one).
    backend:        None: vectors and keywords in the index folder; else the remote collection that holds
                    them (`index.engines.Backend`), which any number of servers share.
    engine:         where an ingest parses, chunks and embeds: "local" or "ray" (same documents either way).
    workers:        local: processes that parse and chunk (1: none, 0: auto); ray: CPUs of a local Ray (0: all).
    ray_address:    a Ray cluster to run on ("ray://head:10001", "auto"); empty: a private local Ray.
    """

    chunk: ChunkPlan = ChunkPlan()
    index_type: str | None = None
    keyword_engine: str | None = None
    backend: Backend | None = None
    engine: str = "local"
    workers: int = 1
    ray_address: str = ""
