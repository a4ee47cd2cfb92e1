"""Files a user uploads (the web chat's "Add articles"): checked, placed under INDEX/uploads/, ingested.

An upload only adds. A copy is stored under its safe name in `uploads/` (so it survives
a restart and keeps a stable id); a name already taken gets a number, never an
overwrite (the name is claimed with an exclusive create, so two servers never share one),
and the same bytes uploaded again reuse their earlier copy (the ingest finds them unchanged). The copies are ingested under the upload rule (`IngestRun(uploads=True)`:
a document indexed from another source is never replaced, it is named in
`IngestReport.refused`), queued behind any other writer for up to UPLOAD_WAIT_S. A copy
the index holds no record of afterwards (refused, unreadable) is removed again, so
`uploads/` holds only indexed or unfinished files; an upload a crash cut short (a file
whose bytes the store has not recorded) is finished by `upload` called with no files (a
server's start). Each upload ingests only its own files, so its report describes them alone.
This module must not know about the web page (ui/desk.py says what happened in words).
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Sequence

from index.embed import Encoder
from index.errors import IndexMissing, NewsdeskError
from index.ingest.pipeline import IngestReport, IngestRun, ingest
from index.ingest.writer import ProgressFn
from index.parse import SUPPORTED_SUFFIXES
from index.parse.source import file_sha256
from index.settings import IndexSettings
from index.storage.folder import UPLOADS_NAME, os_error
from index.storage.layout import IndexDir

MAX_UPLOAD_FILES = 20
MAX_UPLOAD_BYTES = 5_000_000  # per file: a long article is ~100 KB; a JSONL batch of hundreds fits
UPLOAD_WAIT_S = 120.0  # an upload queues this long behind another writer (a CLI ingest) before it gives up


class UploadRejected(NewsdeskError):
    """An uploaded file is of a type, size or number newsdesk does not take."""


def upload(files: Sequence[Path], index_dir: Path, encoder: Encoder, settings: IndexSettings = IndexSettings(),
           progress: ProgressFn | None = None) -> IngestReport | None:
    """Place `files` (checked by `check_uploads`) under `index_dir/uploads/` and ingest them; with no files,
    ingest the uploads a crash left unfinished. None when there was nothing to ingest."""
    index_dir = Path(index_dir)
    folder = index_dir / UPLOADS_NAME
    copies: list[Path] = []
    try:
        if files:
            folder.mkdir(exist_ok=True)
        for file in files:
            copies.append(_place(file, folder))
    except OSError as exc:  # a full disk or a read-only index, said as such
        remove_unindexed(copies, index_dir, encoder.model_id)
        raise os_error(index_dir, exc) from exc
    # An upload ingests its own files only: a file another server placed and is about to ingest is that
    # upload's, and its report must say what became of it. Unfinished files are finished by a resume.
    todo = list(dict.fromkeys(copies)) if files else unfinished(index_dir, encoder.model_id)
    if not todo:
        return None
    try:
        return ingest(todo, index_dir, encoder, settings, IngestRun(uploads=True, wait=UPLOAD_WAIT_S, progress=progress))
    finally:
        remove_unindexed(todo, index_dir, encoder.model_id)


def unfinished(index_dir: Path, model_id: str | None = None) -> list[Path]:
    """Files in `uploads/` whose current bytes the index has not recorded (an interrupted upload)."""
    folder = index_dir / UPLOADS_NAME
    if not folder.is_dir():
        return []
    known = recorded_files(index_dir, model_id)
    return [file for file in sorted(folder.iterdir())
            if file.is_file() and file.suffix.lower() in SUPPORTED_SUFFIXES
            and known.get(str(file.resolve())) != file_sha256(file)]


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


def _place(file: Path, folder: Path) -> Path:
    """Copy an upload into `folder` under its safe name; a taken name gets a number, never an overwrite.

    The same bytes uploaded again reuse their earlier copy (the ingest finds them unchanged).
    """
    name = Path(safe_name(file.name))
    digest = file_sha256(file)
    for n in range(1, 10_000):
        copy = folder / (name.name if n == 1 else f"{name.stem}-{n}{name.suffix}")
        try:
            target = open(copy, "xb")  # created here or not at all: two servers never write one name
        except FileExistsError:
            if copy.is_file() and file_sha256(copy) == digest:
                return copy
            continue
        try:
            with target, open(file, "rb") as source:
                shutil.copyfileobj(source, target)
        except OSError:
            copy.unlink(missing_ok=True)  # never leave half a file to be taken for an unfinished upload
            raise
        return copy
    raise UploadRejected(f"too many uploads are named {name.name}", "rename the file and upload it again")


def remove_unindexed(copies: list[Path], index_dir: Path, model_id: str) -> None:
    """Delete the copies the index holds no record of: reported to the user, so not kept half-added
    (uploads, and the item files of followed feeds, `index.follow`)."""
    known = recorded_files(index_dir, model_id)
    for copy in copies:
        if str(copy.resolve()) not in known:
            copy.unlink(missing_ok=True)


def recorded_files(index_dir: Path, model_id: str | None) -> dict[str, str]:
    """The files the index has recorded, with their sha256 ({} before its first ingest)."""
    try:
        index = IndexDir.open(index_dir, model_id)
    except IndexMissing:
        return {}
    try:
        return index.store.file_hashes()
    finally:
        index.close()
