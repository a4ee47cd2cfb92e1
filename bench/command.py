"""The `newsdesk bench` subcommand: argument parsing and output only (the work is in bench.run)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_bench_command(sub) -> None:
    p = sub.add_parser("bench", help="measure ingest speed, re-ingest cost, search latency, memory and disk",
                       description="Benchmark newsdesk on this machine: ingest (pipeline vs a bare model.encode of "
                       "the same texts), re-ingest (unchanged, 1% edited), and search at 10k/100k chunks "
                       "(--full adds 1M; large sizes use synthetic copies of real vectors). Quick takes a few "
                       "minutes; --full takes longer and needs about 6 GB of disk.")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="100 articles; 10k and 100k chunks (the default)")
    mode.add_argument("--full", action="store_true", help="the whole corpus; 10k, 100k and 1M chunks")
    p.add_argument("--corpus", type=Path, metavar="FILE", help="JSONL articles to ingest "
                   "(default: ../shared/eval/multihop-rag/corpus.jsonl)")
    p.add_argument("--only", metavar="SECTION,...", help="run only these sections: ingest, search, speedup "
                   "(default: ingest and search; --full adds speedup, the naive-vs-fast ingest comparison)")
    p.add_argument("--engines", default="tantivy,fts5", metavar="ENGINE,...",
                   help="keyword engines to search with (default: tantivy,fts5; FTS5 only up to 100k chunks)")
    p.add_argument("--sizes", metavar="N,...", help="search sizes in chunks instead of the mode's (e.g. 1000000)")
    p.add_argument("--sample-index", type=Path, metavar="DIR", help="copy this index's articles for the search "
                   "sizes instead of ingesting the sample (skips the model's embedding of it)")
    p.add_argument("--skip-vectors", action="store_true", help="leave out the flat-vs-IVF vector comparison")
    p.add_argument("--keep", type=Path, metavar="DIR", help="keep the synthetic indexes in DIR and reuse them on "
                   "the next run with the same DIR (a 1M index takes the longest to build)")
    p.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    p.set_defaults(run=_cmd_bench)


def _cmd_bench(args: argparse.Namespace, config) -> int:
    from bench.run import print_table, run

    sections = tuple(s.strip() for s in args.only.split(",") if s.strip()) if args.only else None
    engines = tuple(e.strip() for e in args.engines.split(",") if e.strip())
    sizes = tuple(int(n) for n in args.sizes.split(",")) if args.sizes else None
    result = run(config, full=args.full, corpus=args.corpus, sections=sections, engines=engines, sizes=sizes,
                 sample_index=args.sample_index, vectors=not args.skip_vectors,
                 keep=args.keep)
    if args.json:
        print(json.dumps(result))
    else:
        print_table(result)
    return 0
