"""The built-in answer's direct answer: how often the line a user reads first holds the gold answer.

    python -m bench.answers ../shared/eval/multihop-rag/questions.jsonl --index /work/devindex [--limit 300]
        [--entity-only] [--misses KIND] [--json]

Asks the same stratified slice as `newsdesk eval --answers --limit N` and prints its figures, then per
question kind (`qa.answer.lead.kind`: who, which, when, count, open) over the answerable questions whose
gold answer is not Yes or No: how many, the share whose whole answer contains the gold answer (what the
eval judges), the share that lead with a direct answer line, and the share whose direct answer line
holds the gold answer. The direct answer is the first paragraph of the form "phrase [n]" followed by
more text (the quotes). `--misses KIND` lists that kind's questions whose direct answer misses the gold
one. This module only reads the index.
"""
from __future__ import annotations

import argparse
import json
import re
import sys

from qa.answer.extractive import ExtractiveAnswerer
from qa.answer.lead import kind
from qa.answer.records import PARAGRAPH
from qa.config import load_config
from qa.evaluate.answers import evaluate_answers, judge_text, stratified
from qa.evaluate.golden import load_golden
from qa.retrieve.retriever import Retriever

_LEAD = re.compile(r"(?P<phrase>[^\n]{1,160}) \[\d+\]")


def direct_answer(text: str) -> str | None:
    """The answer's direct answer line ("OpenAI [1]"), or None when it opens with quotes."""
    parts = text.split(PARAGRAPH)
    for i, part in enumerate(parts[:-1]):
        if _LEAD.fullmatch(part) and len(part.split()) <= 14:
            return _LEAD.fullmatch(part).group("phrase")
        if re.search(r"\[\d+\]", part):
            return None  # quotes came first
    return None


def run(golden: str, index: str, limit: int = 300, k: int | None = None,
        entity_only: bool = False) -> tuple[dict, dict, list]:
    config = load_config().with_overrides(index_dir=index)
    questions = [q for q in load_golden(golden) if q.answer is not None]
    questions = stratified(questions, limit) if limit else questions
    if entity_only:  # the same slice's entity questions only: the direct answer's figures in a third of the time
        questions = [q for q in questions if q.evidence and q.answer.strip().lower().rstrip(".") not in
                     ("yes", "no", "insufficient information")]
    retriever = Retriever.open(config.index_dir, config)
    try:
        retriever.search("warm up the model", k=1)
        report = evaluate_answers(retriever, questions, ExtractiveAnswerer(retriever.encoder), k=k or config.top_k)
    finally:
        retriever.close()
    asked = {q.id: q.question for q in questions}
    rows = []
    for j in report.judged:
        if not j.answerable or j.gold.strip().lower().rstrip(".") in ("yes", "no"):
            continue
        lead = None if j.abstained else direct_answer(j.text)
        rows.append({"id": j.id, "kind": kind(asked[j.id]), "question": asked[j.id], "gold": j.gold,
                     "correct": j.correct, "abstained": j.abstained, "lead": lead,
                     "lead_correct": lead is not None and judge_text(j.gold, lead)})
    by_kind = {}
    for name in sorted({r["kind"] for r in rows}) + ["all"]:
        mine = [r for r in rows if name in ("all", r["kind"])]
        by_kind[name] = {"questions": len(mine),
                         "answer_holds_gold": _share([r["correct"] for r in mine]),
                         "has_direct_answer": _share([r["lead"] is not None for r in mine]),
                         "direct_answer_holds_gold": _share([r["lead_correct"] for r in mine]),
                         "abstained": _share([r["abstained"] for r in mine])}
    return report.to_dict(), by_kind, rows


def _share(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 4) if flags else None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.answers", description=__doc__.splitlines()[0])
    p.add_argument("golden")
    p.add_argument("--index", default="data/index")
    p.add_argument("--limit", type=int, default=300)
    p.add_argument("--misses", metavar="KIND", help="list the questions of KIND whose direct answer misses")
    p.add_argument("--entity-only", action="store_true", help="ask only the slice's entity questions")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    figures, by_kind, rows = run(args.golden, args.index, args.limit, entity_only=args.entity_only)
    if args.json:
        print(json.dumps({"eval": figures, "entity_by_kind": by_kind}))
    else:
        for name in ("questions", "accuracy", "accuracy_yes_no", "accuracy_entity", "abstained_on_unanswerable",
                     "wrong_abstentions", "citation_precision", "first_piece_ms_p50"):
            print(f"  {name:27} {figures[name]}")
        print(f"  {'kind':8} {'n':>4} {'answer':>7} {'lead':>7} {'lead ok':>8} {'abstain':>8}")
        for name, f in by_kind.items():
            print(f"  {name:8} {f['questions']:>4} {f['answer_holds_gold']:>7} {f['has_direct_answer']:>7} "
                  f"{f['direct_answer_holds_gold']:>8} {f['abstained']:>8}")
    for r in rows:
        if args.misses and r["kind"] == args.misses and not r["lead_correct"]:
            print(f"- {r['question']}\n    gold {r['gold']!r}  lead {r['lead']!r}  answer ok {r['correct']}",
                  file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
