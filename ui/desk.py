"""The newsroom desk behind the chat UI: questions, the corpus summary, example questions, uploads.

`Desk` wraps one `Retriever` so a web UI needs no retrieval logic of its own.
Uploaded files are checked (type, size, count), copied under the index folder
(`INDEX/uploads/`, so an article added in the browser survives a restart and
keeps a stable id), ingested with the retriever's own encoder, and the retriever
is reopened on the grown index, so the next question can find them. A lock keeps
a question from reading the index while it is being swapped.
"""
from __future__ import annotations

import re
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

from index.errors import NewsdeskError
from index.ingest import IngestReport, ingest
from index.layout import IndexDir
from index.parse import SUPPORTED_SUFFIXES
from index.store import Filters
from qa.answer import Answer, Answerer, History, ask_stream
from qa.answer.factory import make_answerer
from qa.config import Config
from qa.retrieve.retriever import Retriever

MAX_UPLOAD_FILES = 20
MAX_UPLOAD_BYTES = 5_000_000  # per file: a long article is ~100 KB; a JSONL batch of hundreds fits
UPLOAD_FOLDER = "uploads"


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

    def warm_up(self) -> None:
        """Load the embedding model now, so the first question is not the one that waits for it."""
        self.retriever.encoder.encode_query("warm up")

    @property
    def index_path(self) -> Path:
        return self.retriever.index.path

    def ask_stream(self, question: str, history: History | None = None,
                   filters: Filters | None = None) -> Iterator[str | Answer]:
        """Answer text pieces, then the `Answer` (see `qa.answer.ask_stream`)."""
        with self._lock:  # retrieval happens before the first piece; after it only the hits are read
            stream = ask_stream(question, history, self.retriever, filters, self.config.top_k, self.answerer)
            first = next(stream)
        yield first
        yield from stream

    def summary(self) -> CorpusSummary:
        with self._lock:
            store = self.retriever.index.store
            counts, facets = store.counts(), store.facets()
            updated = self.retriever.index.manifest().get("updated")
        return CorpusSummary(counts["documents"], counts["chunks"], len(facets["outlets"]), facets["date_from"],
                             facets["date_to"], updated, tuple(facets["outlets"]), tuple(facets["topics"]))

    def example_questions(self, n: int = 4) -> list[str]:
        """Questions about the newest articles, one per outlet while outlets last."""
        with self._lock:
            rows = self.retriever.index.store.recent_titles(max(50, n * 10))
        picked, outlets = [], set()
        for title, outlet in rows:
            title = re.sub(r"\s+", " ", title).strip().rstrip(".:;!?")
            if not 15 <= len(title) <= 90 or (outlet in outlets and len(rows) > n):
                continue
            outlets.add(outlet)
            picked.append(f"What does {outlet} report about “{title}”?" if outlet else f"What is “{title}” about?")
            if len(picked) == n:
                break
        return picked

    def add_files(self, paths: Sequence[str | Path],
                  progress: Callable[[float, str], None] | None = None) -> IngestReport:
        """Ingest uploaded files into the index and reopen it; raises `UploadRejected` before touching it."""
        files = check_uploads(paths)
        target = self.index_path / UPLOAD_FOLDER
        target.mkdir(exist_ok=True)
        copies = []
        for file in files:
            copy = target / safe_name(file.name)
            shutil.copyfile(file, copy)
            copies.append(copy)

        def report(stage: str, done: int, total: int) -> None:
            if progress and total:
                progress(done / total, f"Embedding passages: {done} of {total}")

        if progress:
            progress(0.0, f"Reading {len(copies)} file{'s' if len(copies) != 1 else ''}")
        result = ingest(copies, self.index_path, self.retriever.encoder, self.config.chunk_plan(), progress=report)
        self.reopen()
        return result

    def public(self, message: object) -> str:
        """An error message fit to show a web user (see `public_message`)."""
        return public_message(str(message), self.index_path)

    def reopen(self) -> None:
        """Point the retriever at the index as it is on disk now (after an ingest)."""
        with self._lock:
            old = self.retriever.index
            self.retriever.index = IndexDir.open(old.path, self.retriever.encoder.model_id)
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


def safe_name(name: str) -> str:
    """A file name without folders or odd characters (shown to users, and used inside the index folder)."""
    stem, dot, suffix = Path(name).name.rpartition(".")
    stem = re.sub(r"[^\w.-]+", "_", stem if dot else suffix).strip("._")[:80] or "upload"
    return f"{stem}.{re.sub(r'[^A-Za-z0-9]', '', suffix)[:10].lower()}" if dot else stem
