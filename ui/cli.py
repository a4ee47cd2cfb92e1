"""The `newsdesk` command: ingest articles, follow feeds, search them, ask questions, serve the chat UI.

User mistakes end in one line on stderr and exit status 2, never a traceback.
Machine output (`--json`) is one JSON object per line on stdout; text printed for
a person has terminal escape sequences and control characters taken out.
"""
from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path
from typing import Sequence

from index.errors import NewsdeskError
from index.ingest.parallel import ENGINES
from qa.config import DEFAULT_CONFIG_FILE, load_config
from ui import commands
from ui.terminal import terminal_safe

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
        config = load_config(args.config).with_overrides(index_dir=getattr(args, "index", None),
                                                         now=getattr(args, "now", None))
        return args.run(args, config)
    except NewsdeskError as exc:
        print(f"newsdesk: error: {terminal_safe(str(exc))}", file=sys.stderr)
        return 2
    except (sqlite3.DatabaseError, OSError) as exc:  # met mid-command: locked, read-only, full disk, or damage
        from index.storage.folder import storage_error

        error = storage_error(Path(config.index_dir if config else "INDEX"), exc)
        if not isinstance(error, NewsdeskError):
            raise
        print(f"newsdesk: error: {terminal_safe(str(error))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("newsdesk: interrupted; everything committed before the interrupt is kept", file=sys.stderr)
        return 130


class _Parser(argparse.ArgumentParser):
    """argparse with its errors on one line (the usage text stays behind --help)."""

    def error(self, message: str):  # type: ignore[override]
        print(f"newsdesk: error: {terminal_safe(message)} (see `{self.prog} --help`)", file=sys.stderr)
        sys.exit(2)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="newsdesk", description="Ask questions about a folder of news articles; "
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
    p.add_argument("--engine", choices=ENGINES, help="where to parse, chunk and embed: local or ray (default: ingest_engine)")
    p.add_argument("--workers", type=_workers, metavar="N",
                   help="parse/chunk processes, 0 for one per core (default: ingest_workers, 0)")
    p.set_defaults(run=commands.ingest_command)

    from ui.follow_command import add_follow_command

    add_follow_command(sub)

    p = sub.add_parser("search", help="print the passages most relevant to a question, with citations",
                       description="Search the index and print the best passages with their citations.")
    p.add_argument("question", help="the question, in quotes")
    p.add_argument("-k", type=_k, default=None, help="number of passages, 1 to 100 (default: top_k, 5)")
    _index_arg(p)
    _filter_args(p)
    p.add_argument("--json", action="store_true", help="one JSON object per passage")
    _now_arg(p)
    p.set_defaults(run=commands.search_command)

    p = sub.add_parser("ask", help="answer a question with sentences quoted from the articles, cited [n]",
                       description="Answer a question from the index: the best sentences of the retrieved "
                       "passages, quoted verbatim and cited, or a plain statement that the articles don't answer it.")
    p.add_argument("question", help="the question, in quotes")
    p.add_argument("-k", type=_k, default=None, help="passages the answer may draw on, 1 to 100 (default: top_k, 5)")
    _index_arg(p)
    _filter_args(p)
    p.add_argument("--json", action="store_true", help="the answer, its citations and passages as one JSON object")
    _answerer_arg(p)
    _now_arg(p)
    p.set_defaults(run=commands.ask_command)

    p = sub.add_parser("timeline", help="a dated list of what happened, oldest first, each line quoted and cited",
                       description="Find the articles about QUERY (a subject such as \"Sam Bankman-Fried\" or a question "
                       "such as \"How did the FTX trial unfold?\") and print one line per event: its date, the sentence "
                       "that tells it, quoted, and its source. Copies of one event become one line.")
    p.add_argument("query", help="a subject or a question, in quotes")
    p.add_argument("-k", type=_k, default=None, help="articles to search, 1 to 100 (default: 40)")
    _index_arg(p)
    _filter_args(p)
    p.add_argument("--json", action="store_true", help="one JSON object per event (date, text, url, doc_id, outlet, ...)")
    _now_arg(p)
    p.set_defaults(run=commands.timeline_command)

    p = sub.add_parser("check", help="fact-check a sentence against the articles: supported, contradicted or not",
                       description="Retrieve passages for CLAIM (filters as for ask), check its numbers, dates, names, "
                       "negation and roles against them, and print the verdict, the reason and the quotes, cited.")
    p.add_argument("claim", help="the sentence to check, in quotes")
    p.add_argument("-k", type=_k, default=None, help="passages to check it against, 1 to 100 (default: top_k, 5)")
    _index_arg(p)
    _filter_args(p)
    p.add_argument("--json", action="store_true", help="verdict, reason, quotes and citations as one JSON object")
    p.set_defaults(run=commands.check_command)

    p = sub.add_parser("serve", help="chat with the articles in a web browser",
                       description="Serve the chat web UI. It binds 127.0.0.1 unless --host says otherwise; "
                       "anyone who can reach the port can read the articles and add new ones.")
    _index_arg(p)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=_port, default=7860, help="port, 1 to 65535 (default: 7860)")
    _answerer_arg(p)
    _now_arg(p)
    p.set_defaults(run=commands.serve_command)

    p = sub.add_parser("mcp", help="serve search, ask and check_claim to an MCP host (Claude Desktop, ...) over stdio",
                       description="Serve the Model Context Protocol on stdin/stdout for an MCP host: the tools "
                       "search, ask and check_claim over the index. The host starts this command; see README.")
    _index_arg(p)
    _answerer_arg(p)
    p.set_defaults(run=commands.mcp_command)

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
    p.add_argument("--engines", metavar="ENGINE,...", help="compare keyword engines on the same questions, e.g. "
                   "tantivy,fts5 (each built from the store if the index lacks it; default: keyword_engine)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.add_argument("--answers", action="store_true", help="judge the answers instead of retrieval: accuracy by type "
                   "(Yes/No by the first word, others by containing the gold answer), abstentions, citation precision, "
                   "time to first text")
    _answerer_arg(p)
    _now_arg(p)
    p.add_argument("--limit", type=_count, default=None, metavar="N",
                   help="with --answers: N questions spread over the types (a fixed slice; a model answer takes seconds)")
    p.set_defaults(run=commands.eval_command)

    from bench.command import add_bench_command
    from ui.stories_command import add_stories_command

    add_stories_command(sub)
    add_bench_command(sub)
    return parser


def _k(text: str) -> int:
    """argparse type of -k: a whole number from 1 to 100 (0 must not mean "the default")."""
    if not text.strip().isdigit() or not 1 <= int(text) <= 100:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of passages from 1 to 100")
    return int(text)


def _count(text: str) -> int:
    """argparse type of --limit: a whole number from 1 (0 or -1 must not mean "all": leave it out for all)."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of questions from 1 (leave --limit out for all)")
    return int(text)


def _workers(text: str) -> int:
    if not text.isdigit() or int(text) > 256:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from 0 to 256")
    return int(text)


def _port(text: str) -> int:
    if not text.strip().isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number from 1 to 65535")
    return int(text)


def _index_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", metavar="DIR", help="index folder (default: data/index)")


def _answerer_arg(p: argparse.ArgumentParser) -> None:
    from qa.config import ANSWERERS

    p.add_argument("--answerer", choices=ANSWERERS, help="extractive (quotes, the default) or generative (the model "
                   "of the llm: block in the config, on any OpenAI-compatible server)")


def _now_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--now", type=_now, metavar="WHEN", help="the date \"latest\", \"yesterday\" and \"last week\" are read "
                   "against: index (the newest article's date, the default), today, or YYYY-MM-DD")


def _now(text: str) -> str:
    from qa.config.plans import is_now

    if not is_now(text.strip()):
        raise argparse.ArgumentTypeError(f"{text!r} is not index, today or a date YYYY-MM-DD")
    return text.strip()


def _filter_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--outlet", action="append", default=[], help="only this outlet (name or domain); repeatable")
    p.add_argument("--topic", action="append", default=[], help="only articles with this topic; repeatable")
    p.add_argument("--since", metavar="YYYY-MM-DD", help="only articles published on or after this date")
    p.add_argument("--until", metavar="YYYY-MM-DD", help="only articles published on or before this date")


if __name__ == "__main__":
    sys.exit(main())
