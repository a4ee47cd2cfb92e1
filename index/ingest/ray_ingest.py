"""Ingest on Ray (`newsdesk ingest --engine ray`): the only module that imports ray.

Parsing is a Ray Data map over the changed files, chunking a map over the
documents the planner kept, and embedding a `map_batches` over the passages on
actors that each load the model once (one GPU each when the cluster has GPUs).
The work inside each task is newsdesk's own (`index.parse`, `index.chunk`,
`Encoder`), so the output is the local ingest's. This module must not plan,
decide who owns an id or write the store: `index.ingest` plans on the driver and
the one writer (`index.ingest.writer`) commits the embedded batches there, under the
index's write lock and crash rules.

With no address (`ray_address` in the config, or $RAY_ADDRESS) it starts a
private single-node Ray for this process: no dashboard, no usage statistics,
bound to 127.0.0.1. With one, the same code runs on that cluster, whose workers
need newsdesk installed and the article paths mounted where the driver sees them.
"""
from __future__ import annotations

import logging
import os
import pickle
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
import ray

from index.chunk import ChunkPlan, chunk_documents
from index.document import Chunk, Document
from index.embed import Encoder, Tokenizer
from index.errors import ConfigError, ParseError
from index.parse import parse_file_report

Parsed = tuple[list[Document], list[ParseError]]  # as in index.ingest.parallel, which imports this module

# Half a CPU per task and actor: measured here, two 1-CPU stages on 2 cores hung (parse tasks
# never got a CPU); at 0.5 each every stage keeps running.
CPU_PER_TASK = 0.5
BLOCKS_PER_CPU = 2  # Ray Data puts a small input in one block (one task) unless told otherwise
MAX_CPU_ACTORS = 8  # each CPU actor holds a model copy and one torch thread


def _parse_row(row: dict) -> dict:
    parsed = parse_file_report(Path(row["path"]), Path(row["root"]))
    return {"i": row["i"], "blob": pickle.dumps(parsed)}  # documents and errors as they are, not as columns


def _chunk_batch(batch: dict, tokenizer: Tokenizer, plan: ChunkPlan, max_tokens: int) -> dict:
    docs = [pickle.loads(blob) for blob in batch["doc"]]
    chunks = chunk_documents(docs, tokenizer, plan, max_tokens)
    return {"i": batch["i"], "blob": np.array([pickle.dumps(c) for c in chunks], dtype=object)}


class _Embed:
    """A Ray actor holding one model; the encoder arrives without weights and loads them on first use."""

    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder

    def __call__(self, batch: dict) -> dict:
        return {"i": batch["i"], "vec": self.encoder.encode([str(t) for t in batch["text"]])}


class RayRunner:
    """An `index.ingest.parallel.Runner` on Ray; `num_cpus` sizes the local Ray (ignored with an address)."""

    def __init__(self, address: str | None = None, num_cpus: int | None = None) -> None:
        self.address = address or os.environ.get("RAY_ADDRESS") or None
        self.num_cpus = num_cpus
        self._started = False

    def start(self) -> None:
        """Connect to the cluster, or start the local Ray (about 12 s here); later calls do nothing."""
        if ray.is_initialized():
            return
        if self.address:
            try:
                ray.init(address=self.address, logging_level=logging.ERROR, log_to_driver=False)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise ConfigError(f"no Ray cluster answers at ray_address {self.address!r} ({exc})",
                                  "check ray_address or $RAY_ADDRESS, or clear both to run a local Ray") from exc
        else:
            os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
            self._start_local()
            self._started = True
        # Ray's notices (token auth on, progress bars off, a line per dataset run) are noise in `newsdesk
        # ingest`; its errors still show, and task failures raise here.
        context = ray.data.DataContext.get_current()  # (sets up Ray Data's logging, so before the level)
        logging.getLogger("ray.data").setLevel(logging.ERROR)
        context.enable_progress_bars = False  # the writer shows its own bar

    def _start_local(self, tries: int = 2) -> None:
        """Start the local Ray. Ray gives its raylet a fixed 30 s to register, which a machine busy with other
        work can miss ("timed out during startup"): then it is stopped and started once more."""
        for attempt in range(1, tries + 1):
            try:
                ray.init(address="local", num_cpus=self.num_cpus or os.cpu_count() or 1, include_dashboard=False,
                         _node_ip_address="127.0.0.1", logging_level=logging.ERROR, log_to_driver=False)
                return
            except Exception as exc:  # noqa: BLE001  (Ray raises a bare Exception for this)
                if "timed out during startup" not in str(exc) or attempt == tries:
                    raise
                ray.shutdown()

    def _cpus(self) -> int:
        return max(1, int(ray.cluster_resources().get("CPU", 1)))

    def _dataset(self, rows: list[dict]):
        return ray.data.from_items(rows, override_num_blocks=min(len(rows), BLOCKS_PER_CPU * self._cpus()))

    def parse(self, files: Sequence[tuple[Path, Path]]) -> list[Parsed]:
        if not files:
            return []
        self.start()
        rows = [{"i": i, "path": str(path), "root": str(root)} for i, (root, path) in enumerate(files)]
        out = self._dataset(rows).map(_parse_row, num_cpus=CPU_PER_TASK).take_all()
        return [pickle.loads(r["blob"]) for r in sorted(out, key=lambda r: r["i"])]

    def chunk(self, docs: Sequence[Document], tokenizer: Tokenizer, plan: ChunkPlan,
              max_tokens: int) -> list[list[Chunk]]:
        if not docs:
            return []
        self.start()
        rows = [{"i": i, "doc": pickle.dumps(doc)} for i, doc in enumerate(docs)]
        out = self._dataset(rows).map_batches(
            _chunk_batch, batch_size=None, num_cpus=CPU_PER_TASK,
            fn_kwargs={"tokenizer": tokenizer, "plan": plan, "max_tokens": max_tokens}).take_all()
        return [pickle.loads(r["blob"]) for r in sorted(out, key=lambda r: r["i"])]

    def embedder(self, encoder: Encoder, texts: Callable[[], list[str]]) -> Encoder:
        """An encoder for the writer whose vectors are computed on Ray actors, streamed as they finish."""
        todo = texts()
        if not todo:
            return encoder  # nothing new: the model is not even loaded
        self.start()
        gpus = int(ray.cluster_resources().get("GPU", 0))
        actors = gpus or min(self._cpus(), MAX_CPU_ACTORS)
        rows = [{"i": i, "text": t} for i, t in enumerate(todo)]
        per_call = 4 * getattr(encoder, "batch_size", 64)  # texts per actor call: a few model batches
        blocks = min(len(rows), max(2 * actors, -(-len(rows) // per_call)))
        ds = ray.data.from_items(rows, override_num_blocks=blocks).map_batches(
            _Embed, fn_constructor_args=(encoder,), batch_size=per_call,
            compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=CPU_PER_TASK, num_gpus=1 if gpus else 0)
        return _Streamed(encoder, todo, iter(ds.iter_batches(batch_size=None, batch_format="numpy")))

    def close(self) -> None:
        if self._started and ray.is_initialized():
            ray.shutdown()
        self._started = False


class _Streamed:
    """Stands in for the encoder in `index.ingest.writer`: hands out vectors that Ray computed, in any order."""

    def __init__(self, encoder: Encoder, texts: list[str], batches: Iterator[dict]) -> None:
        self._encoder = encoder
        self._row = {t: i for i, t in enumerate(texts)}
        self._vectors: dict[int, np.ndarray] = {}
        self._batches = batches

    def __getattr__(self, name: str):
        return getattr(self._encoder, name)  # model_id, dim, tokenizer...: the real encoder's

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        rows = [self._row.get(t) for t in texts]
        while any(r is not None and r not in self._vectors for r in rows):
            batch = next(self._batches, None)
            if batch is None:
                break
            self._vectors.update(zip(batch["i"].tolist(), batch["vec"]))
        # A text Ray was not given (the writer's plan changed under it) is embedded here, never skipped.
        local = [t for t, r in zip(texts, rows) if r is None or r not in self._vectors]
        extra = iter(self._encoder.encode(local)) if local else iter(())
        out = np.stack([self._vectors.pop(r) if r in self._vectors else next(extra) for r in rows])
        if progress:
            progress(len(texts))
        return out.astype(np.float32, copy=False)
