"""Incremental ingest: files in, documents + chunks + vectors stored, nothing duplicated.

A file whose bytes are unchanged is not even parsed; a document whose content
hash is unchanged is not re-chunked; a passage whose embedded text is already
stored is not re-embedded. Changed documents are replaced, documents dropped
from a changed file are removed, and with `sync=True` documents whose files are
gone from the ingested folders are removed too. Work is committed in batches of
whole files, so an interrupted ingest keeps every finished batch and the next
run picks up where it stopped. A file that fails to parse is reported and its
previously indexed documents are kept.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from index.chunk import ChunkPlan, chunk_documents
from index.embed import Encoder
from index.errors import ParseError
from index.layout import MANIFEST_NAME, IndexDir, write_lock
from index.store import DB_NAME
from index.writer import Pending, ProgressFn, write_pending
from index.parse import MAX_JSONL_BYTES, ParseNote, discover, parse_file_report

@dataclass(frozen=True, slots=True)
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks: int = 0  # chunks written by this run
    embedded: int = 0  # distinct passages sent to the model
    seconds: float = 0.0
    errors: tuple[ParseError, ...] = ()
    warnings: tuple[str, ...] = ()
    total_documents: int = 0
    total_chunks: int = 0

    def summary(self) -> str:
        return (f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, {self.removed} removed; "
                f"{self.chunks} chunks written ({self.embedded} embedded), index holds {self.total_documents} documents"
                f" / {self.total_chunks} chunks; {len(self.errors)} files with errors; {self.seconds:.1f} s")


def ingest(paths: Iterable[Path | str], index_dir: Path | str, encoder: Encoder, plan: ChunkPlan = ChunkPlan(),
           sync: bool = False, rebuild: bool = False, progress: ProgressFn | None = None,
           index_type: str | None = None, keyword_engine: str | None = None) -> IngestReport:
    """Bring the index at `index_dir` up to date with the files under `paths`.

    `rebuild=True` builds a fresh index beside the old one (for a model or format
    change) and swaps it in only when complete; until then the old one serves.
    `index_type` (auto, flat, ivf-sq8) overrides the size-based choice of vector
    index and is remembered by the index; None keeps what the index has.
    """
    paths = [Path(p) for p in paths]
    if rebuild:
        return _rebuild(paths, Path(index_dir), encoder, plan, progress, index_type, keyword_engine)
    t0 = time.perf_counter()
    skipped: list[ParseError] = []
    files = discover(paths, skipped)
    index = IndexDir.create_or_open(index_dir, encoder.model_id, index_type, keyword_engine)
    try:
        with write_lock(index.path):
            counts, errors, warnings, pending = _plan(index, files, encoder, plan, sync)
            warnings = [str(e) for e in skipped] + warnings
            written, embedded = write_pending(index, pending, encoder, progress)
            if written or counts["removed"] or index.fit_index_type() or index.vectors_rebuilt:
                index.save()
            totals = index.store.counts()
    finally:
        index.close()
    return IngestReport(counts["added"], counts["updated"], counts["unchanged"], counts["removed"], written,
                        embedded, time.perf_counter() - t0, tuple(errors), tuple(warnings),
                        totals["documents"], totals["chunks"])


def _rebuild(paths: list[Path], target: Path, encoder: Encoder, plan: ChunkPlan,
             progress: ProgressFn | None, index_type: str | None, keyword_engine: str | None = None) -> IngestReport:
    fresh = target.with_name(target.name + ".rebuild")
    old = target.with_name(target.name + ".old")
    with write_lock(target):
        if (fresh / MANIFEST_NAME).is_file() and not (target / DB_NAME).is_file():
            _swap(target, fresh, old)  # an earlier rebuild finished but died before its swap: finish that first
        shutil.rmtree(fresh, ignore_errors=True)
        report = ingest(paths, fresh, encoder, plan, progress=progress, index_type=index_type,
                        keyword_engine=keyword_engine)
        _swap(target, fresh, old)
    return report


def _swap(target: Path, fresh: Path, old: Path) -> None:
    """Put the complete index `fresh` in place of `target` (the lock file of `target` moves aside with it)."""
    shutil.rmtree(old, ignore_errors=True)
    os.rename(target, old)
    os.rename(fresh, target)
    shutil.rmtree(old)


def _plan(index: IndexDir, files: list[tuple[Path, Path]], encoder: Encoder, plan: ChunkPlan, sync: bool):
    """Decide, per document, whether it is added, updated, unchanged or removed; chunk what must be embedded.

    One id, one document: within a run the first file to provide an id owns it,
    except that a full article takes an id over from a `related` stub; a later
    duplicate article is reported, a later stub dropped quietly.
    """
    store = index.store
    known_files = store.file_hashes()
    stored = store.doc_hashes()
    status: dict[str, str] = {}
    owner: dict[str, tuple[Pending | None, str]] = {}  # doc_id -> (pending item or None if unchanged, kind)
    errors: list[ParseError] = []
    warnings: list[str] = []
    pending: list[Pending] = []
    seen_files: set[str] = set()
    for root, path in files:
        key = str(path.resolve())
        seen_files.add(key)
        try:
            sha = _sha256(path)
        except OSError as exc:
            errors.append(ParseError(str(path), f"cannot be read ({exc.strerror})", "check that the file is readable"))
            continue
        if known_files.get(key) == sha:
            for doc_id in store.docs_of_file(key):
                owner[doc_id] = (None, stored[doc_id][2])
                status[doc_id] = "unchanged"
            continue
        docs, problems = parse_file_report(path, root)
        errors.extend(p for p in problems if not isinstance(p, ParseNote))
        warnings.extend(str(p) for p in problems if isinstance(p, ParseNote))
        if not docs:
            continue  # keep whatever this file indexed before
        item = Pending(key, str(root.resolve()), sha)
        for doc in docs:
            held = owner.get(doc.doc_id)
            if held is not None:
                if doc.kind == "related":
                    continue
                if held[1] == "article":
                    warnings.append(f"{doc.source}: duplicate id {doc.doc_id}, already indexed from another file; kept the first")
                    continue
                if held[0] is not None:  # the stub waits in another file's batch: take it out
                    held[0].docs = [(d, c) for d, c in held[0].docs if d.doc_id != doc.doc_id]
            owner[doc.doc_id] = (item, doc.kind)
            old = stored.get(doc.doc_id)
            if old and old[0] == doc.content_hash and old[1] == key:
                status[doc.doc_id] = "unchanged"
                continue
            status[doc.doc_id] = "updated" if old else "added"
            item.docs.append((doc, []))  # chunked below, all files' documents together
        for doc_id in store.docs_of_file(key):
            if doc_id not in owner:
                item.drop.append(doc_id)
                status[doc_id] = "removed"
        pending.append(item)
    if sync:
        roots = {str(root.resolve()) for root, _ in files}
        vanished = [f for r in roots for f in store.files_under(r) if f not in seen_files]
        if vanished:
            item = Pending("", "", "", forget=vanished)
            for doc_id in (d for f in vanished for d in store.docs_of_file(f) if d not in owner):
                item.drop.append(doc_id)
                status[doc_id] = "removed"
            pending.append(item)
    docs = [doc for item in pending for doc, _ in item.docs]
    chunked = iter(chunk_documents(docs, encoder.tokenizer, plan, encoder.max_tokens))
    for item in pending:
        item.docs = [(doc, next(chunked)) for doc, _ in item.docs]
    counts = {name: sum(1 for v in status.values() if v == name) for name in ("added", "updated", "unchanged", "removed")}
    return counts, errors, warnings, pending


def _sha256(path: Path) -> str:
    if path.stat().st_size > MAX_JSONL_BYTES:
        return f"oversized:{path.stat().st_size}:{path.stat().st_mtime_ns}"  # the parser reports it; no need to read it
    return hashlib.sha256(path.read_bytes()).hexdigest()
