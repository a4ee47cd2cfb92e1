"""Finding the article files under the paths a user names.

A folder is walked recursively in sorted order. Hidden files and folders
(`.git`, `.DS_Store`) and files of unsupported types are skipped. A symlink is
followed only when it resolves inside the folder being walked and does not lead
back into a folder already walked; any other link is skipped (and named in the
caller's `skipped` list, when it passes one), so a link to `/` or a loop can
neither escape the corpus nor hang the walk. The
same file reached twice (directly and through a link) is listed once. A name
that is not UTF-8 or holds a control character (a newline), a file named directly
that is a pipe or a device, and a sub-folder that cannot be read are skipped and
reported, one each; the walk goes on. This module must not open files: reading
them is `parse_file`'s job.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from index.errors import ParseError


def discover(paths: Iterable[Path], suffixes: frozenset[str],
             skipped: list[ParseError] | None = None) -> list[tuple[Path, Path]]:
    """(root, file) pairs, sorted, for every supported file under `paths`.

    The root of a file found in a folder is that folder; a file named directly
    has its parent as root. Raises `ParseError` for a path that does not exist
    and for a file named directly whose type cannot be parsed. Symlinks that
    were not followed are appended to `skipped`, one `ParseError` each, naming
    the link and why.
    """
    pairs: dict[Path, tuple[Path, Path]] = {}
    skipped = skipped if skipped is not None else []
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise ParseError(shown(path), "does not exist", "check the path")
        if bad_name(os.fspath(path.resolve())):
            skipped.append(ParseError(shown(path), "is on a path that is not UTF-8 text or holds a control "
                                      "character; skipped", "rename the folders on its path"))
            continue
        if path.is_dir():
            found = _walk(path, suffixes, skipped)
        elif path.suffix.lower() not in suffixes:
            raise ParseError(shown(path), f"has an unsupported file type '{path.suffix}'",
                             f"use one of {', '.join(sorted(suffixes))}")
        elif not path.is_file():
            skipped.append(ParseError(shown(path), "is not a regular file (a pipe, socket or device); skipped",
                                      "name only article files"))
            found = []
        elif bad_name(path.name):
            skipped.append(_name_error(path, path.parent))
            found = []
        else:
            found = [(path.parent, path)]
        for root, file in found:
            pairs.setdefault(file.resolve(), (root, file))
    return sorted(pairs.values())


def _walk(root: Path, suffixes: frozenset[str], skipped: list[ParseError]) -> list[tuple[Path, Path]]:
    """Supported files under `root`; real folders are walked before linked ones, so a
    file reachable both ways is listed under its real path first."""
    real_root = root.resolve()
    seen: set[Path] = set()
    found: list[tuple[bool, Path]] = []
    real_dirs, linked_dirs = [root], []
    while real_dirs or linked_dirs:
        via_link = not real_dirs
        folder = real_dirs.pop() if real_dirs else linked_dirs.pop()
        if folder.resolve() in seen:
            if via_link and folder.resolve() in _ancestors(folder, root):
                skipped.append(_link_error(folder, root, "is a symbolic link back into a folder that contains it (a loop)"))
            continue  # a second way into a folder already walked: this is what stops loops
        seen.add(folder.resolve())
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError as exc:
            skipped.append(ParseError(_relative(folder, root), f"is a folder that cannot be read ({exc.strerror}); "
                                      "its files were not read and their articles are kept",
                                      "make the folder readable, or move it out"))
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            if bad_name(entry.name):
                if path.suffix.lower() in suffixes or _is_dir(path):
                    skipped.append(_name_error(path, root))
                continue
            is_link = entry.is_symlink()
            target, why = _inside(path, real_root) if is_link else (path, "")
            if target is None:
                if path.suffix.lower() in suffixes or not path.suffix or _is_dir(path):  # not a .pdf and such
                    skipped.append(_link_error(path, root, why))
                continue
            if target.is_dir():
                (linked_dirs if is_link or via_link else real_dirs).append(path)
            elif target.is_file() and path.suffix.lower() in suffixes:
                found.append((is_link or via_link, path))
    return [(root, path) for _, path in sorted(found)]


def _inside(link: Path, real_root: Path) -> tuple[Path | None, str]:
    """Where a symlink leads, or None and why not when it dangles, loops or leaves the root."""
    try:
        target = link.resolve(strict=True)
    except RuntimeError:  # a symlink loop, on Python 3.11
        return None, "is a symbolic link that loops"
    except OSError as exc:
        looping = getattr(exc, "errno", None) == 40  # ELOOP, on newer Pythons
        return None, "is a symbolic link that loops" if looping else "is a symbolic link to nothing (it dangles)"
    if target.is_relative_to(real_root):
        return target, ""
    return None, "is a symbolic link to a place outside the folder being ingested"


def _ancestors(folder: Path, root: Path) -> set[Path]:
    """The real folders from `root` down to the one holding `folder` (a link to one of them is a loop)."""
    out, real_root = set(), root.resolve()
    for parent in folder.parents:
        out.add(parent.resolve())
        if parent == root or parent.resolve() == real_root:
            break
    return out


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def _link_error(path: Path, root: Path, why: str) -> ParseError:
    return ParseError(_relative(path, root), f"{why}; not followed", "replace the link with the file itself, or remove it")


def bad_name(name: str) -> bool:
    """A name that is not UTF-8 (its bytes arrive as surrogates) or holds control characters such as a newline.

    Such a name cannot be stored, printed on one line, or shown to a web user as it is.
    """
    return any(ch < " " or ch == "\x7f" or "\ud800" <= ch <= "\udfff" for ch in name)


def shown(path: Path) -> str:
    """`path` printable on one line: undecodable bytes as \\xNN, control characters escaped."""
    text = os.fsencode(path).decode("utf-8", "backslashreplace")
    return text if not bad_name(text) else repr(text)[1:-1]


def _name_error(path: Path, root: Path) -> ParseError:
    return ParseError(_relative(path, root), "has a name that is not UTF-8 text or holds a control character; skipped",
                      "rename it (letters, digits, spaces and punctuation only)")


def _relative(path: Path, root: Path) -> str:
    try:
        return shown(path.relative_to(root))
    except ValueError:
        return shown(path)
