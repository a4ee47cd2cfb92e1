"""Incremental ingest: files in, documents + chunks + vectors stored, nothing duplicated.

A file whose bytes are unchanged is not even parsed; a document whose content
hash is unchanged is not re-chunked; a passage whose embedded text is already
stored is not re-embedded. Changed documents are replaced, documents dropped
from a changed file are removed, and with `sync=True` documents whose files were
positively seen gone (under the paths given, nowhere else) are removed too. Work
is committed in batches of whole files, so an interrupted ingest keeps every
finished batch and the next run picks up where it stopped. A file that fails to
parse is reported and its previously indexed documents are kept.

Uploads (`IngestRun(uploads=True)`, the web UI's files) may add documents but never replace
one that is indexed from another file: such a document is skipped and named in
`IngestReport.refused`. The index folder and the article paths may not overlap
(`index.storage.folder.check_overlap`), and `--rebuild` replaces only newsdesk's own files.
"""
from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable

from index.chunk import ChunkPlan
from index.embed import Encoder
from index.errors import ParseError
from index.ingest.parallel import Runner, runner_for
from index.ingest.writer import Pending, ProgressFn, write_pending
from index.parse import MAX_JSONL_BYTES, ParseNote, discover
from index.parse.source import NotRegular, Oversized, file_sha256
from index.settings import IndexSettings
from index.storage.folder import FEEDS_NAME, REBUILD_NAME, UPLOADS_NAME, check_folder, check_overlap, claim
from index.storage.folder import finish_interrupted_swap, storage_error, swap_in
from index.storage.layout import IndexDir, write_lock
from index.storage.store import vec_key

REFUSED = "skipped {id}: an article with this {what} is already indexed from another source"


@dataclass(frozen=True, slots=True)
class IngestRun:
    """What one ingest does, beside the index's settings (which come from the config).

    sync:     also remove the documents of files under the paths given that are gone.
    rebuild:  build a fresh index inside the old one and swap it in when complete (a model or format change).
    uploads:  apply the upload rule: add, never replace a document from another source.
    wait:     seconds to wait for another writer before giving up with `IndexBusy`.
    progress: called with (stage, done, total) while passages are embedded.
    runner:   an open `index.ingest.parallel.Runner` to use (and leave open, to reuse across runs);
              None: the settings' runner is opened for this run and closed after it.
    """

    sync: bool = False
    rebuild: bool = False
    uploads: bool = False
    wait: float = 0.0
    progress: ProgressFn | None = None
    runner: Runner | None = None


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
    refused: tuple[str, ...] = ()  # uploads only: documents skipped because another source holds their id
    total_stories: int = 0  # documents grouped with their syndicated copies (index.storage.stories)

    def summary(self) -> str:
        return (f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, {self.removed} removed; "
                f"{self.chunks} chunks written ({self.embedded} embedded), index holds {self.total_documents} documents"
                f" in {self.total_stories} stories / {self.total_chunks} chunks; {len(self.errors)} files with errors; {self.seconds:.1f} s")


def ingest(paths: Iterable[Path | str], index_dir: Path | str, encoder: Encoder,
           settings: IndexSettings = IndexSettings(), run: IngestRun = IngestRun()) -> IngestReport:
    """Bring the index at `index_dir` up to date with the files under `paths`.

    `settings` (`IndexSettings`, from `Config.index_settings()`) say how the index is
    chunked and where its engines and its ingest run; `run` (`IngestRun`) what this call
    does beyond adding and updating: sync, rebuild, uploads, waiting for a writer,
    progress. A rebuild builds the new index (with the old one's uploads) beside the old
    one, which serves until the new one is swapped in whole. Parsing, chunking and
    embedding run on the settings' runner (`index.ingest.parallel`: serial by default, a
    process pool, or Ray); the planning and the writes stay here either way.
    """
    paths, index_dir = [Path(p) for p in paths], Path(index_dir)
    check_overlap(index_dir, paths)
    runner = run.runner or runner_for(settings.engine, settings.workers, settings.ray_address)
    try:
        if run.rebuild:
            return _rebuild(paths, index_dir, encoder, settings, replace(run, runner=runner))
        check_folder(index_dir)  # before the lock file is written into it
        return _update(paths, index_dir, encoder, settings, replace(run, runner=runner))
    except (sqlite3.Error, OSError) as exc:
        error = storage_error(index_dir, exc)  # read-only, disk full, locked: said as such, not "damaged"
        if error is exc:
            raise
        raise error from exc
    finally:
        if run.runner is None:
            runner.close()


def _update(paths: list[Path], index_dir: Path, encoder: Encoder, settings: IndexSettings,
            run: IngestRun) -> IngestReport:
    t0 = time.perf_counter()
    skipped: list[ParseError] = []
    files = discover(paths, skipped)
    with write_lock(index_dir, run.wait):
        finish_interrupted_swap(index_dir)  # a rebuild died in its swap: its complete index goes in first
        index = IndexDir.create_or_open(index_dir, encoder.model_id, settings)
        try:
            counts, errors, warnings, pending, refused = _plan(index, files, encoder, settings.chunk, run)
            if run.sync:
                warnings += _sync(index, paths, {str(path.resolve()) for _, path in files}, counts, pending)
            warnings = [str(e) for e in skipped] + warnings
            embedder = run.runner.embedder(encoder, lambda: _to_embed(index, pending))
            written, embedded = write_pending(index, pending, embedder, run.progress)
            index.engines.save(changed=bool(written or counts["removed"]))
            totals = index.store.counts() | {"stories": index.store.stories.count()}
        finally:
            index.close()
    return IngestReport(counts["added"], counts["updated"], counts["unchanged"], counts["removed"], written,
                        embedded, time.perf_counter() - t0, tuple(errors), tuple(warnings),
                        totals["documents"], totals["chunks"], tuple(refused), totals["stories"])


def _rebuild(paths: list[Path], target: Path, encoder: Encoder, settings: IndexSettings,
             run: IngestRun) -> IngestReport:
    """A fresh index built in `target/.rebuild` from `paths` and the old index's uploads, then swapped in.

    Refused for a folder holding files newsdesk did not write; only the index's own
    files are replaced, so `uploads/` and `feeds/` (re-ingested into the new index) stay.
    """
    check_folder(target, rebuild=True)
    fresh = target / REBUILD_NAME
    with write_lock(target, run.wait):
        claim(target)
        finish_interrupted_swap(target)  # an earlier rebuild died in its swap: finish that first
        shutil.rmtree(fresh, ignore_errors=True)
        report = ingest(paths, fresh, encoder, settings, IngestRun(progress=run.progress, runner=run.runner))
        for own in (target / UPLOADS_NAME, target / FEEDS_NAME):  # added under the upload rule, as they were
            if own.is_dir() and any(own.iterdir()):
                report = _merged(report, ingest([own], fresh, encoder, settings,
                                                IngestRun(uploads=True, progress=run.progress, runner=run.runner)))
        swap_in(target, fresh)
    return report


def _merged(a: IngestReport, b: IngestReport) -> IngestReport:
    """One report for two runs into the same index (b ran last, so its totals stand)."""
    return IngestReport(a.added + b.added, a.updated + b.updated, a.unchanged + b.unchanged, a.removed + b.removed,
                        a.chunks + b.chunks, a.embedded + b.embedded, a.seconds + b.seconds, a.errors + b.errors,
                        a.warnings + b.warnings, b.total_documents, b.total_chunks, a.refused + b.refused,
                        b.total_stories)


def _plan(index: IndexDir, files: list[tuple[Path, Path]], encoder: Encoder, plan: ChunkPlan, run: IngestRun):
    """Decide, per document, whether it is added, updated, unchanged or removed; chunk what must be embedded.

    One id, one document: within a run the first file to provide an id owns it,
    except that a full article takes an id over from a `related` stub; a later
    duplicate article is reported, a later stub dropped quietly. For uploads, an
    id stored from another file is never taken over (see the module docstring).
    """
    store = index.store
    known_files = store.file_hashes()
    stored = store.doc_hashes()
    status: dict[str, str] = {}
    owner: dict[str, tuple[Pending | None, str]] = {}  # doc_id -> (pending item or None if unchanged, kind)
    errors: list[ParseError] = []
    warnings: list[str] = []
    refused: list[str] = []
    pending: list[Pending] = []
    hashed: list[tuple[Path, Path, str, str]] = []  # root, path, resolved path, sha256
    for root, path in files:
        key = str(path.resolve())
        try:
            hashed.append((root, path, key, _file_key(path)))
        except (OSError, NotRegular) as exc:
            errors.append(ParseError(str(path), f"cannot be read ({getattr(exc, 'strerror', None) or exc})",
                                     "check that it is a readable article file"))
    # Parsing is pure, so the runner may do it in parallel; results come back in file order, which the
    # ownership rules below depend on (the first file to provide an id owns it).
    parsed = iter(run.runner.parse([(root, path) for root, path, key, sha in hashed if known_files.get(key) != sha]))
    for root, path, key, sha in hashed:
        if known_files.get(key) == sha:
            for doc_id in store.docs_of_file(key):
                owner[doc_id] = (None, stored[doc_id][2])
                status[doc_id] = "unchanged"
            continue
        docs, problems = next(parsed)
        errors.extend(p for p in problems if not isinstance(p, ParseNote))
        warnings.extend(str(p) for p in problems if isinstance(p, ParseNote))
        if not docs:
            continue  # keep whatever this file indexed before
        item = Pending(key, str(root.resolve()), sha)
        for doc in docs:
            old = stored.get(doc.doc_id)
            if old and old[1] != key and (run.uploads or doc.url is None):
                # An upload never replaces another source's document; a url-less id held by another file
                # can only be a hash collision of two paths, and two files must never share an id.
                if doc.kind == "article":
                    refused.append(REFUSED.format(id=doc.doc_id, what="url" if doc.url else "id"))
                continue
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
            if old and old[0] == doc.content_hash and old[1] == key:
                status[doc.doc_id] = "unchanged"
                continue
            status[doc.doc_id] = "updated" if old else "added"
            item.docs.append((doc, []))  # chunked below, all files' documents together
        for doc_id in store.docs_of_file(key):
            if doc_id not in owner:
                item.drop.append(doc_id)
                status[doc_id] = "removed"
        if run.uploads and not item.docs and not store.docs_of_file(key):
            continue  # an upload that adds nothing is not recorded, so the desk can remove its file
        pending.append(item)
    docs = [doc for item in pending for doc, _ in item.docs]
    chunked = iter(run.runner.chunk(docs, encoder.tokenizer, plan, encoder.max_tokens))
    for item in pending:
        item.docs = [(doc, next(chunked)) for doc, _ in item.docs]
    counts = {name: sum(1 for v in status.values() if v == name) for name in ("added", "updated", "unchanged", "removed")}
    return counts, errors, warnings, pending, refused


def _sync(index: IndexDir, paths: list[Path], seen: set[str], counts: dict[str, int],
          pending: list[Pending]) -> list[str]:
    """Plan the removal of documents whose files are gone; returns warnings for files it could not check.

    Only stored files under the paths given are candidates (a file named as PATH
    is its own only candidate), and only a file whose absence the file system
    confirms (`lstat` says it does not exist) is forgotten. A file that exists but
    was not read (an unreadable folder, a link no longer followed) keeps its documents.
    """
    store = index.store
    candidates: set[str] = set()
    for given in paths:
        real = given.resolve()
        candidates.update(store.files_under(str(real)) if given.is_dir() else [str(real)])
    gone, warnings = [], []
    for file in sorted(candidates - seen):
        try:
            os.lstat(file)
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                gone.append(file)
                continue
            warnings.append(f"{file}: cannot be checked ({exc.strerror}); its articles are kept")
    rewritten = {doc.doc_id for item in pending for doc, _ in item.docs}  # moved to a file read in this run
    item = Pending("", "", "", forget=gone)
    item.drop = [d for f in gone for d in store.docs_of_file(f) if d not in rewritten]
    if gone:
        pending.append(item)
    counts["removed"] += len(item.drop)
    return warnings


def _to_embed(index: IndexDir, pending: list[Pending]) -> list[str]:
    """The distinct passage texts the writer will embed, in the order it reaches them (stored ones left out)."""
    texts = {vec_key(c.embed_text): c.embed_text for item in pending for _, cs in item.docs for c in cs}
    known = index.store.known_vectors(texts) if texts else set()
    return [text for key, text in texts.items() if key not in known]


def _file_key(path: Path) -> str:
    """The file's sha256, read through the same type and size checks as parsing (no FIFO, no device)."""
    try:
        return file_sha256(path, MAX_JSONL_BYTES)
    except Oversized as exc:
        return f"oversized:{exc.size}:{path.stat().st_mtime_ns}"  # the parser reports it; no need to read it
