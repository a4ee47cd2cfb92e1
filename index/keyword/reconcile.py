"""Bringing a derived index (the tantivy keywords, or any engine holding chunks beside the store) in line with the store.

The store is the source of truth; a derived index may be behind it after a crash
(the writer commits the store first) or when it is new. One pass over both id
lists finds what differs: chunks indexed under another content hash or no longer
stored are removed, and stored chunks missing from the index are indexed from the
store's own text, so nothing is re-embedded. The engine records the store's
generation last, in `commit`, so a crash during a catch-up is caught up again.
"""
from __future__ import annotations

import logging
from typing import Protocol, Sequence

from index.document import Document

log = logging.getLogger("newsdesk.index")


class Derived(Protocol):
    """What reconciling needs of an engine: its chunk_id -> stamp map and its writes."""

    def indexed(self) -> dict[int, int]: ...
    def remove(self, chunk_ids: Sequence[int]) -> None: ...
    def put(self, doc: Document, chunks: Sequence[tuple[int, str]]) -> None: ...
    def commit(self, generation: int) -> None: ...


def reconcile(engine: Derived, store) -> int:
    """Make `engine` hold exactly the store's chunks, at the store's generation; returns the chunks (re)indexed."""
    generation = store.generation()
    want = store.chunk_stamps()
    have = engine.indexed()
    stale = [i for i, s in have.items() if want.get(i) != s]
    missing = {i for i, s in want.items() if have.get(i) != s}
    docs = store.chunk_docs(sorted(missing))
    engine.remove(stale)
    added = 0
    for doc_id in sorted(set(docs.values())):
        spans = [(i, text) for i, text in store.chunk_texts(doc_id) if i in missing]
        engine.put(store.document(doc_id), spans)
        added += len(spans)
    engine.commit(generation)
    if stale or added:
        log.info("newsdesk: %s caught up with the store (%d removed, %d indexed)",
                 getattr(engine, "name", "derived index"), len(stale), added)
    return added
