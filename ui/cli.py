"""The `newsdesk` command: ingest articles, search them, ask questions, serve the chat UI.

User mistakes end in one line on stderr and exit status 2, never a traceback.
Machine output (`--json`) is one JSON object per line on stdout.
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Sequence

from index.errors import NewsdeskError
from qa.config import DEFAULT_CONFIG_FILE, Config, load_config

EPILOG = f"""Settings come from --config FILE, $NEWSDESK_CONFIG, or ./{DEFAULT_CONFIG_FILE} (see README).
The index lives in data/index unless --index or index_dir says otherwise."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    config = None
    try:
        config = load_config(args.config).with_overrides(index_dir=getattr(args, "index", None))
        return args.run(args, config)
    except NewsdeskError as exc:
        print(f"newsdesk: error: {exc}", file=sys.stderr)
        return 2
    except sqlite3.DatabaseError as exc:  # damage the checks at open could not see
        from index.layout import corrupt_store

        print(f"newsdesk: error: {corrupt_store(Path(config.index_dir if config else 'INDEX'), exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("newsdesk: interrupted; everything committed before the interrupt is kept", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsdesk", description="Ask questions about a folder of news articles; "
                                     "every answer cites its passages.", epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", metavar="FILE", help="YAML settings file")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    p = sub.add_parser("ingest", help="index article files (incremental: only new or changed files are embedded)",
                       description="Read article files (YAML records, plain-text pages, JSON lines, Markdown, HTML) "
                       "under each PATH and bring the index up to date. Unchanged files are skipped.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders of articles")
    _index_arg(p)
    p.add_argument("--sync", action="store_true", help="also remove documents whose files are gone from PATH")
    p.add_argument("--rebuild", action="store_true", help="build a fresh index (after a model change), then swap it in")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=_cmd_ingest)

    p = sub.add_parser("search", help="print the passages most relevant to a question, with citations",
                       description="Search the index and print the best passages with their citations.")
    p.add_argument("question", help="the question, in quotes")
    p.add_argument("-k", type=int, default=None, help="number of passages (default: top_k, 5)")
    _index_arg(p)
    _filter_args(p)
    p.add_argument("--json", action="store_true", help="one JSON object per passage")
    p.set_defaults(run=_cmd_search)

    p = sub.add_parser("ask", help="answer a question with sentences quoted from the articles, cited [n]",
                       description="Answer a question from the index: the best sentences of the retrieved "
                       "passages, quoted verbatim and cited, or a plain statement that the articles don't answer it.")
    p.add_argument("question", help="the question, in quotes")
    p.add_argument("-k", type=int, default=None, help="passages the answer may draw on (default: top_k, 5)")
    _index_arg(p)
    _filter_args(p)
    p.add_argument("--json", action="store_true", help="the answer, its citations and passages as one JSON object")
    p.set_defaults(run=_cmd_ask)

    p = sub.add_parser("serve", help="chat with the articles in a web browser",
                       description="Serve the chat web UI. It binds 127.0.0.1 unless --host says otherwise; "
                       "anyone who can reach the port can read the articles and add new ones.")
    _index_arg(p)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=7860, help="port (default: 7860)")
    p.set_defaults(run=_cmd_serve)

    from qa.config import MODES

    p = sub.add_parser("eval", help="measure retrieval on a golden file of questions (recall@k, MRR, nDCG)",
                       description="Ask every question of GOLDEN (JSON lines or YAML: id, question, evidence) and "
                       "score the articles found: article recall@k, hit@k, MRR@10, nDCG@10, per question type, "
                       "and the median search latency.")
    p.add_argument("golden", metavar="GOLDEN", help="golden file (.jsonl or .yaml)")
    _index_arg(p)
    p.add_argument("--k", default="5,10,20", metavar="K,K,...", help="recall cut-offs (default 5,10,20)")
    p.add_argument("--mode", choices=MODES, help="ranking signals (default: search_mode, hybrid)")
    p.add_argument("--no-cues", action="store_true", help="ignore outlets and dates named in questions")
    p.add_argument("--misses", type=int, default=0, metavar="N", help="also list N questions that missed evidence")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(run=_cmd_eval)

    from bench.command import add_bench_command

    add_bench_command(sub)
    return parser


def _index_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", metavar="DIR", help="index folder (default: data/index)")


def _filter_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--outlet", action="append", default=[], help="only this outlet (name or domain); repeatable")
    p.add_argument("--topic", action="append", default=[], help="only articles with this topic; repeatable")
    p.add_argument("--since", metavar="YYYY-MM-DD", help="only articles published on or after this date")
    p.add_argument("--until", metavar="YYYY-MM-DD", help="only articles published on or before this date")


def _filters(args: argparse.Namespace):
    from qa.retrieve.filters import parse_filters

    return parse_filters(args.outlet, args.topic, args.since, args.until)


def _cmd_ingest(args: argparse.Namespace, config: Config) -> int:
    from index.ingest import ingest

    encoder = config.encoder()
    bar = None

    def progress(stage: str, done: int, total: int) -> None:
        nonlocal bar
        if args.quiet:
            return
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, unit="chunk", desc="embedding", file=sys.stderr, dynamic_ncols=True)
        bar.update(done - bar.n)

    report = ingest(args.paths, config.index_dir, encoder, config.chunk_plan(), sync=args.sync,
                    rebuild=args.rebuild, progress=progress, index_type=config.index_type,
                    keyword_engine=config.keyword_engine)
    if bar is not None:
        bar.close()
    for err in report.errors:
        print(f"newsdesk: skipped {err}", file=sys.stderr)
    for warning in report.warnings:
        print(f"newsdesk: warning: {warning}", file=sys.stderr)
    print(f"{config.index_dir}: {report.summary()}")
    return 1 if report.errors and not (report.added or report.updated or report.unchanged) else 0


def _cmd_search(args: argparse.Namespace, config: Config) -> int:
    from qa.retrieve.retriever import Retriever, validate_question

    question, filters = validate_question(args.question), _filters(args)  # before the slow model load
    retriever = Retriever.open(config.index_dir, config)
    hits = retriever.search(question, k=args.k or config.top_k, filters=filters)
    if args.json:
        for hit in hits:
            print(json.dumps(asdict(hit) | {"citation": hit.citation}, ensure_ascii=False))
        return 0
    if not hits:
        print("No passages found (is the index empty, or the filter too narrow?).")
    for hit in hits:
        print(f"[{hit.rank}] {hit.score:.3f}  {hit.citation}")
        print(f"    {_one_line(hit.text, 400)}\n")
    return 0


def _cmd_ask(args: argparse.Namespace, config: Config) -> int:
    from qa.answer import ask
    from qa.retrieve.retriever import Retriever, validate_question

    question, filters = validate_question(args.question), _filters(args)  # before the slow model load
    retriever = Retriever.open(config.index_dir, config)
    answer = ask(question, retriever=retriever, filters=filters, k=args.k or config.top_k)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False))
        return 0
    print(answer.text)
    if answer.abstained:
        print("\nClosest passages:" if answer.hits else "\nNo passages found (is the index empty, or the filter too narrow?).")
        for hit in answer.hits:
            print(f"  [{hit.rank}] {hit.citation}\n      {_one_line(hit.text, 300)}")
    for c in answer.citations:
        print(f"\n[{c.n}] {c.label}" + (f"\n    {c.url}" if c.url else ""))
    return 0


def _cmd_eval(args: argparse.Namespace, config: Config) -> int:
    from qa.evaluate.command import run_eval

    return run_eval(args, config)


def _cmd_serve(args: argparse.Namespace, config: Config) -> int:
    from qa.retrieve.retriever import Retriever
    from ui.app import serve

    serve(Retriever.open(config.index_dir, config), config, host=args.host, port=args.port)
    return 0


def _one_line(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


if __name__ == "__main__":
    sys.exit(main())
