"""Vector search over chunk ids: the only module that imports faiss.

Two index types, chosen by size (see `choose_spec`):

- ``flat``: exact inner-product search (`IndexIDMap2` over `IndexFlatIP`). For
  unit vectors that is cosine similarity. 1,536 bytes a chunk (384 floats) and a
  full scan per query: right while the corpus is small.
- ``ivf-sq8``: an inverted file of `nlist` k-means cells whose vectors are stored
  as 8-bit scalar-quantized codes (about 400 bytes a chunk); a query scans the
  `nprobe` nearest cells only. More `nprobe` buys recall with latency.

Saving writes a temporary file and renames it over the old one, so a crash
never leaves a half-written index behind.
"""
from __future__ import annotations

import errno
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

import faiss
import numpy as np

from index.errors import ConfigError, IndexCorrupt

# One query is too small to split across threads: OpenMP's spin-waiting made a single flat
# search at 100k chunks 6x slower on 2 busy cores (80 ms vs 12 ms). Training uses all cores.
faiss.omp_set_num_threads(1)

IVF_THRESHOLD = 200_000  # chunks; below it exact search is fast enough (see docs/SCALING.md)
INDEX_TYPES = ("auto", "flat", "ivf-sq8")


@dataclass(frozen=True, slots=True)
class IndexSpec:
    """Which vector index to build, with its parameters (recorded in the manifest)."""

    kind: str = "flat"
    nlist: int = 0
    nprobe: int = 0

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v or k == "kind"}


def choose_spec(n_vectors: int, requested: str = "auto", nprobe: int | None = None) -> IndexSpec:
    """Exact search below `IVF_THRESHOLD` chunks, IVF with 8-bit codes above (or as `requested`).

    `nlist` grows with the square root of the corpus (about 4·√n cells, so a cell
    holds a few hundred vectors); `nprobe` defaults to 1/64 of the cells with a
    floor of 16, which kept recall@10 against exact search above 0.95 in the bench.
    """
    if requested not in INDEX_TYPES:
        raise ConfigError(f"index type {requested!r} is not one of {', '.join(INDEX_TYPES)}", "set index_type: auto")
    if requested == "flat" or (requested == "auto" and n_vectors < IVF_THRESHOLD):
        return IndexSpec("flat")
    nlist = int(min(65536, max(64, 2 ** round(math.log2(4 * math.sqrt(max(n_vectors, 1)))))))
    return IndexSpec("ivf-sq8", nlist, nprobe or max(16, nlist // 64))


class VectorIndex:
    def __init__(self, dim: int, spec: IndexSpec = IndexSpec(), index: "faiss.Index | None" = None) -> None:
        self.dim = dim
        self.spec = spec
        self._index = index if index is not None else _new_index(dim, spec)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    @property
    def is_trained(self) -> bool:
        return bool(self._index.is_trained)

    def train(self, sample: np.ndarray) -> None:
        """Fit the IVF cells on a sample of vectors (about 40 per cell is plenty); flat needs none."""
        if not self.is_trained:
            faiss.omp_set_num_threads(os.cpu_count() or 1)
            try:
                self._index.train(np.ascontiguousarray(sample, dtype=np.float32))
            finally:
                faiss.omp_set_num_threads(1)

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
        if k <= 0 or (allowed is not None and len(allowed) == 0):
            return []
        sel = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64)) if allowed is not None else None
        if self.spec.kind == "flat":
            params = faiss.SearchParameters(sel=sel) if sel is not None else None
        else:
            params = faiss.SearchParametersIVF(sel=sel, nprobe=self.spec.nprobe) if sel is not None \
                else faiss.SearchParametersIVF(nprobe=self.spec.nprobe)
        scores, ids = self._index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k, params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i != -1]

    def memory_bytes(self) -> int:
        """Bytes the index occupies (its serialized size, which tracks its memory closely)."""
        return int(faiss.serialize_index(self._index).nbytes)

    def save(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".tmp")
        try:
            faiss.write_index(self._index, str(tmp))
        except RuntimeError as exc:  # FAISS reports a failed write (a full disk) in words only
            tmp.unlink(missing_ok=True)
            raise OSError(errno.ENOSPC if "space" in str(exc).lower() else errno.EIO, str(exc).splitlines()[0]) from exc
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path, dim: int, spec: IndexSpec) -> "VectorIndex":
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
        return cls(dim, spec, index)


def _new_index(dim: int, spec: IndexSpec) -> "faiss.Index":
    if spec.kind == "flat":
        return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    quantizer = faiss.IndexFlatIP(dim)
    # The python wrapper keeps `quantizer` alive as long as the index it was given to.
    return faiss.IndexIVFScalarQuantizer(quantizer, dim, spec.nlist, faiss.ScalarQuantizer.QT_8bit,
                                         faiss.METRIC_INNER_PRODUCT)
