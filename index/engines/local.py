"""The local engine pair: vectors.faiss and the keyword engine, both in the index folder, derived from the store.

    INDEX_DIR/vectors.faiss     the FAISS index of every stored chunk (index.engines.faiss_store)
    INDEX_DIR/manifest.json     what vouches for it: model, dimension, index type, the store generation
                                it was saved at, counts, and its sha256
    INDEX_DIR/keywords/         the tantivy keyword index, with keywords.json (index.engines.keyword);
                                or FTS5 rows inside the store

The vector file is trusted only when the manifest's generation equals the store's and
its sha256 matches: a crash between the store's commit and the save, or a damaged or
truncated file, makes it be rebuilt from the stored vectors (no re-embedding), with a
warning, and the next ingest writes it again. Nothing here is a pickle: FAISS's own
format and JSON. Batches reach the vectors and the keywords only after the store
committed them (`apply`), so a crash leaves them behind the store, never ahead.
"""
from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from index.engines.base import Batch, stored_dim
from index.engines.faiss_store import IndexSpec, VectorIndex, choose_spec
from index.engines.keyword import DEFAULT_ENGINE, open_engine
from index.errors import IndexCorrupt
from index.parse.source import NotRegular, file_sha256
from index.storage.folder import MANIFEST_NAME, VECTORS_NAME, os_error
from index.storage.schema import FORMAT_VERSION

log = logging.getLogger("newsdesk.index")


class LocalEngines:
    """FAISS and a keyword engine over one index folder; `vectors()` is loaded (or rebuilt) on first use."""

    name = "local"

    def __init__(self, folder: Path, store) -> None:
        self.folder = folder
        self.store = store
        self._vectors: VectorIndex | None = None
        self.vectors_rebuilt = False  # the vector file was missing, stale or damaged: an ingest should save
        self._keywords: tuple[str, bool, object] | None = None  # (engine, for writing, the engine object)
        self._seen = _manifest_stat(folder)

    # -- the two sides ---------------------------------------------------------------
    def dense(self) -> "_Filtered":
        return _Filtered(self.vectors(), self.store)

    def keywords(self, engine: str | None = None, write: bool = False):
        """The keyword engine: `engine`, else the one this index is written with; opening it catches it up
        with the store. `write=True` (the writer) holds it for writing until `close`."""
        name = engine or self.store.meta().get("keyword_engine", DEFAULT_ENGINE)
        if self._keywords is None or self._keywords[0] != name or (write and not self._keywords[1]):
            if self._keywords is not None:
                self._keywords[2].close()
            self._keywords = (name, write, open_engine(name, self.folder, self.store, write))
        return self._keywords[2]

    def vectors(self) -> VectorIndex:
        """The FAISS index, loaded from its file, or rebuilt from the store when the file is stale."""
        if self._vectors is None:
            self._vectors = self._load_vectors()
        return self._vectors

    # -- writing -----------------------------------------------------------------------
    def begin(self) -> None:
        self.keywords(write=True)

    def stage(self, batch: Batch, vectors: dict[int, np.ndarray]) -> None:
        self.vectors()  # loaded (or rebuilt) before the batch commits, so it is added once, below

    def apply(self, removed: Sequence[int], batch: Batch, vectors: dict[int, np.ndarray], generation: int) -> None:
        ids = [i for _, chunks in batch for i, _ in chunks]
        gone = list(removed) + ids  # removing before adding keeps ids unique even if a chunk reappears
        vecs = self.vectors()
        vecs.remove(gone)
        if ids:
            vecs.add(np.asarray(ids, dtype=np.int64), np.stack([vectors[i] for i in ids]))
        keywords = self.keywords(write=True)
        keywords.update(gone, batch)
        keywords.commit(generation)

    def save(self, changed: bool = True) -> None:
        """Write the vector file, then the manifest that vouches for it (each atomically), when anything
        changed, the index type no longer fits the corpus, or the file had to be rebuilt."""
        try:
            if changed or self.fit_index_type() or self.vectors_rebuilt:
                self._save()
        except OSError as exc:
            raise os_error(self.folder, exc) from exc

    def _save(self) -> None:
        self.fit_index_type()
        vectors = self.vectors()
        file = self.folder / VECTORS_NAME
        vectors.save(file)
        meta = self.store.meta()
        manifest = {
            "format_version": FORMAT_VERSION,
            "model": meta["model"],
            "dim": stored_dim(self.store),
            "metric": "inner_product (cosine on unit vectors)",
            "index": vectors.spec.as_dict(),
            "generation": self.store.generation(),
            "counts": self.store.counts(),
            "updated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "checksums": {VECTORS_NAME: file_sha256(file)},
        }
        tmp = self.folder / (MANIFEST_NAME + ".tmp")
        tmp.write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
        os.replace(tmp, self.folder / MANIFEST_NAME)
        self.vectors_rebuilt = False
        self._seen = _manifest_stat(self.folder)

    # -- the vector file -----------------------------------------------------------------
    def _load_vectors(self) -> VectorIndex:
        manifest = read_manifest(self.folder)
        file = self.folder / VECTORS_NAME
        spec = _spec(manifest.get("index"))
        if spec and file.is_file() and manifest.get("generation") == self.store.generation():
            try:
                if manifest.get("checksums", {}).get(VECTORS_NAME) != file_sha256(file):
                    raise IndexCorrupt(f"{file} does not match the checksum in {MANIFEST_NAME}")
                return VectorIndex.load(file, stored_dim(self.store) or 1, spec)
            except (IndexCorrupt, OSError, NotRegular) as exc:
                # Never hand a damaged file to FAISS's reader; the store holds every vector.
                log.warning("newsdesk: %s; rebuilt the vector index from the stored vectors (the next "
                            "`newsdesk ingest` writes it again)", getattr(exc, "problem", exc))
        self.vectors_rebuilt = True
        return self.build(spec or choose_spec(self.store.counts()["chunks"], self.requested_type))

    def build(self, spec: IndexSpec) -> VectorIndex:
        """A vector index of `spec` filled from the stored vectors: no re-embedding."""
        dim = stored_dim(self.store) or 1
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

    # -- readers -----------------------------------------------------------------------
    def reopen(self, store) -> None:
        self.store = store
        if self._keywords is not None:  # it reads the old store (FTS5) or the old keywords/ folder (tantivy)
            self._keywords[2].close()
            self._keywords = None

    def refresh(self, force: bool = False) -> bool:
        """When another process saved a newer manifest (or the store changed), drop the loaded vectors if the
        manifest vouches for the store's generation: they reload on next use. While an ingest is between
        commits (store ahead of the manifest) they stay in use: the store's join drops removed chunks."""
        seen = _manifest_stat(self.folder)
        if seen == self._seen and not force:
            return False
        self._seen = seen
        if self._vectors is not None and read_manifest(self.folder).get("generation") == self.store.generation():
            self._vectors = None
        return True

    def close(self) -> None:
        if self._keywords is not None:
            self._keywords[2].close()


class _Filtered:
    """The FAISS side with a search's filters turned into the chunk ids they allow (applied inside FAISS)."""

    def __init__(self, vectors: VectorIndex, store) -> None:
        self.vectors, self.store = vectors, store

    def search(self, query: np.ndarray, limit: int, filters=None) -> list[tuple[int, float]]:
        allowed = self.store.allowed_chunk_ids(filters) if filters else None
        return self.vectors.search(query, limit, allowed)


def read_manifest(folder: Path) -> dict:
    """The manifest of the vector file ({} when missing or unreadable)."""
    try:
        manifest = json.loads((folder / MANIFEST_NAME).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def _manifest_stat(folder: Path) -> tuple[int, int, int] | None:
    try:
        s = os.stat(folder / MANIFEST_NAME)
    except OSError:
        return None
    return s.st_ino, s.st_size, s.st_mtime_ns


def _spec(recorded: object) -> IndexSpec | None:
    """The index spec a manifest recorded, or None when it is missing or not one (then it is chosen anew)."""
    try:
        return IndexSpec(**recorded) if isinstance(recorded, dict) else None
    except TypeError:
        return None
