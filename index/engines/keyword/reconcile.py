"""Bringing a derived index (the tantivy keywords, or any engine holding chunks beside the store) in line with the store,
and the record of the store generation such an index reflects.

The store is the source of truth; a derived index may be behind it after a crash
(the writer commits the store first) or when it is new. One pass over both id
lists finds what differs: chunks indexed under another content hash or no longer
stored are removed, and stored chunks missing from the index are indexed from the
store's own text, so nothing is re-embedded. The engine records the store's
generation last, in `commit`, so a crash during a catch-up is caught up again.
"""
from __future__ import annotations

import errno
import json
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path
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


class Record:
    """A derived index's JSON record beside it: its schema version and the store generation it reflects.
    Written last, atomically (temp file + rename), so it never runs ahead of the index."""

    def __init__(self, path: Path, schema: int) -> None:
        self.path, self.schema = path, schema

    def _read(self) -> dict:
        try:
            record = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return record if isinstance(record, dict) else {}

    def current(self) -> bool:
        """Whether the index was written with this schema version (else it is rebuilt)."""
        return self._read().get("schema") == self.schema

    def generation(self) -> int:
        """The store generation recorded (-1 when unknown: the index is caught up before it is trusted)."""
        value = self._read().get("generation")
        return value if isinstance(value, int) else -1

    def write(self, generation: int) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps({"schema": self.schema, "generation": generation}) + "\n", "utf-8")
        os.replace(tmp, self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def private_copy(folder: Path, record: Record) -> Path:
    """A copy of a derived index `folder` and its `record` in a new temporary folder (same names inside), for a
    reader that cannot write where they are (a read-only volume): the caller deletes it when done."""
    copy = Path(tempfile.mkdtemp(prefix="newsdesk-keywords-"))
    shutil.copytree(folder, copy / folder.name)
    if record.path.is_file():
        shutil.copy2(record.path, copy / record.path.name)
    log.info("newsdesk: %s cannot be written here; reading a copy of it (%s)", folder, copy)
    return copy


def os_error_of(exc: Exception) -> Exception:
    """An engine's error that reports an operating-system error ("... (os error 28)") as that OSError, so a full
    disk or a read-only folder is named as such (index.storage.folder.storage_error); any other as it is.
    tantivy says it either way: "... (os error 28)" or "Os { code: 28, kind: StorageFull ... }"."""
    found = re.search(r"os error (\d+)|Os \{ code: (\d+)", str(exc))
    if not found:
        return exc
    code = int(found.group(1) or found.group(2))
    return OSError(code, os.strerror(code) if code in errno.errorcode else str(exc))
