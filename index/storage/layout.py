"""An index folder: the SQLite store, the engines derived from it, and the write lock.

    INDEX_DIR/newsdesk.sqlite   documents, chunks, vectors (the source of truth, index.storage.store)
    INDEX_DIR/...               the engines' files (index.engines: vectors.faiss and its manifest.json,
                                keywords/; or nothing here with backend: milvus)
    INDEX_DIR/.lock             held by the one process that writes (index.storage.folder)
    INDEX_DIR/.newsdesk-index   the marker that newsdesk made this folder an index

`IndexDir` opens the store, checks the model and format it was built with, and opens
the engine pair through the one factory (`index.engines.open_engines`); it never
names an engine. The store's generation counter is bumped by every committed write
batch, and each engine records the generation it reflects, so one behind the store
(a crash between the two) is caught up or rebuilt from the store without re-embedding.

A damaged store cannot be rebuilt from anything but the articles, so it is refused
with `IndexCorrupt` and the rebuild command; its damage is found at open (the header's
page count, then a read of every table). A reader (the server, a `Retriever`) calls
`refresh` before each search: a store file replaced by a rebuild is reopened, and the
engines reload what another process wrote, so new articles are found without a restart.
Write failures are reported as what they are (read-only, disk full, locked), never as
damage: following "rebuild it" for a full disk would only make things worse.
"""
from __future__ import annotations

import os
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from index.engines import Backend, Engines, open_engines
from index.engines.base import stored_dim
from index.engines.local import read_manifest
from index.errors import IndexMismatch, IndexMissing, IndexRefused
from index.settings import IndexSettings
from index.storage.folder import check_folder, claim, corrupt_store, os_error, storage_error
from index.storage.folder import write_lock  # noqa: F401  (re-exported: where writers have always found it)
from index.storage.store import DB_NAME, FORMAT_VERSION, Store

_SQLITE_MAGIC = b"SQLite format 3\x00"


class IndexDir:
    """Open with `IndexDir.open` (read) or `IndexDir.create_or_open` (ingest). `engines` is the pair that
    searches (and, for an ingest, is written): see `index.engines.base.Engines`."""

    def __init__(self, path: Path, store: Store, backend: Backend | None = None) -> None:
        self.path = path
        self.store = store
        self.backend = backend  # None: the local engines in this folder
        self.engines: Engines = open_engines(path, store, backend)
        self._db = _identity(path)

    @classmethod
    def open(cls, path: Path | str, model_id: str | None = None, backend: Backend | None = None) -> "IndexDir":
        """Open an existing index; `model_id` (the configured model) must match the one it was built with;
        `backend` (IndexSettings.backend) serves its vectors and keywords from elsewhere than this folder.

        Raises `IndexCorrupt` when the store is damaged (see the module docstring).
        """
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise IndexRefused(f"--index {path} is a file, not an index folder", "give the folder the index was built in")
        if not (path / DB_NAME).is_file():
            raise IndexMissing(f"no index at {path}", f"run `newsdesk ingest FOLDER --index {path}` first")
        store = _open_store(path, read_only=True)
        with _closed_on_error(store, path):
            if "model" not in store.meta():  # created by an ingest that stopped before its first commit
                raise IndexMissing(f"the index at {path} is empty (its first ingest did not finish)",
                                   f"run `newsdesk ingest FOLDER --index {path}`")
            index = cls(path, store, backend)
            index.check(model_id)
            store.counts()  # reads every table's pages once more: most damage shows here
        return index

    @classmethod
    def create_or_open(cls, path: Path | str, model_id: str, settings: IndexSettings = IndexSettings()) -> "IndexDir":
        """Open (or start) an index for writing; the settings' `index_type` and `keyword_engine`, when given,
        are remembered by the index."""
        path = Path(path)
        check_folder(path)
        try:
            path.mkdir(parents=True, exist_ok=True)
            claim(path)
        except OSError as exc:
            raise os_error(path, exc) from exc
        store = _open_store(path)
        with _closed_on_error(store, path):
            if "model" not in store.meta():
                store.set_meta(model=model_id, format_version=FORMAT_VERSION, generation=0,
                               created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
            index = cls(path, store, settings.backend)
            index.check(model_id)
            if settings.index_type is not None:
                store.set_meta(index_type=settings.index_type)
            if settings.keyword_engine is not None:
                store.set_meta(keyword_engine=settings.keyword_engine)
        return index

    def check(self, model_id: str | None) -> None:
        """The store's format and model: a writer's store was upgraded to FORMAT_VERSION at open; a reader
        reads an older one as it is (every older format is readable; its next ingest upgrades it)."""
        meta = self.store.meta()
        readable = [str(v) for v in range(1, FORMAT_VERSION + 1)] if self.store.read_only else [str(FORMAT_VERSION)]
        if meta.get("format_version") not in readable:
            raise IndexMismatch(
                f"index at {self.path} has format version {meta.get('format_version')}, this newsdesk reads {FORMAT_VERSION}",
                f"run `newsdesk ingest FOLDER --index {self.path} --rebuild`")
        if model_id is not None and meta.get("model") != model_id:
            dim = f" (dim {meta['dim']})" if "dim" in meta else ""
            raise IndexMismatch(
                f"index at {self.path} was built with {meta.get('model')}{dim}; the config asks for {model_id}",
                f"run `newsdesk ingest FOLDER --index {self.path} --rebuild`, or set model: {meta.get('model')}")

    @property
    def model_id(self) -> str:
        return self.store.meta()["model"]

    @property
    def dim(self) -> int | None:
        return stored_dim(self.store)

    @property
    def generation(self) -> int:
        return int(self.store.meta().get("generation", "0"))

    def refresh(self) -> bool:
        """Pick up what another process has written since this index was opened; True when something was reloaded.

        Cheap when nothing changed (a `stat` of the store, and the engines' own checks). A
        store file replaced by a rebuild is reopened and handed to the engines; the engines
        reload what another process wrote (see each pair's `refresh`).
        """
        db = _identity(self.path)
        changed = db != self._db
        self._db = db
        if changed and db is not None:
            old, self.store = self.store, _open_store(self.path, self.store.read_only)
            old.close()
            self.engines.reopen(self.store)
        return self.engines.refresh(force=changed) or changed

    def manifest(self) -> dict:
        """What the vector file's manifest says (model, counts, `updated`); {} when there is none."""
        return read_manifest(self.path)

    def close(self) -> None:
        self.engines.close()
        self.store.close()


@contextmanager
def _closed_on_error(store: Store, path: Path) -> Iterator[None]:
    """Close `store` if opening fails; a database error becomes its honest `NewsdeskError` (see `storage_error`)."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        store.close()
        raise storage_error(path, exc) from exc
    except BaseException:
        store.close()
        raise


def _open_store(path: Path, read_only: bool = False) -> Store:
    """The store of the index at `path`, or `IndexCorrupt` when its file is not an intact SQLite database."""
    db = path / DB_NAME
    _check_sqlite_header(path, db)
    try:
        return Store(db, read_only)
    except sqlite3.DatabaseError as exc:
        raise storage_error(path, exc) from exc


def _check_sqlite_header(path: Path, db: Path) -> None:
    """Catch a truncated database file from its header alone (SQLite would only fail at the first missing page).

    The header's page count is trusted only where SQLite trusts it (change counter ==
    version-valid-for) and only without pending write-ahead log frames, which may
    legitimately hold pages the main file does not have yet.
    """
    try:
        with open(db, "rb") as fh:
            header = fh.read(100)
        size = db.stat().st_size
        wal = db.with_name(db.name + "-wal")
        pending = wal.is_file() and wal.stat().st_size > 0
    except FileNotFoundError:
        return  # a new index
    if not header:
        return  # a new index: SQLite writes the header with its first table
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        raise corrupt_store(path, "not an SQLite database")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages, counter, valid_for = (int.from_bytes(header[i:i + 4], "big") for i in (28, 24, 92))
    if not pending and pages and counter == valid_for and size < pages * page_size:
        raise corrupt_store(path, f"truncated: {size:,} bytes of {pages * page_size:,}")


def _identity(path: Path) -> tuple[int, int] | None:
    """The store file's identity (device, inode): a rebuild's swap gives it a new one."""
    try:
        s = os.stat(path / DB_NAME)
    except OSError:
        return None
    return s.st_dev, s.st_ino
