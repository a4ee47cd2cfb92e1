"""An index folder: the SQLite store, the FAISS vector file, the manifest and a write lock.

    INDEX_DIR/newsdesk.sqlite   documents, chunks, vectors (the source of truth)
    INDEX_DIR/vectors.faiss     the vector index, derived from the store
    INDEX_DIR/manifest.json     model, dimension, metric, counts, format version, checksums
    INDEX_DIR/.lock             held by the one process that writes
    INDEX_DIR/.newsdesk-index   the marker that newsdesk made this folder an index (see `index.folder`)

The store's generation counter is bumped by every committed write batch and the
manifest records the generation the vector file was saved at. If they differ (a
crash between the two), the vector file is rebuilt from the stored vectors
without re-embedding, so an interrupted ingest never leaves an unusable index.

Damage is found at open. The vector file must match the sha256 the manifest
recorded (hashing costs about a second per GB); a damaged or truncated one is
rebuilt from the store, which is the source of truth, with a warning, and the
next ingest writes it again. A damaged store cannot be rebuilt from anything
but the articles, so it is refused with `IndexCorrupt` and the rebuild command.
No file here is a pickle: SQLite, FAISS's own binary format and JSON.

A reader (the server, a `Retriever`) calls `refresh` before each search: when
another process has written a newer generation (the manifest says so) it reopens
what is derived from the files, so new articles are found without a restart.
Write failures are reported as what they are (read-only, disk full, locked), never
as damage: following "rebuild it" for a full disk would only make things worse.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from index.errors import IndexBusy, IndexCorrupt, IndexMismatch, IndexMissing, IndexRefused, IndexUnwritable
from index.faiss_store import IndexSpec, VectorIndex, choose_spec
from index.folder import MANIFEST_NAME, VECTORS_NAME, check_folder, claim, corrupt_store, os_error, storage_error
from index.folder import write_lock  # also re-exported: where writers have always found it
from index.keyword import DEFAULT_ENGINE, open_engine
from index.milvus_backend import MilvusIndex, MilvusTarget
from index.store import DB_NAME, FORMAT_VERSION, Store

_SQLITE_MAGIC = b"SQLite format 3\x00"

log = logging.getLogger("newsdesk.index")


class IndexDir:
    """Open with `IndexDir.open` (read) or `IndexDir.create_or_open` (ingest)."""

    def __init__(self, path: Path, store: Store, milvus: MilvusTarget | None = None) -> None:
        self.path = path
        self.store = store
        self.milvus_target = milvus  # backend: milvus (index.milvus_backend); None: vectors.faiss and keywords here
        self._milvus: MilvusIndex | None = None
        self._vectors: VectorIndex | None = None
        self.vectors_rebuilt = False  # the vector file was missing, stale or damaged: an ingest should save
        self._seen = _Seen.now(path)
        self._keywords: tuple[str, bool, object] | None = None  # (engine, for writing, the engine object)

    @classmethod
    def open(cls, path: Path | str, model_id: str | None = None, milvus: MilvusTarget | None = None) -> "IndexDir":
        """Open an existing index; `model_id` (the configured model) must match the one it was built with;
        `milvus` (backend: milvus) serves its vectors and keywords from that collection.

        Raises `IndexCorrupt` when the store is damaged (see the module docstring).
        """
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise IndexRefused(f"--index {path} is a file, not an index folder", "give the folder the index was built in")
        if not (path / DB_NAME).is_file():
            raise IndexMissing(f"no index at {path}", f"run `newsdesk ingest FOLDER --index {path}` first")
        store = _open_store(path)
        index = cls(path, store, milvus)
        with _closed_on_error(store, path):
            if "model" not in store.meta():  # created by an ingest that stopped before its first commit
                raise IndexMissing(f"the index at {path} is empty (its first ingest did not finish)",
                                   f"run `newsdesk ingest FOLDER --index {path}`")
            index.check(model_id)
            store.counts()  # reads every table's pages once more: most damage shows here
        return index

    @classmethod
    def create_or_open(cls, path: Path | str, model_id: str, index_type: str | None = None,
                       keyword_engine: str | None = None, milvus: MilvusTarget | None = None) -> "IndexDir":
        """Open (or start) an index for writing; `index_type` (auto, flat, ivf-sq8) and `keyword_engine`
        (tantivy, fts5) are remembered."""
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
            index = cls(path, store, milvus)
            index.check(model_id)
            if index_type is not None:
                store.set_meta(index_type=index_type)
            if keyword_engine is not None:
                store.set_meta(keyword_engine=keyword_engine)
        return index

    def check(self, model_id: str | None) -> None:
        meta = self.store.meta()
        if meta.get("format_version") != str(FORMAT_VERSION):
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
        dim = self.store.meta().get("dim")
        return int(dim) if dim else None

    @property
    def generation(self) -> int:
        return int(self.store.meta().get("generation", "0"))

    def refresh(self) -> bool:
        """Pick up what another process has written since this index was opened; True when something was reloaded.

        Cheap when nothing changed (two `stat` calls). When the store file was
        replaced (a rebuild), the store is reopened; when the manifest vouches for
        a newer generation, the vector index is reloaded on next use. Any other
        derived reader (a keyword engine with its own files) reloads here too.
        While an ingest is between commits (store ahead of the manifest) the loaded
        vectors stay in use: the store's join drops hits on removed chunks.
        """
        seen = _Seen.now(self.path)
        if seen == self._seen:
            return False
        if seen.db != self._seen.db and seen.db is not None:
            old, self.store = self.store, _open_store(self.path)
            old.close()
            if self._keywords is not None:  # it reads the old store (FTS5) or the old keywords/ folder (tantivy)
                self._keywords[2].close()
                self._keywords = None
            if self._milvus is not None:  # it joins hits to the old store
                self._milvus.close()
                self._milvus = None
        self._seen = seen
        if self._vectors is not None and self.manifest().get("generation") == self.generation:
            self._vectors = None
        return True

    def vectors(self) -> VectorIndex:
        """The vector index, loaded from its file, or rebuilt from the store when the file is stale."""
        if self._vectors is None:
            self._vectors = self._load_vectors()
        return self._vectors

    def _load_vectors(self) -> VectorIndex:
        manifest = self.manifest()
        file = self.path / VECTORS_NAME
        spec = _spec(manifest.get("index"))
        if spec and file.is_file() and manifest.get("generation") == self.generation:
            expected = manifest.get("checksums", {}).get(VECTORS_NAME)
            try:
                if expected != _sha256(file):
                    raise IndexCorrupt(f"{file} does not match the checksum in {MANIFEST_NAME}")
                return VectorIndex.load(file, self.dim or 1, spec)
            except (IndexCorrupt, OSError) as exc:
                # Never hand a damaged file to FAISS's reader; the store holds every vector.
                log.warning("newsdesk: %s; rebuilt the vector index from the stored vectors (the next "
                            "`newsdesk ingest` writes it again)", getattr(exc, "problem", exc))
        self.vectors_rebuilt = True
        return self.build(spec or choose_spec(self.store.counts()["chunks"], self.requested_type))

    def build(self, spec: IndexSpec) -> VectorIndex:
        """A vector index of `spec` filled from the stored vectors: no re-embedding."""
        dim = self.dim or 1
        vectors = VectorIndex(dim, spec)
        if not vectors.is_trained:
            vectors.train(self._training_sample(dim, 64 * spec.nlist))
        for ids, vecs in self.store.iter_vectors(dim):
            vectors.add(ids, vecs)
        return vectors

    def _training_sample(self, dim: int, size: int) -> np.ndarray:
        """Every n-th stored vector, about `size` of them (a strided sample is deterministic)."""
        total = max(1, self.store.counts()["chunks"])
        stride = max(1, total // size)
        parts = [vecs[::stride] for _, vecs in self.store.iter_vectors(dim)]
        return np.concatenate(parts)[:size] if parts else np.empty((0, dim), np.float32)

    @property
    def requested_type(self) -> str:
        return self.store.meta().get("index_type", "auto")

    def fit_index_type(self) -> bool:
        """Convert the vector index when the corpus crossed a size threshold (or the setting changed).

        Returns True when it rebuilt the index from the stored vectors.
        """
        current = self.vectors()
        wanted = choose_spec(len(current), self.requested_type)
        grown = wanted.kind == current.spec.kind == "ivf-sq8" and wanted.nlist >= 4 * current.spec.nlist
        if wanted.kind == current.spec.kind and not grown:
            return False
        self._vectors = self.build(wanted)
        return True

    def keywords(self, engine: str | None = None, write: bool = False):
        """The keyword engine (index.keyword): `engine`, else the one this index is written with; opening it
        catches it up with the store. `write=True` (the writer) holds it for writing until `close`."""
        name = engine or self.store.meta().get("keyword_engine", DEFAULT_ENGINE)
        if self._keywords is None or self._keywords[0] != name or (write and not self._keywords[1]):
            if self._keywords is not None:
                self._keywords[2].close()
            self._keywords = (name, write, open_engine(name, self.path, self.store, write))
        return self._keywords[2]

    def milvus(self, write: bool = False) -> MilvusIndex | None:
        """The Milvus side (backend: milvus), or None for a local index or one with no vectors yet. Opening it
        catches the collection up with the store: always for the writer (`write=True`), and for a reader
        only while no writer holds the index (a running ingest catches it up itself)."""
        if self.milvus_target is None or self.dim is None:
            return None
        if self._milvus is None:
            self._milvus = MilvusIndex(self.milvus_target, self.store, self.dim, write)
            if write:
                self._milvus.catch_up()
            elif self._milvus.generation != self.generation:
                try:
                    with write_lock(self.path):
                        self._milvus.catch_up()
                except (IndexBusy, IndexUnwritable):
                    pass  # a running ingest catches it up; a read-only folder is searched as it is (hits are joined)
        return self._milvus

    def manifest(self) -> dict:
        try:
            manifest = json.loads((self.path / MANIFEST_NAME).read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return manifest if isinstance(manifest, dict) else {}

    def save(self) -> None:
        """Write the vector file, then the manifest that vouches for it (each atomically).

        The index type is fitted to the corpus size first (see `fit_index_type`).
        """
        try:
            self._save()
        except OSError as exc:
            raise os_error(self.path, exc) from exc

    def _save(self) -> None:
        self.fit_index_type()
        vectors = self.vectors()
        file = self.path / VECTORS_NAME
        vectors.save(file)
        meta = self.store.meta()
        manifest = {
            "format_version": FORMAT_VERSION,
            "model": meta["model"],
            "dim": self.dim,
            "metric": "inner_product (cosine on unit vectors)",
            "index": vectors.spec.as_dict(),
            "generation": self.generation,
            "counts": self.store.counts(),
            "updated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "checksums": {VECTORS_NAME: _sha256(file)},
        }
        tmp = self.path / (MANIFEST_NAME + ".tmp")
        tmp.write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
        os.replace(tmp, self.path / MANIFEST_NAME)
        self.vectors_rebuilt = False
        self._seen = _Seen.now(self.path)

    def close(self) -> None:
        if self._keywords is not None:
            self._keywords[2].close()
        if self._milvus is not None:
            self._milvus.close()
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


def _spec(recorded: object) -> IndexSpec | None:
    """The index spec a manifest recorded, or None when it is missing or not one (then it is chosen anew)."""
    try:
        return IndexSpec(**recorded) if isinstance(recorded, dict) else None
    except TypeError:
        return None


def _open_store(path: Path) -> Store:
    """The store of the index at `path`, or `IndexCorrupt` when its file is not an intact SQLite database."""
    db = path / DB_NAME
    _check_sqlite_header(path, db)
    try:
        return Store(db)
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


@dataclass(frozen=True, slots=True)
class _Seen:
    """What `refresh` compares: the store file's identity and the manifest's version on disk."""

    db: tuple[int, int] | None
    manifest: tuple[int, int, int] | None

    @staticmethod
    def now(path: Path) -> "_Seen":
        return _Seen(_stat(path / DB_NAME, lambda s: (s.st_dev, s.st_ino)),
                     _stat(path / MANIFEST_NAME, lambda s: (s.st_ino, s.st_size, s.st_mtime_ns)))


def _stat(path: Path, pick):
    try:
        return pick(os.stat(path))
    except OSError:
        return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
