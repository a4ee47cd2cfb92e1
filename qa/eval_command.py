"""The `newsdesk eval GOLDEN` command: retrieval quality of an index on a golden file.

Prints a table (overall, then per question type) or, with --json, exactly one
JSON object on stdout. Kept apart from qa/cli.py so the command's formatting
does not crowd the other commands; cli.py only registers it.
"""
from __future__ import annotations

import argparse
import json
from dataclasses import replace

from index.errors import QueryError
from qa.config import Config
from qa.evaluate import MRR_DEPTH, NDCG_DEPTH, Report, Scores
from qa.hybrid import MODES


def add_eval_command(sub, index_arg) -> None:
    p = sub.add_parser("eval", help="measure retrieval on a golden file of questions (recall@k, MRR, nDCG)",
                       description="Ask every question of GOLDEN (JSON lines or YAML: id, question, evidence) and "
                       "score the articles found: article recall@k, hit@k, MRR@10, nDCG@10, per question type, "
                       "and the median search latency.")
    p.add_argument("golden", metavar="GOLDEN", help="golden file (.jsonl or .yaml)")
    index_arg(p)
    p.add_argument("--k", default="5,10,20", metavar="K,K,...", help="recall cut-offs (default 5,10,20)")
    p.add_argument("--mode", choices=MODES, help="ranking signals (default: search_mode, hybrid)")
    p.add_argument("--no-cues", action="store_true", help="ignore outlets and dates named in questions")
    p.add_argument("--misses", type=int, default=0, metavar="N", help="also list N questions that missed evidence")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(run=_cmd_eval)


def _cmd_eval(args: argparse.Namespace, config: Config) -> int:
    from qa.evaluate import evaluate
    from qa.golden import load_golden
    from qa.retriever import Retriever

    ks = _ks(args.k)
    questions = load_golden(args.golden)  # before the slow model load: a bad file fails fast
    config = replace(config, search_mode=args.mode or config.search_mode,
                     news_cues=config.news_cues and not args.no_cues)
    retriever = Retriever.open(config.index_dir, config)
    try:
        retriever.search("warm up the model", k=1)  # the first query loads the model: keep it out of the latency
        report = evaluate(retriever, questions, ks)
    finally:
        retriever.close()
    if args.json:
        print(json.dumps(report.to_dict() | {"mode": config.search_mode, "news_cues": config.news_cues}))
        return 0
    print(_table(report, ks, config))
    for miss in report.misses(ks[min(1, len(ks) - 1)])[: args.misses]:
        print(f"\n{miss.id} ({miss.type or 'untyped'}): {', '.join(e for e in miss.evidence if e not in miss.returned)}"
              f" not found; got {', '.join(list(dict.fromkeys(miss.returned))[:5])}")
    return 0


def _ks(text: str) -> tuple[int, ...]:
    try:
        ks = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    except ValueError:
        ks = ()
    if not ks or ks[0] < 1 or ks[-1] > 100:
        raise QueryError(f"--k {text!r} is not a list of cut-offs between 1 and 100", "write it like --k 5,10,20")
    return ks


def _table(report: Report, ks: tuple[int, ...], config: Config) -> str:
    head = ["", "questions"] + [f"recall@{k}" for k in ks] + [f"hit@{ks[0]}", f"MRR@{MRR_DEPTH}", f"nDCG@{NDCG_DEPTH}"]
    rows = [_row("all", report.overall, ks)] + [_row(t, s, ks) for t, s in report.by_type.items()]
    widths = [max(len(str(r[i])) for r in [head] + rows) for i in range(len(head))]
    lines = ["  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in [head] + rows]
    lines.insert(1, "-" * len(lines[0]))
    cues = "with" if config.news_cues else "without"
    lines.append(f"\nmode {config.search_mode}, {cues} news cues; {report.no_evidence} questions without evidence "
                 f"not scored; search latency p50 {report.latency_p50_ms:.0f} ms, p95 {report.latency_p95_ms:.0f} ms")
    return "\n".join(lines)


def _row(name: str, s: Scores, ks: tuple[int, ...]) -> list[str]:
    return ([name, str(s.questions)] + [f"{s.recall[k]:.3f}" for k in ks]
            + [f"{s.hit[ks[0]]:.3f}", f"{s.mrr:.3f}", f"{s.ndcg:.3f}"])
