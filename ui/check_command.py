"""The logic of `newsdesk check "CLAIM"`: fact-check one sentence against the indexed articles.

Retrieves passages for the claim with the same filters as `ask`, checks it (`qa.check`), and returns
the lines to print: the verdict and its reason, each quote with its [n], then the citations with
their urls; with `--json`, one JSON object. `ui/cli.py` declares the flags, makes the printed text
terminal-safe and prints; this module prints nothing and never writes the index.
"""
from __future__ import annotations

import json

from index.document import Filters
from qa.check.search import FactCheck, check_in_index
from qa.config import Config

_SAYS = {"supported": "Supported", "contradicted": "Contradicted", "unsupported": "Not settled by the articles"}


def check_lines(claim: str, config: Config, filters: Filters | None, k: int | None, as_json: bool) -> list[str]:
    """What `newsdesk check` prints for `claim` (one JSON line with `as_json`)."""
    from qa.retrieve.retriever import Retriever, validate_question

    claim = validate_question(claim)  # before the slow model load
    retriever = Retriever.open(config.index_dir, config)
    result = check_in_index(claim, retriever, filters, k if k is not None else config.top_k)
    if as_json:
        return [json.dumps(result.to_dict(), ensure_ascii=False)]
    return result_lines(result)


def result_lines(result: FactCheck) -> list[str]:
    """A check as lines for a person: the verdict and its reason, the quotes with their [n], the citations."""
    data = result.to_dict()
    lines = [f"{_SAYS[data['verdict']]}: {data['reason']}"]
    if not result.hits:
        lines.append("No passages found (is the index empty, or the filter too narrow?).")
    for q in data["quotes"]:
        lines.append(f'  [{q["n"]}] "{" ".join(q["text"].split())}"')
    for c in data["citations"]:
        lines.append(f"[{c['n']}] {c['label']}")
    return lines
