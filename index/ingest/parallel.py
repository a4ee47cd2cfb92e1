"""Where an ingest's parse, chunk and embed work runs: in this process, on a process pool, or on Ray.

`index.ingest.pipeline` decides what changed and who owns each id, and `index.ingest.writer`
commits; a `Runner` only does the pure work between them, so every engine
produces the same documents, chunks and vectors. `Serial` is the plain path,
`ProcessPool` spreads parsing (one task per file) and chunking (slices of
documents) over local processes, and `index.ingest.ray_ingest.RayRunner` does both as
Ray Data maps and embeds on Ray workers. This module must not decide ownership,
touch the store or import ray (`runner_for` imports index.ingest.ray_ingest only when asked).
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol, Sequence

from index.chunk import ChunkPlan, chunk_documents
from index.document import Chunk, Document
from index.embed import Encoder, Tokenizer
from index.errors import ConfigError, ParseError
from index.parse import parse_file_report

ENGINES = ("local", "ray")
Parsed = tuple[list[Document], list[ParseError]]

# Below these sizes a pool's start-up (a second or two per process, importing the parsers)
# costs more than it saves, so `workers: 0` (auto) keeps small ingests and uploads serial.
POOL_MIN_FILES = 16
POOL_MIN_DOCS = 256
# On 2 cores a pool measured no faster (bench/engines.py: the model's torch threads already fill
# them), so auto starts one only where there are cores to spare.
AUTO_MIN_CORES = 4


class Runner(Protocol):
    def parse(self, files: Sequence[tuple[Path, Path]]) -> list[Parsed]: ...

    def chunk(self, docs: Sequence[Document], tokenizer: Tokenizer, plan: ChunkPlan,
              max_tokens: int) -> list[list[Chunk]]: ...

    def embedder(self, encoder: Encoder, texts: Callable[[], list[str]]) -> Encoder: ...

    def close(self) -> None: ...


class Serial:
    """Everything in this process, one file and one document group after another."""

    def parse(self, files: Sequence[tuple[Path, Path]]) -> list[Parsed]:
        return [parse_file_report(path, root) for root, path in files]

    def chunk(self, docs, tokenizer, plan, max_tokens) -> list[list[Chunk]]:
        return chunk_documents(docs, tokenizer, plan, max_tokens)

    def embedder(self, encoder: Encoder, texts: Callable[[], list[str]]) -> Encoder:
        """What the writer embeds with; `texts()` lists what it will ask for, in order. Here: the encoder."""
        return encoder

    def close(self) -> None:
        pass


@dataclass
class ProcessPool(Serial):
    """Parse and chunk on `workers` local processes (0: one per usable core, only for large inputs).

    The model stays in this process: embedding already uses every core through
    torch, and the writer is one SQLite connection. Results come back in input
    order, so the output is the serial one.
    """

    workers: int = 0
    _pool: ProcessPoolExecutor | None = None

    def _size(self) -> int:
        if self.workers:
            return self.workers
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # forkserver/spawn: a fork of a process that already ran torch or tokenizer threads can deadlock
            method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
            self._pool = ProcessPoolExecutor(self._size(), mp_context=multiprocessing.get_context(method),
                                             initializer=_one_thread)
        return self._pool

    def _worth_it(self, items: int, floor: int) -> bool:
        if self.workers == 0 and self._size() < AUTO_MIN_CORES:
            return False
        return self._size() > 1 and (items >= floor or self.workers > 1) and items > 1

    def parse(self, files):
        if not self._worth_it(len(files), POOL_MIN_FILES):
            return super().parse(files)
        roots, paths = [r for r, _ in files], [p for _, p in files]
        return list(self._executor().map(parse_file_report, paths, roots, chunksize=max(1, len(files) // (4 * self._size()))))

    def chunk(self, docs, tokenizer, plan, max_tokens):
        if not self._worth_it(len(docs), POOL_MIN_DOCS):
            return super().chunk(docs, tokenizer, plan, max_tokens)
        step = max(16, -(-len(docs) // (2 * self._size())))  # two slices per process evens out long articles
        slices = [list(docs[lo : lo + step]) for lo in range(0, len(docs), step)]
        n = len(slices)
        parts = self._executor().map(chunk_documents, slices, [tokenizer] * n, [plan] * n, [max_tokens] * n)
        return [chunks for part in parts for chunks in part]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


def _one_thread() -> None:
    # Each process counts tokens for its own slice: the tokenizer's thread pool in every one of them
    # would put cores x processes threads on the machine.
    os.environ["TOKENIZERS_PARALLELISM"] = "false"


def runner_for(engine: str = "local", workers: int = 1, ray_address: str | None = None) -> Runner:
    """The runner a config asks for: `local` with `workers` processes (1: serial, 0: auto), or `ray`."""
    if engine not in ENGINES:
        raise ConfigError(f"ingest engine {engine!r} is not one of {', '.join(ENGINES)}", "use ingest_engine: local")
    if engine == "ray":
        try:
            from index.ingest.ray_ingest import RayRunner  # the only module that imports ray
        except ImportError as exc:
            raise ConfigError(f"ingest engine ray needs Ray Data, which is not installed here ({exc})",
                              "pip install 'newsdesk[ray]' (ray[data]), or use --engine local") from None
        return RayRunner(address=ray_address or None, num_cpus=workers or None)
    if workers < 0:
        raise ConfigError(f"ingest workers {workers} is negative", "use 1 (serial), 0 (auto) or a process count")
    return Serial() if workers == 1 else ProcessPool(workers)
