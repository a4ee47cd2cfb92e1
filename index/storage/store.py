"""The document and chunk store: one SQLite database, the source of truth of an index.

It holds every document's fields and text, every chunk's span, the vectors (keyed by
a hash of the embedded text: identical passages are embedded once), the files each
document came from, and with `keyword_engine: fts5` the FTS5 rows of every chunk. A
write batch is one SQLite transaction, so a crash keeps all of a batch or none; each
commit bumps the generation the engines record they reflect (index.engines). Its queries are
`index.storage.reads`, its tables `index.storage.schema`. This module never embeds and never
touches an engine's files.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from index.document import Chunk, Document
from index.engines.keyword.fts5 import SCHEMA as KEYWORD_SCHEMA
from index.engines.keyword.fts5 import KeywordIndex
from index.storage.folder import DB_NAME  # noqa: F401  (re-exported; index.storage.folder names every file of an index)
from index.storage.chunk_map import ChunkMap
from index.storage.reads import StoreReads
from index.storage.schema import FORMAT_VERSION, SCHEMA
from index.storage.stories import StoryIndex



def vec_key(text: str) -> str:
    """Key of an embedded text: equal texts share one stored vector."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


class Store(StoreReads):
    """The store at `path`: `read_only=True` (every reader: search, ask, serve, eval, bench's searches) opens
    it so nothing can change it, not even on a read-only volume; a writer (an ingest) creates the tables
    and upgrades an older format first."""

    def __init__(self, path: Path, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        self._db = _connect(path, read_only)
        self._indexes: dict[str, bool] = {}  # which optional indexes the store holds (StoreReads._has_index)
        self._chunk_map: ChunkMap | None = None  # a reader's chunk -> doc map (StoreReads.chunk_docs)
        self.keywords: KeywordIndex | None = KeywordIndex(self._db)  # None: FTS5 not kept (tantivy is the engine)
        self.stories = StoryIndex(self._db)  # syndicated copies, grouped in the same transactions as the documents
        if not read_only:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
            self._upgrade()

    def close(self) -> None:
        self._db.close()

    def _upgrade(self) -> None:
        """Bring an older store to FORMAT_VERSION, one step at a time, without re-embedding. Each step runs
        only on the version it upgrades from and records the next version in its own transaction, so a
        crash repeats it whole and a current store is never touched. Upgrades change no chunk, so the
        generation the derived indexes reflect stays as it is."""
        if self.meta().get("format_version") == "1":  # 2: the FTS5 table
            with self.transaction(bump=False):
                self._fill_fts5()
                self.set_meta(format_version=2)
        if self.meta().get("format_version") == "2":
            # 3: url-less documents get ids unique per file. Forgetting the hashes of their files makes the
            # next ingest re-parse just those files and replace each old id, re-embedding nothing (vectors
            # are keyed by the embedded text); until then they are found under their old ids.
            with self.transaction(bump=False):
                self._db.execute("DELETE FROM files WHERE path IN (SELECT file FROM documents WHERE url IS NULL)")
                self.set_meta(format_version=3)
        if self.meta().get("format_version") == "3":  # 4: stories, grouped from the stored texts (no re-embedding)
            with self.transaction(bump=False):
                self.stories.fill(list(self._db.execute("SELECT doc_id, text FROM documents")))
                self.set_meta(format_version=FORMAT_VERSION)

    def fill_fts5(self) -> None:
        """Fill the FTS5 table from the stored chunks (the store was written with another keyword engine); no
        re-embedding. A read-only store is not written: the rows go to a table of this connection's own
        temporary database, which shadows the store's."""
        if self.read_only:
            self._db.execute(KEYWORD_SCHEMA.replace("IF NOT EXISTS chunks_fts", "IF NOT EXISTS temp.chunks_fts"))
        with self.transaction(bump=False):
            self._fill_fts5()
            if not self.read_only:
                self.set_meta(fts5="on")

    def _fill_fts5(self) -> None:
        self.keywords = KeywordIndex(self._db)
        self.keywords.clear()
        for (doc_id,) in self._db.execute("SELECT doc_id FROM documents").fetchall():
            doc = self.document(doc_id)
            spans = self._db.execute("SELECT chunk_id, start, end FROM chunks WHERE doc_id = ?", (doc_id,))
            self.keywords.put(doc, [(i, doc.text[a:b]) for i, a, b in spans.fetchall()])

    def drop_fts5(self) -> None:
        """Stop keeping the FTS5 table (another keyword engine is kept instead) and free its rows."""
        self.keywords = None
        if self.meta().get("fts5") != "off":
            with self.transaction(bump=False):
                self._db.execute("DROP TABLE IF EXISTS chunks_fts")  # far faster than deleting its rows
                self._db.execute(KEYWORD_SCHEMA)
                self.set_meta(fts5="off")

    # -- metadata -------------------------------------------------------------------
    def meta(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT key, value FROM meta"))

    def generation(self) -> int:
        """The count of committed write batches: what derived indexes record they reflect."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    def set_meta(self, **values: object) -> None:
        self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", [(k, str(v)) for k, v in values.items()])

    @contextmanager
    def transaction(self, bump: bool = True) -> Iterator[None]:
        """One atomic write batch; it bumps the generation the derived indexes are checked against unless
        `bump` is False (a change of format or of the FTS5 table, which no derived index reflects). On a
        read-only store only the connection's temporary tables can be written: a deferred BEGIN."""
        self._db.execute("BEGIN" if self.read_only else "BEGIN IMMEDIATE")
        try:
            yield
            if bump:
                self.set_meta(generation=int(self.meta().get("generation", "0")) + 1)
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:  # a full disk makes SQLite roll back by itself: its error is the one to hear
                self._db.execute("ROLLBACK")
            raise

    # -- writes (inside `transaction`) ------------------------------------------------
    def put_file(self, path: str, root: str, sha256: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?)", (path, root, sha256))

    def delete_file(self, path: str) -> None:
        self._db.execute("DELETE FROM files WHERE path = ?", (path,))

    def put_vectors(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        self._db.executemany("INSERT OR IGNORE INTO vectors VALUES (?, ?)",
                             [(k, v.astype(np.float32).tobytes()) for k, v in zip(keys, vectors)])

    def put_document(self, doc: Document, file: str, chunks: Sequence[Chunk]) -> None:
        self._db.execute(
            "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (doc.doc_id, file, doc.source, doc.title, doc.text, doc.url, doc.outlet, doc.outlet_domain, doc.published,
             doc.author, doc.category, doc.kind, doc.parent_id, doc.quality, json.dumps(list(doc.topics)),
             json.dumps(list(doc.images)), doc.content_hash))
        self._db.executemany("INSERT INTO topics VALUES (?, ?)", [(doc.doc_id, t) for t in doc.topics])
        self._db.executemany("INSERT OR REPLACE INTO chunks VALUES (?,?,?,?,?,?)",
                             [(c.chunk_id, c.doc_id, c.ordinal, c.start, c.end, vec_key(c.embed_text)) for c in chunks])
        if self.keywords is not None:
            self.keywords.put(doc, [(c.chunk_id, c.text) for c in chunks])
        self.stories.add(doc.doc_id, doc.text)

    def delete_document(self, doc_id: str) -> list[int]:
        """Remove a document with its chunks; returns the chunk ids to drop from the vector index."""
        ids = [i for (i,) in self._db.execute("SELECT chunk_id FROM chunks WHERE doc_id = ?", (doc_id,))]
        if self.keywords is not None:
            self.keywords.delete(ids)
        for table in ("chunks", "topics", "documents"):
            self._db.execute(f"DELETE FROM {table} WHERE doc_id = ?", (doc_id,))
        self.stories.remove(doc_id)
        return ids

    def drop_orphan_vectors(self) -> None:
        self._db.execute("DELETE FROM vectors WHERE vec_key NOT IN (SELECT vec_key FROM chunks)")


def _connect(path: Path, read_only: bool) -> sqlite3.Connection:
    """A connection to the store. Read-only: `mode=ro`, which sees a running writer's commits; on a folder
    this user cannot write, where SQLite cannot make the shared-memory file a WAL reader needs, the file
    is opened as immutable (nothing can write it there, so nothing is missed)."""
    if not read_only:
        return sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    uri = path.resolve().as_uri()
    try:
        db = sqlite3.connect(f"{uri}?mode=ro", uri=True, isolation_level=None, check_same_thread=False)
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the -shm is made (or not) here
        return db
    except sqlite3.OperationalError:
        if os.access(path.parent, os.W_OK):
            raise
    return sqlite3.connect(f"{uri}?immutable=1", uri=True, isolation_level=None, check_same_thread=False)
