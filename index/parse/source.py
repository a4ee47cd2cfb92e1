"""Reading one file into text, safely: size caps, binary detection, decoding.

Every format parser starts from a `Source`: the decoded text plus the path as
the user should see it (relative to the ingested folder) and a list that
collects per-record problems. This module must not interpret the text; it only
decides whether the bytes are readable text and how to decode them, and it never
reads more than the cap into memory.
"""
from __future__ import annotations

import codecs
import hashlib
import os
import stat
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Iterator

from index.document import local_id
from index.errors import ParseError

MAX_FILE_BYTES = 2 * 1024 * 1024
"""Largest non-JSONL file read: a single article is far smaller, so more is a mistake."""

MAX_JSONL_BYTES = 20 * 1024 * 1024
"""Largest JSONL file read: a dump of many articles; bigger dumps should be split."""

_TEXT_CONTROLS = set("\t\n\r\f\v")


class ParseNote(ParseError):
    """Something was read but may be off (a date dropped, a legacy encoding); the records were kept."""


@dataclass(slots=True)
class Source:
    """A decoded file plus the place where its per-record problems are collected."""

    path: Path
    rel: str
    text: str
    id_base: str = ""  # the id of url-less documents of this file (see `index.document.local_id`)
    problems: list[ParseError] = field(default_factory=list)
    notes: list[ParseNote] = field(default_factory=list)  # non-fatal: reported after the problems

    def error(self, problem: str, fix: str = "", line: int | None = None) -> ParseError:
        """A `ParseError` naming this file (relative path), for raising or collecting."""
        return ParseError(self.rel, problem, fix, line=line)

    def note(self, problem: str, fix: str = "", line: int | None = None) -> None:
        """Record a `ParseNote`: the file was read, but the user may want to check this."""
        self.notes.append(ParseNote(self.rel, problem, fix, line=line))


def relative_name(path: Path, root: Path) -> str:
    """`path` relative to `root` in posix form; the full path when it lies outside root."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def cap_for(suffix: str) -> int:
    """The byte cap for a file with this suffix (JSONL dumps get the larger one)."""
    return MAX_JSONL_BYTES if suffix.lower() == ".jsonl" else MAX_FILE_BYTES


def read_source(path: Path, root: Path, cap: int) -> Source:
    """Read and decode `path`; raise `ParseError` for empty, oversized, binary or undecodable files.

    A file starting with a UTF-16 byte-order mark is read as UTF-16; any other is
    read as UTF-8 (with or without a byte-order mark), then as Windows-1252 as a
    last resort for old Western files, a fallback reported as a note, never silent.
    """
    rel = relative_name(path, root)
    data = _read_capped(path, rel, cap)
    if not data:
        raise ParseError(rel, "file is empty", "remove it or add article text")
    source = Source(path=path, rel=rel, text="", id_base=local_id(rel, path))
    source.text = _decode(data, source)
    if not source.text.strip():
        raise source.error("file is empty (it holds only whitespace)", "remove it or add article text")
    return source


def _read_capped(path: Path, rel: str, cap: int) -> bytes:
    try:
        data = read_regular(path, cap)
    except OSError as exc:
        raise ParseError(rel, f"cannot be read ({exc.strerror or exc})",
                         "check that the file exists and is readable") from exc
    except NotRegular as exc:
        raise ParseError(rel, str(exc), "name only article files, not pipes, devices or folders") from None
    except Oversized as exc:
        raise ParseError(rel, f"file is {_size(exc.size)}, over the {_size(cap)} limit for {_kind(path)} files",
                         "split it into smaller files or remove it from the folder") from None
    if len(data) > cap:
        raise ParseError(rel, f"file is over the {_size(cap)} limit for {_kind(path)} files",
                         "split it into smaller files or remove it from the folder")
    return data


class NotRegular(Exception):
    """The path is a FIFO, a device or a folder: reading it could block or never end."""


def read_regular(path: Path, cap: int) -> bytes:
    """The bytes of the regular file `path`; more than `cap` of them means it is over the cap.

    The file is opened without blocking and its type and size checked on the open
    handle, so a FIFO or a link to /dev/zero raises `NotRegular` instead of hanging
    or reading without end, and a file swapped for one after it was listed is caught
    too. A file already over the cap is not read (`Oversized`).
    """
    with _open_regular(path, cap) as handle:
        return handle.read(cap + 1)  # the file may have grown since fstat


def file_sha256(path: Path, cap: int | None = None) -> str:
    """The sha256 of the regular file `path`, read in 1 MiB blocks through the same checks as `read_regular`
    (`NotRegular`; with a `cap`, `Oversized`). Every file hash of an index is this one: the files an
    ingest compares, the vector file the manifest vouches for, and uploaded copies."""
    digest = hashlib.sha256()
    with _open_regular(path, cap) as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def _open_regular(path: Path, cap: int | None) -> Iterator[BinaryIO]:
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode, size = (info := os.fstat(fd)).st_mode, info.st_size
        if not stat.S_ISREG(mode):
            raise NotRegular(f"is not a regular file (it is {_file_type(mode)})")
        if cap is not None and size > cap:
            raise Oversized(size)
        os.set_blocking(fd, True)
        with os.fdopen(os.dup(fd), "rb") as handle:
            yield handle
    finally:
        os.close(fd)


class Oversized(Exception):
    """A regular file larger than the cap, found from its size alone."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


def _file_type(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return "not a plain file"


def _decode(data: bytes, source: Source) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise source.error(f"starts like UTF-16 text but byte {exc.start} is broken",
                               "re-save the file as UTF-8") from exc
    else:
        if b"\x00" in data:
            raise source.error("is a binary file (it contains NUL bytes), not text",
                               "remove it from the folder or convert it to UTF-8 text")
        text = _decode_8bit(data, source)
    if "\x00" in text:
        raise source.error("contains NUL characters, so it is not article text", "re-save the file as UTF-8 text")
    return text


def _decode_8bit(data: bytes, source: Source) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = exc.start
    line = data.count(b"\n", 0, bad) + 1
    where = f"byte 0x{data[bad]:02x} at offset {bad}"
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = ""
    if text and not any(ord(ch) < 32 and ch not in _TEXT_CONTROLS for ch in text):
        source.note(f"is not valid UTF-8 ({where}); read it as Windows-1252 (Latin-1)",
                    "re-save the file as UTF-8 if accented letters look wrong", line=line)
        return text
    raise source.error(f"is not UTF-8 text ({where})", "re-save the file as UTF-8", line=line)


def _kind(path: Path) -> str:
    return path.suffix.lower() or "suffix-less"


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MiB" if n >= 1024 * 1024 else f"{n} bytes"
