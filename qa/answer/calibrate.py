"""Calibrating when the extractive answerer abstains, on questions with known answerability.

    python -m qa.answer.calibrate --index /tmp/nd-dev-index --questions ../shared/eval/multihop-rag/questions.jsonl

Each question (a JSON line with `question` and `type`; type `null_query` marks
one the corpus cannot answer) is retrieved and scored like `ask` does; the best
sentence score is what `ExtractiveAnswerer` compares with its threshold. The
table shows, per threshold, the share of unanswerable questions abstained on
(higher is better) and of answerable ones wrongly refused (lower is better),
and the threshold with the widest gap between the two. Read-only: it never
changes the index or the configured threshold.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Sequence

from qa.retrieve.conversation import resolve
from qa.answer.extractive import THRESHOLD, ExtractiveAnswerer
from qa.retrieve.retriever import Retriever

NULL_TYPE = "null_query"


def best_scores(retriever: Retriever, questions: Sequence[str], k: int = 5) -> list[float]:
    """The confidence of the answerer on each question (progress on stderr)."""
    answerer = ExtractiveAnswerer(retriever.encoder, threshold=float("-inf"))
    scores = []
    for n, question in enumerate(questions, start=1):
        scores.append(answerer.select(resolve(question), retriever.search(question, k=k))[1])
        if n % 50 == 0:
            print(f"  {n} of {len(questions)}", file=sys.stderr, flush=True)
    return scores


def rates(null: Sequence[float], answerable: Sequence[float], threshold: float) -> tuple[float, float]:
    """(share of null questions abstained on, share of answerable ones abstained on) at `threshold`."""
    share = lambda xs: sum(x < threshold for x in xs) / max(1, len(xs))  # noqa: E731
    return share(null), share(answerable)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m qa.answer.calibrate", description=__doc__.split("\n\n")[0])
    p.add_argument("--index", required=True, metavar="DIR")
    p.add_argument("--questions", required=True, metavar="JSONL")
    p.add_argument("--answerable", type=int, default=400, help="answerable questions sampled (default 400)")
    p.add_argument("-k", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--save", metavar="JSON", help="also write every question's confidence here")
    args = p.parse_args(argv)
    rows = [json.loads(line) for line in Path(args.questions).read_text("utf-8").splitlines() if line.strip()]
    null = [r["question"] for r in rows if r.get("type") == NULL_TYPE]
    answerable = [r["question"] for r in rows if r.get("type") != NULL_TYPE]
    answerable = random.Random(args.seed).sample(answerable, min(args.answerable, len(answerable)))
    retriever = Retriever.open(args.index)
    t0 = time.perf_counter()
    null_scores = best_scores(retriever, null, args.k)
    answerable_scores = best_scores(retriever, answerable, args.k)
    seconds = time.perf_counter() - t0
    if args.save:
        Path(args.save).write_text(json.dumps({"null": dict(zip(null, null_scores)),
                                               "answerable": dict(zip(answerable, answerable_scores))}, indent=1))
    print(f"{len(null)} null and {len(answerable)} answerable questions, k={args.k}, "
          f"{seconds / (len(null) + len(answerable)):.2f} s per question\n")
    print("threshold  null abstained  answerable refused")
    grid = [round(0.15 + 0.01 * i, 2) for i in range(31)]
    for t in grid:
        n, a = rates(null_scores, answerable_scores, t)
        mark = "  <- current" if abs(t - THRESHOLD) < 1e-9 else ""
        print(f"{t:9.2f}  {n:14.1%}  {a:18.1%}{mark}")
    best = max(grid, key=lambda t: (lambda n, a: n - a)(*rates(null_scores, answerable_scores, t)))
    n, a = rates(null_scores, answerable_scores, best)
    print(f"\nwidest gap at {best:.2f}: abstains on {n:.1%} of null questions, refuses {a:.1%} of answerable ones")
    return 0


if __name__ == "__main__":
    sys.exit(main())
