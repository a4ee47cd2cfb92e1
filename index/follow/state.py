"""What newsdesk remembers of each followed feed, in `INDEX/feeds/.state.json`.

Per feed url: the validators to send next time (ETag, Last-Modified), when it was
last read, when it last read well, and the last problem. The file is written
whole to a temporary name and renamed over the old one (a crash leaves the old
or the new file, never half of one), and updated under a lock so a server and a
command following the same index do not undo each other's writes. A state file
that cannot be read costs only the validators (the next read is a full GET),
never an indexed article; it is a hidden file, so an ingest of `feeds/` skips it.
"""
from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from index.storage.folder import FEEDS_NAME

STATE_NAME = ".state.json"
_LOCK_NAME = ".state.lock"


@dataclass(frozen=True, slots=True)
class FeedState:
    """One feed's memory. Times are ISO 8601 in UTC (`2026-12-07T19:30:00Z`)."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    last_read: str | None = None  # the last attempt, good or not
    last_ok: str | None = None  # the last read that worked (a 304 counts)
    error: str | None = None  # the last attempt's problem, None when it worked
    items: int = 0  # items the feed carried at its last good read


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def feeds_folder(index_dir: Path) -> Path:
    return Path(index_dir) / FEEDS_NAME


def load_states(index_dir: Path) -> dict[str, FeedState]:
    """Every feed's state ({} when none was written or the file cannot be read)."""
    try:
        raw = json.loads((feeds_folder(index_dir) / STATE_NAME).read_text("utf-8"))
        known = {f.name for f in fields(FeedState)}
        return {url: FeedState(**{k: v for k, v in entry.items() if k in known} | {"url": url})
                for url, entry in raw.get("feeds", {}).items() if isinstance(entry, dict)}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def save_state(index_dir: Path, state: FeedState) -> None:
    """Record one feed's state, keeping the others' (read again under the lock)."""
    folder = feeds_folder(index_dir)
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder):
        states = load_states(index_dir) | {state.url: state}
        data = {"feeds": {url: {k: v for k, v in asdict(s).items() if k != "url"} for url, s in sorted(states.items())}}
        write_atomic(folder / STATE_NAME, json.dumps(data, indent=1, ensure_ascii=False))


def updated(state: FeedState, **changes: object) -> FeedState:
    return replace(state, **changes)


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file renamed over it (flushed to disk first)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with open(folder / _LOCK_NAME, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
