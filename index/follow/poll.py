"""Reading followed feeds into an index: one poll of one feed, and the loop that polls each on its interval.

A poll asks for the feed conditionally (`fetch`), parses it (`index.parse.feed`),
and writes an item file (`items`) only for items that are new or changed since the
last poll, or whose last ingest did not finish (the store has not recorded the
file's bytes); with `fetch_pages`, an item that carries only a summary gets its
page's article text, and a page that fails keeps the summary. Those files, and
only those, go through the normal `ingest` under the upload rule
(`IngestRun(uploads=True)`): an item never replaces an article indexed from another
source (a folder, an upload, another feed); it is named in the report instead, and
its file removed, as an upload's is (`index.ingest.uploads.remove_unindexed`).
Items that drop off a feed keep their files and articles. Every problem is one
line naming the feed; one feed failing never stops the others.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from index.embed import Encoder
from index.errors import NewsdeskError, ParseError
from index.follow.fetch import FetchFailed, Limits, fetch
from index.follow.items import PAGE_LIMITS, item_path, mark_of, with_page, write_item
from index.follow.spec import FeedSpec
from index.follow.state import FeedState, load_states, now_iso, save_state, updated
from index.ingest.pipeline import IngestReport, IngestRun, ingest
from index.ingest.uploads import UPLOAD_WAIT_S, recorded_files, remove_unindexed
from index.parse.feed import read_feed
from index.parse.source import Source, file_sha256
from index.settings import IndexSettings
from index.storage.folder import check_folder


@dataclass(frozen=True, slots=True)
class FollowOptions:
    """How feeds are read: page fetching, the limits of a feed's and a page's fetch, the wait for another writer."""

    fetch_pages: bool = False
    limits: Limits = Limits()
    page_limits: Limits = PAGE_LIMITS
    wait: float = UPLOAD_WAIT_S


@dataclass(frozen=True, slots=True)
class FeedResult:
    """What one poll of one feed did. `error` set: the feed could not be read (nothing changed in the index)."""

    url: str
    items: int = 0
    new: int = 0
    changed: int = 0
    not_modified: bool = False
    error: str | None = None
    problems: tuple[str, ...] = ()  # items skipped, pages that kept their summary, articles refused
    report: IngestReport | None = field(default=None, compare=False)

    @property
    def ok(self) -> bool:
        return self.error is None and not self.problems

    def lines(self) -> list[str]:
        """One line for the feed, then one per problem (each names the feed or the item's url)."""
        if self.error:
            return [f"{self.url}: {self.error}"]
        if self.not_modified:
            head = f"{self.url}: not modified since the last read"
        else:
            head = (f"{self.url}: {_plural(self.items, 'item')}, {self.new} new, {self.changed} changed"
                    + (f"; {_plural(self.report.chunks, 'passage')} indexed, the index holds "
                       f"{_plural(self.report.total_documents, 'article')}" if self.report else ""))
        return [head, *self.problems]


def poll_feed(spec: FeedSpec, index_dir: Path, encoder: Encoder, settings: IndexSettings = IndexSettings(),
              options: FollowOptions = FollowOptions()) -> FeedResult:
    """Read `spec`'s feed once and ingest its new and changed items into `index_dir`."""
    index_dir = Path(index_dir)
    state = load_states(index_dir).get(spec.url) or FeedState(spec.url)
    try:
        fetched = fetch(spec.url, options.limits, etag=state.etag, last_modified=state.last_modified)
    except FetchFailed as exc:
        return _failed(index_dir, state, str(exc))
    if fetched.status == 304:
        save_state(index_dir, updated(state, last_read=now_iso(), last_ok=now_iso(), error=None))
        return FeedResult(spec.url, items=state.items, not_modified=True)
    source = Source(path=Path(spec.url), rel=spec.url, text="")
    try:
        feed = read_feed(fetched.body, source, base_url=fetched.url)
    except ParseError as exc:
        return _failed(index_dir, state, exc.problem + (f": {exc.fix}" if exc.fix else ""))
    problems = [str(p) for p in source.problems]
    recorded = recorded_files(index_dir, encoder.model_id)
    files, counts = [], {"new": 0, "changed": 0}
    for item in feed.items:
        document, path = item.document, item_path(index_dir, spec.url, item.document.doc_id)
        mark = document.content_hash
        if mark_of(path) == mark:
            if recorded.get(str(path.resolve())) == file_sha256(path):
                continue  # unchanged, and indexed
        else:
            counts["changed" if path.exists() else "new"] += 1
        page = False
        if options.fetch_pages and not item.full and document.url:
            try:
                document, page = with_page(document, options.page_limits), True
            except (FetchFailed, ParseError) as exc:
                problems.append(f"{spec.url}: the page of {document.url} was not read ({_reason(exc)}); "
                                "its summary is indexed")
        write_item(path, document, mark, spec.url, page)
        files.append(path)
    try:
        report = _ingest(files, index_dir, encoder, settings, options) if files else None
    except NewsdeskError as exc:  # another writer held the index too long, a full disk: the next poll reads it all again
        return _failed(index_dir, state, f"its items could not be indexed ({exc})")
    if report is not None:
        problems += [f"{spec.url}: {line}" for line in report.refused]
        problems += [f"{spec.url}: {error}" for error in report.errors]
    save_state(index_dir, updated(state, etag=fetched.etag, last_modified=fetched.last_modified, last_read=now_iso(),
                                  last_ok=now_iso(), error=problems[0] if problems else None, items=len(feed.items)))
    return FeedResult(spec.url, len(feed.items), counts["new"], counts["changed"], problems=tuple(problems),
                      report=report)


def _ingest(files: list[Path], index_dir: Path, encoder: Encoder, settings: IndexSettings,
            options: FollowOptions) -> IngestReport:
    try:
        return ingest(files, index_dir, encoder, settings, IngestRun(uploads=True, wait=options.wait))
    finally:
        remove_unindexed(files, index_dir, encoder.model_id)  # refused or unreadable: named in the report


def _failed(index_dir: Path, state: FeedState, reason: str) -> FeedResult:
    save_state(index_dir, updated(state, last_read=now_iso(), error=reason))
    return FeedResult(state.url, items=state.items, error=reason)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _reason(exc: NewsdeskError) -> str:
    return exc.problem.removeprefix(exc.path + ": ") if isinstance(exc, ParseError) else exc.problem


def follow(specs: Iterable[FeedSpec], index_dir: Path, encoder: Encoder, settings: IndexSettings = IndexSettings(),
           options: FollowOptions = FollowOptions(), *, once: bool = False,
           report: Callable[[FeedResult], None] = lambda result: None,
           stop: threading.Event | None = None) -> bool:
    """Poll every feed now, then each again when its interval has passed, until `stop` is set (or once).

    Returns whether every poll went cleanly (what `newsdesk follow --once` exits by).
    """
    specs = list(dict.fromkeys(specs))
    check_folder(Path(index_dir))  # a folder that is not an index (nor new, nor empty) is refused before any write
    stop = stop or threading.Event()
    due = {spec.url: 0.0 for spec in specs}
    clean = True
    while not stop.is_set():
        for spec in specs:
            if due[spec.url] <= time.monotonic() and not stop.is_set():
                result = poll_feed(spec, index_dir, encoder, settings, options)
                clean = clean and result.ok
                report(result)
                due[spec.url] = time.monotonic() + spec.interval
        if once or not specs:
            break
        stop.wait(max(0.0, min(due.values()) - time.monotonic()))
    return clean
