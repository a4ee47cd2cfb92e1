"""Reading golden files: the questions an evaluation asks and the articles that answer them.

A golden file is JSON lines (one question object a line, `.jsonl`/`.json`) or a
YAML list of question mappings (`.yaml`/`.yml`). Each question has an `id`, the
`question` text and `evidence`: the ids of the documents that hold the answer
(their urls, or for url-less files their path relative to the ingested folder).
`answer` and `type` are optional; any other field is ignored, so the MultiHop-RAG
files load as they are. Evidence urls are put in the canonical form ingest gives
document ids (tracking `utm_*` parameters and `#fragment` dropped), so an id
copied from a feed still names its stored document. Evidence names documents, not chunks, so re-chunking an
index never invalidates a golden file. This module never searches anything.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from index.errors import NewsdeskError, QueryError
from index.parse.fields import canonical_url
from qa.retrieve.retriever import validate_question


class GoldenError(NewsdeskError):
    """A golden file is missing or malformed; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class GoldenQuestion:
    """One evaluation question. Empty `evidence` marks a question the index should not answer."""

    id: str
    question: str
    evidence: tuple[str, ...] = ()
    answer: str | None = None
    type: str | None = None


def load_golden(path: str | Path) -> list[GoldenQuestion]:
    """The questions of a `.jsonl` or `.yaml` golden file, in file order; GoldenError when unusable."""
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise GoldenError(f"golden file {path} does not exist", "check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise GoldenError(f"golden file {path} cannot be read ({reason})", "give a JSON lines or YAML file") from None
    rows = _yaml_rows(path, text) if path.suffix.lower() in (".yaml", ".yml") else _jsonl_rows(path, text)
    questions: list[GoldenQuestion] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        q = _question(path, line, row)
        if q.id in seen:
            raise GoldenError(f"{path}:{line}: question id {q.id!r} repeats the one on line {seen[q.id]}",
                              "give every question its own id")
        seen[q.id] = line
        questions.append(q)
    if not questions:
        raise GoldenError(f"golden file {path} holds no questions", "add one question per line (id, question, evidence)")
    return questions


def _jsonl_rows(path: Path, text: str) -> list[tuple[int, object]]:
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append((n, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise GoldenError(f"{path}:{n}: not valid JSON ({exc.msg}, column {exc.colno})",
                              "write one JSON object per line") from None
    return rows


def _yaml_rows(path: Path, text: str) -> list[tuple[int, object]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise GoldenError(f"{where}: not valid YAML", "fix the syntax (a list of `- id: ...` mappings)") from None
    if data is None:
        return []
    if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
        raise GoldenError(f"{path}:1: a YAML golden file must be a list of questions, got {type(data).__name__}",
                          "start each question with `- id: ...`")
    return [(item.start_mark.line + 1, row) for item, row in zip(node.value, data)]


def _question(path: Path, line: int, row: object) -> GoldenQuestion:
    where = f"{path}:{line}"
    if not isinstance(row, dict):
        raise GoldenError(f"{where}: a question must be a mapping, got {type(row).__name__}",
                          "give id, question and evidence fields")
    missing = [key for key in ("id", "question") if row.get(key) in (None, "")]
    if missing:
        raise GoldenError(f"{where}: the question has no {' or '.join(missing)}", "give id, question and evidence fields")
    question = row["question"]
    if not isinstance(question, str) or not question.strip():
        raise GoldenError(f"{where}: question must be non-empty text, got {question!r}", "quote the question")
    try:
        validate_question(question)  # what a search would refuse, refused here with the file, line and id
    except QueryError as exc:
        raise GoldenError(f"{where}: question {str(row['id'])[:80]!r}: {exc.problem}", exc.fix) from None
    evidence = row.get("evidence") or []
    if isinstance(evidence, str):
        evidence = [evidence]
    if not isinstance(evidence, list) or not all(isinstance(e, str) and e.strip() for e in evidence):
        raise GoldenError(f"{where}: evidence must be a list of document ids (urls or relative paths), got {evidence!r}",
                          'write e.g. "evidence": ["https://example.com/article"]')
    answer, kind = row.get("answer"), row.get("type")
    return GoldenQuestion(str(row["id"]), question.strip(), tuple(dict.fromkeys(canonical_url(e) for e in evidence)),
                          None if answer is None else str(answer), None if kind in (None, "") else str(kind))
