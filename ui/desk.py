"""The newsroom desk behind the chat UI: questions, the corpus summary, example questions, uploads.

`Desk` wraps one `Retriever` so a web UI needs no retrieval logic of its own.
Uploaded files are checked and ingested by `index.ingest.uploads` (placed under
`INDEX/uploads/`, under the upload rule: add, never replace another source's
document) with the retriever's own encoder and the config's index settings; the
desk runs one upload at a time, reopens the retriever on the grown index so the next
question can find them, and says what happened in words a web user can read. An
upload cut short by a crash is finished by `resume_uploads` at the next start. A
lock keeps a question from reading the index while it is being swapped. The config's
`feeds:` are followed in the background (`follow_feeds`, through `index.follow`) and the
summary says when each was last read.
"""
from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

from index.follow import FeedResult, FollowOptions, follow, load_states
from index.ingest import IngestReport
from index.ingest.uploads import check_uploads, upload
from index.storage.layout import IndexDir
from index.document import Filters
from qa.answer import Answer, Answerer, History
from qa.answer.ask import answer_stream, retrieve
from qa.answer.factory import make_answerer
from qa.answer.timeline import TIMELINE_K, Timeline, timeline
from qa.check.nlp import pipeline
from qa.check.search import FactCheck, check_in_index
from qa.config import Config
from qa.retrieve.records import Hit
from qa.retrieve.retriever import Retriever
from qa.retrieve.when import TimeReading
from ui import examples

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
    feeds: tuple[tuple[str, str | None, str | None], ...] = ()  # followed feeds: url, last read (UTC), last problem


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
        """Load the embedding model and the claim checker's language pipeline (about 2 s) now, so the first
        question is not the one that waits for them."""
        self.retriever.encoder.encode_query("warm up")
        pipeline()

    @property
    def index_path(self) -> Path:
        return self.retriever.index.path

    def ask_stream(self, question: str, history: History | None = None, filters: Filters | None = None,
                   answerer: Answerer | None = None, time: bool = True) -> Iterator[str | Answer]:
        """Answer text pieces, then the `Answer` (see `qa.answer.ask_stream`); `answerer` replaces the
        config's for this question (the API's models name one); `time=False` leaves its time words unread."""
        with self._lock:  # only retrieval reads the shared index; a model's answer must not hold up other chats
            query, hits, history = retrieve(question, history, self.retriever, filters, self.config.top_k, time)
        yield from answer_stream(answerer or self.answerer, query, hits, history)

    def timeline(self, query: str, k: int | None = None, filters: Filters | None = None) -> Timeline:
        """The dated events about `query`, oldest first, as `newsdesk timeline` prints them (qa.answer.timeline)."""
        with self._lock:
            return timeline(query, self.retriever, filters, k or TIMELINE_K)

    def read_time(self, question: str) -> TimeReading:
        """What `question` says about time, as the retriever reads it (qa.retrieve.when)."""
        with self._lock:
            return self.retriever.read_time(question)

    def search(self, question: str, k: int | None = None, filters: Filters | None = None) -> list[Hit]:
        """The passages for `question` (`k`: the config's top_k unless given), as `newsdesk search` finds them."""
        with self._lock:
            return self.retriever.search(question, k=k or self.config.top_k, filters=filters)

    def check(self, claim: str, k: int | None = None, filters: Filters | None = None) -> FactCheck:
        """`claim` checked against the passages found for it, as `newsdesk check` does."""
        with self._lock:
            return check_in_index(claim, self.retriever, filters, k or self.config.top_k)

    def summary(self) -> CorpusSummary:
        with self._lock:
            self.retriever.index.refresh()  # a rebuild or ingest by another process shows on the next page load
            store = self.retriever.index.store
            counts, facets = store.counts(), store.facets()
            updated = self.retriever.index.manifest().get("updated")
        states = load_states(self.index_path) if self.config.feeds else {}
        feeds = tuple((spec.url, getattr(states.get(spec.url), "last_read", None),
                       getattr(states.get(spec.url), "error", None)) for spec in self.config.feeds)
        return CorpusSummary(counts["documents"], counts["chunks"], len(facets["outlets"]), facets["date_from"],
                             facets["date_to"], updated, tuple(facets["outlets"]), tuple(facets["topics"]), feeds)

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

        Uploads of this server run one at a time and wait for any other writer (see
        `index.ingest.uploads`: an upload never replaces a document from another source,
        and a new file never overwrites an earlier upload of the same name). Files that
        added nothing, or could not be ingested, are removed again.
        """
        files = check_uploads(paths)

        def report(stage: str, done: int, total: int) -> None:
            if progress and total:
                progress(done / total, f"Embedding passages: {done} of {total}")

        with self._writing:
            if progress:
                progress(0.0, f"Reading {len(files)} file{'s' if len(files) != 1 else ''}")
            result = upload(files, self.index_path, self.retriever.encoder, self.config.index_settings(), report)
            self.reopen()
            return result

    def resume_uploads(self) -> IngestReport | None:
        """Finish uploads a crash (kill -9, power loss) left in `uploads/` but not (fully) indexed; None if none."""
        with self._writing:
            result = upload((), self.index_path, self.retriever.encoder, self.config.index_settings())
            if result is not None:
                self.reopen()
            return result

    def follow_feeds(self, stop: threading.Event, report: Callable[[FeedResult], None] = lambda result: None,
                     options: FollowOptions = FollowOptions()) -> threading.Thread | None:
        """Follow the config's feeds in a background thread until `stop` is set (None when it lists none).

        Each poll goes through the normal ingest (it waits its turn behind uploads and other
        writers on the index's lock); one that indexed something reopens the index, so the
        next question finds the new items.
        """
        if not self.config.feeds:
            return None

        def polled(result: FeedResult) -> None:
            report(result)
            if result.report is not None and (result.report.added or result.report.updated):
                self.reopen()

        def run() -> None:
            while not stop.is_set():
                try:
                    follow(self.config.feeds, self.index_path, self.retriever.encoder, self.config.index_settings(),
                           options, report=polled, stop=stop)
                except Exception:  # noqa: BLE001 (a broken index or disk must not end the follower silently)
                    logging.getLogger("newsdesk.feeds").exception("following feeds failed; trying again in a minute")
                    stop.wait(60)

        thread = threading.Thread(target=run, name="newsdesk-feeds", daemon=True)
        thread.start()
        return thread

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
            self.retriever.index = IndexDir.open(old.path, self.retriever.encoder.model_id, old.backend)
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
