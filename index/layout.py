"""An index folder: the SQLite store, the FAISS vector file, the manifest and a write lock.

    INDEX_DIR/newsdesk.sqlite   documents, chunks, vectors (the source of truth)
    INDEX_DIR/vectors.faiss     the vector index, derived from the store
    INDEX_DIR/manifest.json     model, dimension, metric, counts, format version, checksums
    INDEX_DIR/.lock             held by the one process that writes

The store's generation counter is bumped by every committed write batch and the
manifest records the generation the vector file was saved at. If they differ (a
crash between the two), the vector file is rebuilt from the stored vectors
without re-embedding, so an interrupted ingest never leaves an unusable index.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from index.errors import IndexBusy, IndexMismatch, IndexMissing
import numpy as np

from index.faiss_store import IndexSpec, VectorIndex, choose_spec
from index.store import DB_NAME, FORMAT_VERSION, Store

VECTORS_NAME = "vectors.faiss"
MANIFEST_NAME = "manifest.json"


class IndexDir:
    """Open with `IndexDir.open` (read) or `IndexDir.create_or_open` (ingest)."""

    def __init__(self, path: Path, store: Store) -> None:
        self.path = path
        self.store = store
        self._vectors: VectorIndex | None = None

    @classmethod
    def open(cls, path: Path | str, model_id: str | None = None) -> "IndexDir":
        """Open an existing index; `model_id` (the configured model) must match the one it was built with."""
        path = Path(path)
        if not (path / DB_NAME).is_file():
            raise IndexMissing(f"no index at {path}", f"run `newsdesk ingest FOLDER --index {path}` first")
        index = cls(path, Store(path / DB_NAME))
        index.check(model_id)
        return index

    @classmethod
    def create_or_open(cls, path: Path | str, model_id: str, index_type: str | None = None) -> "IndexDir":
        """Open (or start) an index for writing; `index_type` (auto, flat, ivf-sq8) is remembered."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        store = Store(path / DB_NAME)
        if "model" not in store.meta():
            store.set_meta(model=model_id, format_version=FORMAT_VERSION, generation=0,
                           created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        index = cls(path, store)
        index.check(model_id)
        if index_type is not None:
            store.set_meta(index_type=index_type)
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

    def vectors(self) -> VectorIndex:
        """The vector index, loaded from its file, or rebuilt from the store when the file is stale."""
        if self._vectors is None:
            self._vectors = self._load_vectors()
        return self._vectors

    def _load_vectors(self) -> VectorIndex:
        manifest = self.manifest()
        file = self.path / VECTORS_NAME
        spec = IndexSpec(**manifest["index"]) if "index" in manifest else None
        if spec and file.is_file() and manifest.get("generation") == self.generation:
            return VectorIndex.load(file, self.dim or 1, spec)
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

    def manifest(self) -> dict:
        try:
            return json.loads((self.path / MANIFEST_NAME).read_text("utf-8"))
        except (OSError, ValueError):
            return {}

    def save(self) -> None:
        """Write the vector file, then the manifest that vouches for it (each atomically).

        The index type is fitted to the corpus size first (see `fit_index_type`).
        """
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

    def close(self) -> None:
        self.store.close()


@contextmanager
def write_lock(path: Path) -> Iterator[None]:
    """Exclusive right to write the index folder `path`; a second writer fails at once, clearly."""
    path.mkdir(parents=True, exist_ok=True)
    fh = open(path / ".lock", "a+")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise IndexBusy(f"index at {path} is being written by {holder}",
                            "wait for that ingest to finish, or use another --index") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"newsdesk pid {os.getpid()}")
        fh.flush()
        yield
    finally:
        fh.close()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
