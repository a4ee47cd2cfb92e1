"""The logic of `newsdesk eval GOLDEN`: retrieval quality of an index on a golden file.

`run_eval` prints a table (overall, then per question type) or, with --json,
exactly one JSON object on stdout. The command line (`ui/cli.py`) only declares
the flags and calls it.
"""
from __future__ import annotations

import argparse
import json
from dataclasses import replace

from index.errors import QueryError
from qa.config import Config
from qa.evaluate.metrics import MRR_DEPTH, NDCG_DEPTH, Report, Scores


def run_eval(args: argparse.Namespace, config: Config) -> int:
    """Run the eval command for parsed `args` (golden, k, mode, no_cues, misses, json, engines; answers,
    answerer, limit). With several keyword `engines` the same questions are asked of each in turn, one
    table (or one JSON object keyed by engine) for all."""
    if getattr(args, "answers", False):
        return run_answer_eval(args, config)
    from qa.evaluate.golden import load_golden

    ks = _ks(args.k)
    engines = _engines(getattr(args, "engines", None))
    questions = load_golden(args.golden)  # before the slow model load: a bad file fails fast
    config = replace(config, search_mode=args.mode or config.search_mode,
                     news_cues=config.news_cues and not args.no_cues)
    if not engines:
        report = _evaluate(config, questions, ks)
        if args.json:
            print(json.dumps(report.to_dict() | {"mode": config.search_mode, "news_cues": config.news_cues}))
            return 0
        print(_table(report, ks, config))
        _print_misses(report, ks, args.misses)
        return 0
    reports = {name: _evaluate(replace(config, keyword_engine=name), questions, ks) for name in engines}
    if args.json:
        print(json.dumps({name: r.to_dict() | {"mode": config.search_mode, "news_cues": config.news_cues,
                                               "keyword_engine": name} for name, r in reports.items()}))
        return 0
    for name, report in reports.items():
        print(f"keyword engine {name}\n{_table(report, ks, config)}\n")
        _print_misses(report, ks, args.misses)
    return 0


def _evaluate(config: Config, questions, ks: tuple[int, ...]) -> Report:
    from qa.evaluate.metrics import evaluate
    from qa.retrieve.retriever import Retriever

    retriever = Retriever.open(config.index_dir, config)
    try:
        retriever.search("warm up the model", k=1)  # the first query loads the model: keep it out of the latency
        return evaluate(retriever, questions, ks)
    finally:
        retriever.close()


def _print_misses(report: Report, ks: tuple[int, ...], count: int) -> None:
    for miss in report.misses(ks[min(1, len(ks) - 1)])[:count]:
        print(f"\n{miss.id} ({miss.type or 'untyped'}): {', '.join(e for e in miss.evidence if e not in miss.returned)}"
              f" not found; got {', '.join(list(dict.fromkeys(miss.returned))[:5])}")


def _engines(text: str | None) -> tuple[str, ...]:
    from index.engines.keyword import ENGINES

    names = tuple(dict.fromkeys(part.strip() for part in (text or "").split(",") if part.strip()))
    for name in names:
        if name not in ENGINES:
            raise QueryError(f"--engines {text!r}: {name!r} is not a keyword engine",
                             f"choose from {', '.join(ENGINES)}, e.g. --engines tantivy,fts5")
    return names


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


def run_answer_eval(args: argparse.Namespace, config: Config) -> int:
    """`newsdesk eval GOLDEN --answers`: answer accuracy by question type, abstentions, citation precision, and
    time to the first piece of text, for the configured (or --answerer) answerer on `--limit` questions."""
    from qa.answer.factory import check_answerer, make_answerer
    from qa.evaluate.answers import evaluate_answers, stratified
    from qa.evaluate.golden import load_golden
    from qa.retrieve.retriever import Retriever

    config = config.with_overrides(answerer=args.answerer)
    check_answerer(config)
    questions = [q for q in load_golden(args.golden) if q.answer is not None]
    if not questions:
        raise QueryError(f"{args.golden} has no question with an `answer` field", "add gold answers, or drop --answers")
    questions = stratified(questions, args.limit) if args.limit else questions
    retriever = Retriever.open(config.index_dir, config)
    try:
        retriever.search("warm up the model", k=1)
        answerer = make_answerer(config, retriever.encoder)
        figures = evaluate_answers(retriever, questions, answerer, k=config.top_k, name=config.answerer).to_dict()
    finally:
        retriever.close()
    if args.json:
        print(json.dumps(figures | ({"model": config.llm.model} if config.answerer == "generative" else {})))
        return 0
    print(f"answerer {figures['answerer']}: {figures['questions']} questions "
          f"({figures['answerable']} answerable, {figures['unanswerable']} unanswerable)")
    for name, value in figures.items():
        if name in ("answerer", "questions", "answerable", "unanswerable"):
            continue
        if isinstance(value, dict):
            value = ", ".join(f"{t} {v:.3f}" for t, v in value.items() if v is not None)
        print(f"  {name:27} {value if not isinstance(value, float) else f'{value:.3f}'}")
    return 0
