"""The newsroom desk behind the chat UI: questions, the corpus summary, example questions, uploads.

`Desk` wraps one `Retriever` so a web UI needs no retrieval logic of its own.
Uploaded files are checked (type, size, count), copied under the index folder
(`INDEX/uploads/`, so an article added in the browser survives a restart and
keeps a stable id; a name already taken gets a number), ingested with the
retriever's own encoder under the upload rule (add, never replace another
source's document), and the retriever is reopened on the grown index, so the
next question can find them. Uploads queue behind any other writer; one cut short
by a crash is finished by `resume_uploads` at the next start. A lock keeps a
question from reading the index while it is being swapped.
"""
from __future__ import annotations

import hashlib
import re
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

from index.errors import NewsdeskError
from index.folder import UPLOADS_NAME, os_error
from index.ingest import IngestReport, ingest
from index.layout import IndexDir
from index.parse import SUPPORTED_SUFFIXES
from index.store import Filters
from qa.answer import Answer, Answerer, History
from qa.answer.ask import retrieve
from qa.answer.factory import make_answerer
from qa.config import Config
from qa.retrieve.retriever import Retriever
from ui import examples

MAX_UPLOAD_FILES = 20
MAX_UPLOAD_BYTES = 5_000_000  # per file: a long article is ~100 KB; a JSONL batch of hundreds fits
UPLOAD_FOLDER = UPLOADS_NAME
UPLOAD_WAIT_S = 120.0  # an upload queues this long behind another writer (a CLI ingest) before it gives up


class UploadRejected(NewsdeskError):
    """An uploaded file is of a type, size or number the desk does not take."""


@dataclass(frozen=True, slots=True)
class CorpusSummary:
    documents: int
    chunks: int
    outlets: int
    date_from: str | None
    date_to: str | None
    last_ingest: str | None
    outlet_names: tuple[str, ...]
    topic_names: tuple[str, ...]


class Desk:
    """Everything the chat UI asks of newsdesk. Safe to share between the UI's worker threads."""

    def __init__(self, retriever: Retriever, config: Config | None = None, answerer: Answerer | None = None) -> None:
        self.retriever = retriever
        self.config = config or Config()
        self.answerer = answerer or make_answerer(self.config, retriever.encoder)  # the config's answerer
        self._lock = threading.Lock()
        self._writing = threading.Lock()  # one upload at a time here; other processes wait on the index's lock
        self._examples: tuple[object, list[str]] = (None, [])

    def warm_up(self) -> None:
        """Load the embedding model now, so the first question is not the one that waits for it."""
        self.retriever.encoder.encode_query("warm up")

    @property
    def index_path(self) -> Path:
        return self.retriever.index.path

    def ask_stream(self, question: str, history: History | None = None,
                   filters: Filters | None = None) -> Iterator[str | Answer]:
        """Answer text pieces, then the `Answer` (see `qa.answer.ask_stream`)."""
        with self._lock:  # only retrieval reads the shared index; a model's answer must not hold up other chats
            query, hits, history = retrieve(question, history, self.retriever, filters, self.config.top_k)
        yield from self.answerer.stream(query, hits, history)

    def summary(self) -> CorpusSummary:
        with self._lock:
            self.retriever.index.refresh()  # a rebuild or ingest by another process shows on the next page load
            store = self.retriever.index.store
            counts, facets = store.counts(), store.facets()
            updated = self.retriever.index.manifest().get("updated")
        return CorpusSummary(counts["documents"], counts["chunks"], len(facets["outlets"]), facets["date_from"],
                             facets["date_to"], updated, tuple(facets["outlets"]), tuple(facets["topics"]))

    def example_questions(self, n: int = 4) -> list[str]:
        """Questions the newest articles answer in their own words (see `ui.examples`). Read again only
        after the index changed: every page load asks, and reading 20 articles takes a few hundred ms."""
        with self._lock:
            key = (n, self.retriever.index.manifest().get("updated"), self.retriever.index.store.counts()["documents"])
            if self._examples[0] != key:
                rows = self.retriever.index.store.recent_openings(n * 5)
                self._examples = (key, examples.from_rows(rows, n))
            return list(self._examples[1])

    def add_files(self, paths: Sequence[str | Path],
                  progress: Callable[[float, str], None] | None = None) -> IngestReport:
        """Ingest uploaded files into the index and reopen it; raises `UploadRejected` before touching it.

        Uploads of this server run one at a time and wait up to UPLOAD_WAIT_S for any
        other writer. An upload only adds (see `index.ingest`: it never replaces a
        document from another source, and a new file never overwrites an earlier
        upload of the same name). Files that added nothing, or could not be ingested,
        are removed again, so `uploads/` holds only what is indexed or unfinished.
        """
        files = check_uploads(paths)

        def report(stage: str, done: int, total: int) -> None:
            if progress and total:
                progress(done / total, f"Embedding passages: {done} of {total}")

        with self._writing:
            target = self.index_path / UPLOAD_FOLDER
            copies: list[Path] = []
            try:
                target.mkdir(exist_ok=True)
                for file in files:
                    copies.append(_place(file, target))
            except OSError as exc:  # a full disk or a read-only index, said as such
                self._remove_unindexed(copies)
                raise os_error(self.index_path, exc) from exc
            if progress:
                progress(0.0, f"Reading {len(copies)} file{'s' if len(copies) != 1 else ''}")
            return self._ingest_uploads(list(dict.fromkeys(copies + self._unfinished())), report)

    def resume_uploads(self) -> IngestReport | None:
        """Finish uploads a crash (kill -9, power loss) left in `uploads/` but not (fully) indexed; None if none."""
        with self._writing:
            unfinished = self._unfinished()
            return self._ingest_uploads(unfinished, None) if unfinished else None

    def _ingest_uploads(self, copies: list[Path], progress) -> IngestReport:
        try:
            result = ingest(copies, self.index_path, self.retriever.encoder, self.config.chunk_plan(),
                            progress=progress, uploads=True, wait=UPLOAD_WAIT_S, milvus=self.config.milvus_target())
        finally:
            self._remove_unindexed(copies)
        self.reopen()
        return result

    def _unfinished(self) -> list[Path]:
        """Files in `uploads/` whose current bytes the index has not recorded (an interrupted upload)."""
        folder = self.index_path / UPLOAD_FOLDER
        if not folder.is_dir():
            return []
        with self._lock:
            known = self.retriever.index.store.file_hashes()
        out = []
        for file in sorted(folder.iterdir()):
            if file.is_file() and file.suffix.lower() in SUPPORTED_SUFFIXES \
                    and known.get(str(file.resolve())) != _sha256(file):
                out.append(file)
        return out

    def _remove_unindexed(self, copies: list[Path]) -> None:
        """Delete the copies the index holds no record of: reported to the user, so not kept half-added."""
        index = IndexDir.open(self.index_path, self.retriever.encoder.model_id)
        try:
            known = index.store.file_hashes()
        finally:
            index.close()
        for copy in copies:
            if str(copy.resolve()) not in known:
                copy.unlink(missing_ok=True)

    def describe_upload(self, report: IngestReport) -> tuple[str, bool]:
        """What an upload did, in words for the web user, and whether it went cleanly."""
        plural = lambda n, word: f"{n} {word}{'' if n == 1 else 's'}"  # noqa: E731
        if report.added or report.updated:
            done = [f"added {plural(report.added, 'article')}"] + (
                [f"updated {report.updated}"] if report.updated else []) + (
                [f"{report.unchanged} already indexed"] if report.unchanged else [])
            text = (f"{', '.join(done).capitalize()} ({plural(report.chunks, 'passage')} indexed). "
                    "Ask about them now.")
        elif report.unchanged and not report.refused and not report.errors:
            text = "These articles are already indexed; nothing changed."
        else:
            text = "Nothing was added."
        notes = [f" {self.public(r).capitalize()}." for r in report.refused]
        notes += [f" Skipped {self.public(err)}." for err in report.errors]
        return text + "".join(notes), not (report.errors or report.refused)

    def public(self, message: object) -> str:
        """An error message fit to show a web user (see `public_message`)."""
        return public_message(str(message), self.index_path)

    def reopen(self) -> None:
        """Point the retriever at the index as it is on disk now (after an ingest)."""
        with self._lock:
            old = self.retriever.index
            self.retriever.index = IndexDir.open(old.path, self.retriever.encoder.model_id, old.milvus_target)
            old.close()


_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])/(?:[^\s/:'\"]+/)+([^\s/:'\"]*)")


def public_message(message: str, index_path: Path) -> str:
    """`message` without file-system paths: the served index folder becomes "the index", any other
    absolute path its last part. Errors are written for the command line, where paths help; a web user
    must not learn the server's folders."""
    for path in sorted({str(index_path.resolve()), str(index_path)}, key=len, reverse=True):
        message = re.sub(rf"\b(?:the )?index at {re.escape(path)}", "the index", message)
        message = message.replace(path, "INDEX")
    return _ABSOLUTE_PATH.sub(lambda m: m.group(1) or "a folder", message)


def check_uploads(paths: Sequence[str | Path]) -> list[Path]:
    """The uploaded files as paths, or `UploadRejected` naming the first file that cannot be taken."""
    files = [Path(p) for p in paths or () if p]
    if not files:
        raise UploadRejected("no file was uploaded", "choose one or more article files first")
    if len(files) > MAX_UPLOAD_FILES:
        raise UploadRejected(f"{len(files)} files were uploaded, the limit is {MAX_UPLOAD_FILES}",
                             "upload them in smaller batches")
    kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
    for file in files:
        name = safe_name(file.name)
        if file.suffix.lower() not in SUPPORTED_SUFFIXES:
            raise UploadRejected(f"{name} is not an article file newsdesk reads", f"upload one of: {kinds}")
        size = file.stat().st_size
        if size > MAX_UPLOAD_BYTES:
            raise UploadRejected(f"{name} is {size / 1e6:.1f} MB, the limit is {MAX_UPLOAD_BYTES / 1e6:.0f} MB per file",
                                 "split it into smaller files")
    return files


def _place(file: Path, folder: Path) -> Path:
    """Copy an upload into `folder` under its safe name; a taken name gets a number, never an overwrite.

    The same bytes uploaded again reuse their earlier copy (the ingest finds them unchanged).
    """
    name = Path(safe_name(file.name))
    digest = _sha256(file)
    for n in range(1, 10_000):
        copy = folder / (name.name if n == 1 else f"{name.stem}-{n}{name.suffix}")
        if not copy.exists():
            try:
                shutil.copyfile(file, copy)
            except OSError:
                copy.unlink(missing_ok=True)  # never leave half a file to be taken for an unfinished upload
                raise
            return copy
        if copy.is_file() and _sha256(copy) == digest:
            return copy
    raise UploadRejected(f"too many uploads are named {name.name}", "rename the file and upload it again")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()  # uploads are capped at MAX_UPLOAD_BYTES


def safe_name(name: str) -> str:
    """A file name without folders or odd characters (shown to users, and used inside the index folder)."""
    stem, dot, suffix = Path(name).name.rpartition(".")
    stem = re.sub(r"[^\w.-]+", "_", stem if dot else suffix).strip("._")[:80] or "upload"
    return f"{stem}.{re.sub(r'[^A-Za-z0-9]', '', suffix)[:10].lower()}" if dot else stem
