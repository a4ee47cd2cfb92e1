"""`newsdesk bench`: one table (or one JSON object) of ingest and search figures.

Quick (default, a few minutes): 100 articles ingested; search at 10k and 100k chunks.
Full (`--full`): the whole sample corpus; search at 10k, 100k and 1M chunks; and the
faster-ingest comparison (naive recipe against `embed_tokens: 128`, each scored on
the golden questions). `sections` runs a subset: "ingest", "search", "speedup".
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench import ingest as ingest_bench
from bench import search as search_bench
from bench import speedup as speedup_bench
from bench.proc import in_child
from index.errors import ConfigError
from qa.config import Config

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "multihop-rag" / "corpus.jsonl"


SECTIONS = ("ingest", "search", "speedup")


def run(config: Config, full: bool = False, corpus: Path | None = None, questions: int = 200,
        sections: tuple[str, ...] | None = None, engines: tuple[str, ...] = ("tantivy", "fts5"),
        fts5_max: int = 100_000, sizes: tuple[int, ...] | None = None, sample_index: Path | None = None,
        vectors: bool = True, keep: Path | None = None) -> dict:
    """All figures as one flat dict; `full` adds the 1M size, the whole corpus and the speed-up section.

    Search is measured for each keyword engine in `engines` (FTS5 only up to `fts5_max` chunks: its 1M
    build alone takes about 23 minutes on 2 cores); `sizes` overrides the sizes searched. `sample_index`
    (an index already built from the corpus) is copied for search instead of ingesting the sample;
    `vectors=False` leaves out the vector-index comparison (flat against IVF), which no keyword change moves.
    `keep` (a folder) keeps each size's synthetic index there, and a later run with the same `keep` reuses it
    and its keyword indexes (their build figures are then left out): at 1M chunks building takes the most time."""
    corpus = Path(corpus or DEFAULT_CORPUS)
    if not corpus.is_file():
        raise ConfigError(f"benchmark corpus {corpus} not found", "pass --corpus FILE.jsonl (articles, one JSON per line)")
    sections = sections or (SECTIONS if full else ("ingest", "search"))
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise ConfigError(f"unknown bench section {sorted(unknown)[0]!r}", f"choose from {', '.join(SECTIONS)}")
    golden = corpus.with_name("questions.jsonl")
    if "speedup" in sections and not golden.is_file():
        raise ConfigError(f"the speedup section needs golden questions at {golden}",
                          "put questions.jsonl beside the corpus, or leave out speedup")
    asked = _questions(golden, corpus, questions)
    sizes = sizes or ((10_000, 100_000, 1_000_000) if full else (10_000, 100_000))
    result: dict = {"mode": "full" if full else "quick", "machine": _machine(config), "date": time.strftime("%Y-%m-%d")}
    with tempfile.TemporaryDirectory(prefix="newsdesk-bench-") as tmp:
        work = Path(tmp)
        kept = Path(keep) if keep else work
        kept.mkdir(parents=True, exist_ok=True)
        sample = ingest_bench.sample_corpus(corpus, work / "sample.jsonl", None if full else 100)
        if "ingest" in sections or ("search" in sections and sample_index is None):  # search copies the sample
            _say(f"ingest: {sample.name} ...")
            result.update(ingest_bench.run(sample, work, config))
        if "speedup" in sections:
            _say("speedup: naive recipe vs embed_tokens 128, each ingested and scored ...")
            result.update(speedup_bench.run(corpus, golden, work, config))
        encoder = config.encoder()
        for size in sizes if "search" in sections else ():
            target = kept / f"index-{size}"
            label = f"search.{_short(size)}"
            reuse = keep is not None and search_bench.is_complete(target)
            if reuse:
                _say(f"search: reusing {target} ...")
                search_bench.ungroup(target)  # kept by a bench from before copies were kept apart
            else:
                _say(f"search: building {size:,} chunks ...")
                shutil.rmtree(target, ignore_errors=True)  # a build a kill interrupted: start again
                build_s = search_bench.build_synthetic(sample_index or work / "ingest-index", target, size)
                result[f"{label}.build_s"] = round(build_s, 2)
            if vectors:
                result.update({f"{label}.{k}": v for k, v in search_bench.compare(target, encoder, asked).items()})
            for engine in engines:
                if engine == "fts5" and size > fts5_max:
                    continue  # FTS5 at 1M: a 23-minute build, 3 s a query (docs/SCALING.md has the figures)
                _say(f"search: {engine} keyword index of {size:,} chunks ...")
                built = search_bench.build_keywords(target, engine, measure=not reuse)
                modes = ("hybrid", "dense") if engine == engines[0] else ("hybrid",)  # dense: one engine suffices
                served = in_child(search_bench.serve_latency, str(target), config.with_overrides(
                    keyword_engine=engine, search_mode="hybrid"), asked, 60.0, modes)
                result.update({f"{label}.{engine}.{k}": v for k, v in (built | served).items()})
            if keep is None:
                shutil.rmtree(target)
    return result


def _machine(config: Config) -> str:
    cpu = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    if config.device == "cpu":
        return cpu
    try:
        import torch

        if torch.cuda.is_available():
            return f"{cpu}, {torch.cuda.get_device_name(0)}"
    except ImportError:
        pass
    return cpu


def first_questions(golden: Path, limit: int) -> list[str]:
    """The first `limit` questions of a golden JSON-lines file."""
    with open(golden, encoding="utf-8") as fh:
        return [json.loads(line)["question"] for line, _ in zip(fh, range(limit))]


def _questions(golden: Path, corpus: Path, limit: int) -> list[str]:
    """The first `limit` golden questions, or questions made from the corpus titles when there are none."""
    if golden.is_file():
        return first_questions(golden, limit)
    with open(corpus, encoding="utf-8") as fh:
        return [f"What happened in: {json.loads(line).get('title', '')}?" for line, _ in zip(fh, range(limit))]


def _short(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1000}k"


def _say(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


def print_table(result: dict) -> None:
    width = max(map(len, result))
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
