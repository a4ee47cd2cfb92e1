"""Loading untrusted YAML: safe constructor only, guarded against bombs, scalars kept as written.

Two differences from a bare `yaml.safe_load_all`, both on purpose:

* Before anything is built, the event stream is scanned once (linear time) and a
  file with more than `MAX_ALIASES` aliases, more than `MAX_EXPANDED_NODES`
  values once aliases are expanded, or nesting deeper than `MAX_DEPTH` is
  rejected, so an alias bomb or a deeply nested file costs milliseconds.
* Plain scalars other than null stay strings exactly as written: under YAML 1.1
  `title: NO` would load as False and `date: 2024-02-21` as a date, losing the
  original spelling. Typed fields are converted later by `fields`.

The loader is PyYAML's SafeLoader (its C version when built) with only the
implicit resolvers narrowed, so no tag can construct an arbitrary object. This
module must not interpret records; it returns plain data and its start line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from index.parse.source import Source

MAX_ALIASES = 100
"""Aliases (`*name`) allowed per file; news records use none, bombs use many."""

MAX_DEPTH = 50
"""Nesting allowed; article records are about five levels deep."""

MAX_EXPANDED_NODES = 1_000_000
"""Values a file may hold with every alias written out; a 2 MiB file of plain records stays far below."""

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_KEPT_TAGS = {"tag:yaml.org,2002:null", "tag:yaml.org,2002:merge"}


class _TextLoader(_Base):  # type: ignore[misc, valid-type]
    """SafeLoader that resolves only null and merge keys implicitly; other plain scalars stay str."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag in _KEPT_TAGS]
        for first, resolvers in _Base.yaml_implicit_resolvers.items()
    }


class _PureTextLoader(yaml.SafeLoader):
    """The same loader in pure Python, for text with surrogate escapes (`"\\ud83d"`), which libyaml refuses
    outright; the parse stage then turns a lone surrogate into U+FFFD (see `index.parse._clean`)."""

    yaml_implicit_resolvers = _TextLoader.yaml_implicit_resolvers


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _loader(text: str) -> type:
    return _PureTextLoader if _SURROGATE_ESCAPE.search(text) else _TextLoader


@dataclass(frozen=True, slots=True)
class YamlDocument:
    """One `---` document of a stream and the 1-based line where it starts in the file."""

    data: object
    line: int


def load_documents(text: str, source: Source, first_line: int = 1) -> list[YamlDocument]:
    """Every document in `text`; raise `ParseError` naming the line of any YAML problem.

    `first_line` is the file line where `text` starts (front matter starts at 2),
    so reported lines always point into the file the user has open.
    """
    _check_shape(text, source, first_line)
    loader = _loader(text)(text)
    documents = []
    try:
        while loader.check_node():
            node = loader.get_node()
            documents.append(YamlDocument(loader.construct_document(node), node.start_mark.line + first_line))
    except yaml.MarkedYAMLError as exc:
        raise _marked_error(exc, source, first_line) from exc
    except (yaml.YAMLError, ValueError, TypeError) as exc:  # tags such as `!!int abc` fail outside the marks
        raise source.error(f"is not valid YAML ({_one_line(exc)})", "fix the YAML syntax") from exc
    except RecursionError as exc:
        raise source.error("YAML is nested too deeply to read", f"keep nesting under {MAX_DEPTH} levels") from exc
    finally:
        loader.dispose()
    return documents


def _check_shape(text: str, source: Source, first_line: int) -> None:
    """Reject bombs from the event stream alone: too many aliases, too deep, or too big once expanded.

    `expanded` counts the nodes the document would have with every alias written
    out; an anchor's size is measured when its node ends, so a billion-laughs file
    is stopped a few levels in, after reading a few hundred bytes.
    """
    aliases = expanded = 0
    sizes: dict[str, int] = {}
    open_nodes: list[tuple[str | None, int]] = []  # (anchor, `expanded` when the collection started)
    try:
        for event in yaml.parse(text, Loader=_loader(text)):
            line = event.start_mark.line + first_line
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                expanded += sizes.get(event.anchor, 1)
                if aliases > MAX_ALIASES or expanded > MAX_EXPANDED_NODES:
                    raise source.error(f"YAML uses too many aliases (*name) for an article (over {MAX_ALIASES} "
                                       f"aliases or {MAX_EXPANDED_NODES:,} values once expanded), "
                                       "which looks like an alias bomb",
                                       "write the values out instead of referencing anchors", line=line)
            elif isinstance(event, yaml.ScalarEvent):
                expanded += 1
                if event.anchor:
                    sizes[event.anchor] = 1
            elif isinstance(event, yaml.CollectionStartEvent):
                expanded += 1
                open_nodes.append((event.anchor, expanded))
                if len(open_nodes) > MAX_DEPTH:
                    raise source.error(f"YAML is nested more than {MAX_DEPTH} levels deep",
                                       "flatten the record; articles need only a few levels", line=line)
            elif isinstance(event, yaml.CollectionEndEvent):
                anchor, started = open_nodes.pop()
                if anchor:
                    sizes[anchor] = expanded - started + 1
    except yaml.MarkedYAMLError as exc:
        raise _marked_error(exc, source, first_line) from exc
    except yaml.YAMLError as exc:
        raise source.error(f"is not valid YAML ({_one_line(exc)})", "fix the YAML syntax") from exc


def _marked_error(exc: yaml.MarkedYAMLError, source: Source, first_line: int):
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + first_line if mark is not None else None
    problem = exc.problem
    if exc.context_mark is not None and problem and exc.context_mark.line + first_line != line:
        # An unclosed quote or bracket is found lines later; the line where it opened is the one to fix.
        problem = f"{problem} at line {line}"
        line = exc.context_mark.line + first_line
    what = " ".join(part for part in (exc.context, problem) if part) or "syntax error"
    if "nesting depth" in what:  # PyYAML >= 6.0.3 stops deep flow nesting itself, before our own check
        return source.error(f"YAML is nested more than {MAX_DEPTH} levels deep",
                            "flatten the record; articles need only a few levels", line=line)
    return source.error(f"is not valid YAML: {what}",
                        "fix the YAML syntax at that line (quote values that contain ': ' or '#')", line=line)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
