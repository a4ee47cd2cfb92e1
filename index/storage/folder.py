"""What an index folder may hold, who owns it, and how a rebuild swaps it without deleting anything else.

An index folder holds only the files newsdesk writes (`OWN_NAMES`): the store, the
vector file, the manifest, the write lock, the ownership marker written when the
folder became an index, the `uploads/` of the web UI, the `feeds/` of followed feeds and the scratch folders of a
rebuild. Before an index is created in a folder, the folder must be new, empty or
already an index; a rebuild also refuses a folder holding anything else, because it
replaces the index's files. A rebuild never swaps or deletes folders: it builds in
`INDEX/.rebuild/`, then moves the index's own files aside one by one, moves the new
ones in and deletes only what it moved aside. `uploads/` and anything unknown stay.

The write lock and the honest names of write failures live here too: a writer that finds the index busy may wait a bounded
time for it. This module must not open SQLite or FAISS; it only names and moves files.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from index.errors import IndexBusy, IndexCorrupt, IndexRefused, IndexUnwritable, NewsdeskError

DB_NAME = "newsdesk.sqlite"
VECTORS_NAME = "vectors.faiss"
MANIFEST_NAME = "manifest.json"
MARKER_NAME = ".newsdesk-index"
LOCK_NAME = ".lock"
UPLOADS_NAME = "uploads"
FEEDS_NAME = "feeds"  # followed feeds' items, one file each, and their state (index.follow)
REBUILD_NAME = ".rebuild"  # a rebuild's new index, inside the old one
ASIDE_NAME = ".old"  # the old index's files during a rebuild's swap
KEYWORDS_NAME = "keywords"  # the tantivy keyword index (index.engines.keyword.tantivy_engine), derived from the store
KEYWORDS_RECORD = "keywords.json"  # the store generation that index reflects

SWAPPED = (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm", DB_NAME + "-journal", VECTORS_NAME, MANIFEST_NAME,
           KEYWORDS_NAME, KEYWORDS_RECORD)
"""The files a rebuild replaces: everything that describes the index's contents."""

OWN_NAMES = frozenset(SWAPPED + (VECTORS_NAME + ".tmp", MANIFEST_NAME + ".tmp", KEYWORDS_RECORD + ".tmp",
                                 LOCK_NAME, MARKER_NAME,
                                 UPLOADS_NAME, FEEDS_NAME, REBUILD_NAME, ASIDE_NAME))
"""Every name newsdesk writes into an index folder; a new derived file (another keyword engine) is added here."""

_FOLDERS = (UPLOADS_NAME, FEEDS_NAME, REBUILD_NAME, ASIDE_NAME, KEYWORDS_NAME)
LOCK_WAIT_STEP = 0.2  # seconds between tries of a waiting writer


def check_folder(path: Path, *, rebuild: bool = False) -> None:
    """Refuse (`IndexRefused`) a folder newsdesk must not write an index into.

    A regular file, a known name of the wrong type (a `manifest.json` folder), a
    non-empty folder that is not an index yet, and, for a rebuild, any file
    newsdesk did not write. The message names the first offending entry.
    """
    if path.exists() and not path.is_dir():
        raise IndexRefused(f"--index {path} is a file, not a folder", "give a folder for the index (new or existing)")
    if not path.is_dir():
        return
    owned = is_index(path)
    for entry in sorted(os.scandir(path), key=lambda e: e.name):
        if entry.name in OWN_NAMES:
            is_dir = entry.is_dir(follow_symlinks=False)
            if entry.is_symlink() or is_dir != (entry.name in _FOLDERS):
                want = "a folder" if entry.name in _FOLDERS else "a file"
                raise IndexRefused(f"{Path(entry.path)} is not {want} as newsdesk writes it",
                                   f"move it out of the index folder {path}, then run the command again")
        elif not owned or rebuild:
            why = ("a rebuild replaces the index's files" if owned else
                   "newsdesk creates an index only in a new or empty folder")
            raise IndexRefused(f"{path} holds {entry.name}, which newsdesk did not write ({why})",
                               "give --index a folder of its own (e.g. data/index), or move that file out")


def is_index(path: Path) -> bool:
    """Whether `path` was made an index by newsdesk (its marker, or a store from before markers existed)."""
    return (path / MARKER_NAME).is_file() or (path / DB_NAME).is_file()


def claim(path: Path) -> None:
    """Mark `path` as an index folder (once): later checks trust the folder's own files only."""
    marker = path / MARKER_NAME
    if not marker.exists():
        stamp = {"by": "newsdesk", "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        marker.write_text(json.dumps(stamp) + "\n", "utf-8")


def check_overlap(index: Path, paths: Iterable[Path]) -> None:
    """Refuse article paths that are the index folder, lie inside it (but for its uploads and feeds) or contain it."""
    home = index.resolve()
    own = (home / UPLOADS_NAME, home / FEEDS_NAME)
    for given in paths:
        real = Path(given).resolve()
        if real == home or home.is_relative_to(real):
            where = "is the folder of articles" if real == home else f"is inside the articles ({given})"
            raise IndexRefused(f"the index folder {index} {where} being ingested, so the index would read its own "
                               "files and a rebuild would touch the articles",
                               f"put the index outside {given}, e.g. --index data/index")
        if real.is_relative_to(home) and not any(real.is_relative_to(folder) for folder in own):
            raise IndexRefused(f"{given} is inside the index folder {index}; only its {UPLOADS_NAME}/ holds articles",
                               "ingest the article folder itself, not the index")


def swap_in(target: Path, fresh: Path) -> None:
    """Replace the index files of `target` with those of the complete index `fresh` (inside it).

    Only `SWAPPED` names move; the old ones go to `target/.old` and are deleted last,
    so `uploads/`, the lock and the marker stay where they are.
    """
    aside = target / ASIDE_NAME
    shutil.rmtree(aside, ignore_errors=True)
    aside.mkdir()
    for name in SWAPPED:
        if (target / name).exists():
            os.replace(target / name, aside / name)
    for name in SWAPPED:
        if (fresh / name).exists():
            os.replace(fresh / name, target / name)
    shutil.rmtree(aside)
    shutil.rmtree(fresh)


def finish_interrupted_swap(target: Path) -> None:
    """Complete a rebuild whose swap was cut short (old files moved aside, new ones not all in place)."""
    fresh = target / REBUILD_NAME
    if (fresh / MANIFEST_NAME).is_file() and (target / ASIDE_NAME).is_dir():
        swap_in(target, fresh)


@contextmanager
def write_lock(path: Path, wait: float = 0.0) -> Iterator[None]:
    """Exclusive right to write the index folder `path`.

    With `wait` 0 a second writer fails at once, clearly; with a positive `wait` it
    tries again every LOCK_WAIT_STEP seconds for that many seconds (uploads queue
    this way behind a running ingest), then fails with `IndexBusy`.
    """
    try:
        path.mkdir(parents=True, exist_ok=True)
        fh = open(path / LOCK_NAME, "a+")
    except OSError as exc:
        raise os_error(path, exc) from exc
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() < deadline:
                    time.sleep(LOCK_WAIT_STEP)
                    continue
                fh.seek(0)
                holder = fh.read().strip() or "another process"
                waited = f" (waited {wait:.0f} s)" if wait else ""
                raise IndexBusy(f"index at {path} is being written by {holder}{waited}",
                                "wait for that ingest to finish, or use another --index") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"newsdesk pid {os.getpid()}")
        fh.flush()
        yield
    finally:
        fh.close()


def os_error(path: Path, exc: OSError) -> IndexUnwritable | OSError:
    """The honest error for an `OSError` met while writing the index at `path` (the exception itself if unknown)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return disk_full(path, exc.strerror)
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return read_only(path, exc.strerror)
    return exc


def disk_full(path: Path, cause: object) -> IndexUnwritable:
    return IndexUnwritable(f"the disk holding the index at {path} is full ({cause}); the index is intact",
                           "free some space, then run the command again")


def read_only(path: Path, cause: object) -> IndexUnwritable:
    return IndexUnwritable(f"the index at {path} cannot be written ({cause}); the index is intact",
                           "give this user write permission on the folder, or use another --index")


def storage_error(path: Path, exc: BaseException) -> NewsdeskError | BaseException:
    """What a database or file error met on the index at `path` really is: locked, read-only, full, or damaged.

    Only SQLite's own damage reports (and unknown database errors) say "damaged,
    rebuild it"; an OSError it cannot name is returned unchanged.
    """
    if isinstance(exc, OSError):
        return os_error(path, exc)
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return IndexBusy(f"the index database {path / DB_NAME} is locked by another process ({exc})",
                         "wait for that process to finish, then run the command again")
    if "readonly" in text or "read-only" in text or "unable to open" in text or "permission" in text:
        return read_only(path, exc)
    if "full" in text:
        return disk_full(path, exc)
    return corrupt_store(path, exc)


def corrupt_store(path: Path, cause: object) -> IndexCorrupt:
    """The error for a damaged `newsdesk.sqlite` (also used by the CLI for damage found mid-query)."""
    return IndexCorrupt(f"the index database {path / DB_NAME} is damaged ({cause})",
                        f"rebuild it from the articles: `newsdesk ingest FOLDER --index {path} --rebuild`")
