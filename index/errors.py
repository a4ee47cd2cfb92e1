"""Domain errors: every one names the bad value and says how to fix it.

The CLI and the web UI show ``str(error)`` to the user as one line, so messages
must be complete sentences that need no traceback to be understood.
"""
from __future__ import annotations


class NewsdeskError(Exception):
    """Base class of every error a user can cause and fix."""

    def __init__(self, problem: str, fix: str = "") -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem}: {fix}" if fix else problem)

    def __reduce__(self):
        # Rebuilt without calling __init__: subclasses take other arguments, and parse errors
        # travel back from worker processes (index.ingest.parallel, index.ingest.ray_ingest) by pickle.
        return _rebuilt, (type(self), self.args, self.__dict__)


def _rebuilt(cls: type, args: tuple, state: dict) -> "NewsdeskError":
    error = Exception.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class ParseError(NewsdeskError):
    """A file could not be read as an article; the rest of an ingest goes on."""

    def __init__(self, path: str, problem: str, fix: str = "", line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {problem}", fix)


class IndexMissing(NewsdeskError):
    """No index exists where one was asked for."""


class IndexMismatch(NewsdeskError):
    """The index on disk was built with another model, dimension or format."""


class IndexCorrupt(NewsdeskError):
    """A file of the index is damaged or inconsistent with the manifest."""


class IndexBusy(NewsdeskError):
    """Another process is writing to the same index."""


class ConfigError(NewsdeskError):
    """A config file or value is wrong."""


class QueryError(NewsdeskError):
    """A question or search option is unusable (empty, too long, bad filter)."""


class IndexRefused(NewsdeskError):
    """A folder cannot serve as an index as asked: it holds other files, is a file, or overlaps the articles."""


class BackendUnavailable(NewsdeskError):
    """The configured storage backend (a Milvus server) cannot be reached, or refused a call."""


class IndexUnwritable(NewsdeskError):
    """The index is intact but cannot be written now: no permission, a read-only disk, or a full disk."""
