"""The README's pasted outputs come from a run of the current code: its marked blocks are run and compared.

Marker convention: an HTML comment on the line right above a fenced block. Unmarked blocks are never run,
so a section may show commands without outputs (`make run`) or sketches (the pytest helpers) freely.

    <!-- check: console -->  a ```text block of `$ newsdesk ...` lines, each followed by what it prints
    <!-- check: python -->   a ```python block: it must run without error
    <!-- check: output -->   the block right after a checked python block: what that snippet prints

Every checked block runs in README order, in one scratch folder holding a copy of `seeds/`, with the real
bundled model, so a snippet may use the index an earlier one built (`data/index`); `/tmp/readme-index`
in a console block stands for a fresh folder. Comparing an output, line by line:

- `…` stands for any text on that line (a long passage cut short in the README);
- a duration (`16.3 s`) matches any duration, and a float written with 5 or more decimals matches
  within 1e-4 (the last digits of a float depend on the CPU's maths library);
- tqdm progress lines in the README are not compared (they go to stderr, which is not compared);
- everything else, every score and count included, must be as printed.

Adding a section with checked blocks needs no change here.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEEDS

README = ROOT / "README.md"
TIMEOUT_S = 300  # per command or snippet: a model load plus a small ingest takes ~20 s on 2 busy cores
SCRATCH_INDEX = "/tmp/readme-index"
_BLOCK = re.compile(r"^<!-- check: (?P<kind>console|python|output) -->\n```(?P<lang>[\w-]*)\n(?P<body>.*?)^```$",
                    re.MULTILINE | re.DOTALL)
_PROGRESS = re.compile(r"^\S.*: +\d+%\|.*\|")
_DURATION = re.compile(r"\d+(?:\.\d+)? s\b")
_LONG_FLOAT = re.compile(r"-?\d+\.\d{5,}")


@dataclass(frozen=True)
class Check:
    kind: str  # "console" or "python"
    body: str
    expected: str | None  # a python snippet's output block, if any
    line: int  # where the block starts in the README, for the failure message

    @property
    def name(self) -> str:
        return f"{self.kind}@README.md:{self.line}"


def checks(text: str) -> list[Check]:
    """The checked blocks of `text`, each python block paired with the output block right after it."""
    found, blocks = [], list(_BLOCK.finditer(text))
    for i, m in enumerate(blocks):
        line = text.count("\n", 0, m.start()) + 1
        if m["kind"] == "output":
            prev = blocks[i - 1] if i else None
            assert prev is not None and prev["kind"] == "python" and not text[prev.end():m.start()].strip("`\n "), \
                f"README.md:{line}: an output block must follow a checked python block directly"
            continue
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        expected = (nxt["body"] if m["kind"] == "python" and nxt is not None and nxt["kind"] == "output"
                    and not text[m.end():nxt.start()].strip("`\n ") else None)
        found.append(Check(m["kind"], m["body"], expected, line))
    return found


def matches(expected: str, actual: str) -> str | None:
    """None when `actual` output agrees with the README's `expected` (rules in the module docstring),
    else what differs."""
    want = [line for line in expected.rstrip("\n").split("\n") if not _PROGRESS.match(line)]
    got = actual.rstrip("\n").split("\n") if actual.strip() else []
    if len(want) != len(got):
        return f"{len(got)} lines printed, the README shows {len(want)}:\n" + "\n".join(got)
    for n, (w, g) in enumerate(zip(want, got), start=1):
        if not _line_matches(w, g):
            return f"line {n} differs:\n  README:  {w}\n  printed: {g}"
    return None


def _line_matches(want: str, got: str) -> bool:
    floats = [float(f) for f in _LONG_FLOAT.findall(want)]
    pattern, pos = "", 0
    for m in re.finditer(rf"…|{_DURATION.pattern}|{_LONG_FLOAT.pattern}", want):
        pattern += re.escape(want[pos:m.start()])
        pattern += ".*" if m.group() == "…" else (r"\d+(?:\.\d+)? s" if m.group().endswith("s")
                                                  else r"(-?\d+(?:\.\d+)?(?:e-?\d+)?)")
        pos = m.end()
    found = re.fullmatch(pattern + re.escape(want[pos:]), got)
    if not found:
        return False
    values = [float(v) for v in found.groups()]
    return all(abs(a - b) <= 1e-4 for a, b in zip(floats, values))


def test_the_readme_marks_its_pasted_outputs():
    kinds = [c.kind for c in checks(README.read_text(encoding="utf-8"))]
    assert kinds.count("console") >= 1 and kinds.count("python") >= 3
    assert all(c.expected is not None for c in checks(README.read_text(encoding="utf-8")) if c.kind == "python")


def test_the_matcher_follows_the_documented_rules():
    assert matches("a; 16.3 s\nscore 0.38965088", "a; 0.9 s\nscore 0.38965001") is None
    assert matches("[1] 0.714  x", "[1] 1.000  x") is not None  # a figure shown with 3 decimals must match
    assert matches("text …", "text and then anything") is None
    assert matches("embedding: 100%|███| 14/14 [00:00<00:00, 5.2chunk/s]\nok", "ok") is None
    assert matches("one\ntwo", "one") is not None


def test_checked_blocks_are_found_with_their_outputs():
    text = ("<!-- check: python -->\n```python\nprint(1)\n```\n\n<!-- check: output -->\n```text\n1\n```\n"
            "```python\nnot checked\n```\n<!-- check: console -->\n```text\n$ newsdesk --help\n```\n")
    found = checks(text)
    assert [(c.kind, c.body, c.expected) for c in found] == [("python", "print(1)\n", "1\n"),
                                                             ("console", "$ newsdesk --help\n", None)]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("readme")
    shutil.copytree(SEEDS, work / "seeds")
    return work


def _run(argv: list[str], cwd: Path) -> str:
    env = dict(os.environ, PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert done.returncode == 0, f"{shlex.join(argv)} failed ({done.returncode}):\n{done.stderr[-3000:]}"
    return done.stdout


def _console(check: Check, work: Path) -> None:
    index = work / "readme-index"
    shutil.rmtree(index, ignore_errors=True)
    body = check.body.replace(SCRATCH_INDEX, str(index))
    steps = re.split(r"^\$ ", body, flags=re.MULTILINE)
    assert not steps[0].strip(), f"{check.name}: a console block starts with a `$ ` command"
    for step in steps[1:]:
        command, _, expected = step.partition("\n")
        words = shlex.split(command)
        assert words[0] == "newsdesk", f"{check.name}: only newsdesk commands are run, not {words[0]!r}"
        printed = _run([sys.executable, "-m", "ui.cli", *words[1:]], work)
        problem = matches(expected, printed)
        assert problem is None, f"{check.name}: `{command}`: {problem}"


@pytest.mark.model
@pytest.mark.parametrize("check", checks(README.read_text(encoding="utf-8")), ids=lambda c: c.name)
def test_readme_block_prints_what_the_readme_shows(check, scratch):
    if check.kind == "console":
        _console(check, scratch)
        return
    snippet = scratch / f"snippet_{check.line}.py"
    snippet.write_text(check.body, encoding="utf-8")
    printed = _run([sys.executable, str(snippet)], scratch)
    if check.expected is not None:
        problem = matches(check.expected, printed)
        assert problem is None, f"{check.name}: {problem}"
