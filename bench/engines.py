"""Ingest throughput of each engine on the same articles, in one run: `python -m bench.engines`.

The sample (the first N articles of a JSONL corpus) is written as one file per
article, the usual shape of a folder of news, so parsing has files to spread.
Each engine ingests it into a fresh index in its own spawned process: serial,
the local process pool, and Ray (a private local Ray). Wall time is the ingest
call, with Ray's start-up given apart; CPU time sums the process and every
process below it (pool workers, Ray's raylet and workers), so a loaded machine
shows up as wall time without CPU. The model is warmed before timing for the
local engines; Ray's actors load their own copies inside the timed run.
`--stages` times parsing and chunking alone, the part a pool or Ray spreads.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import psutil

from bench.proc import in_child
from index.ingest.parallel import runner_for
from qa.config import Config

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "multihop-rag" / "corpus.jsonl"


def _cpu_s() -> float:
    """User + system seconds of this process, its reaped children, and every live descendant."""
    me = psutil.Process()
    total = sum(me.cpu_times()[:4])
    for child in me.children(recursive=True):
        try:
            total += sum(child.cpu_times()[:2])
        except psutil.Error:
            pass  # exited between listing and reading
    return total


def _one(engine: str, workers: int, articles: str, index_dir: str, config: Config) -> dict:
    from index.ingest import IngestRun, ingest

    encoder = config.encoder()
    encoder.encode(["warm up"])  # the driver's model load is not ingest time
    runner = runner_for(engine, workers)
    cpu0, t0 = _cpu_s(), time.perf_counter()
    getattr(runner, "start", lambda: None)()
    start_s = time.perf_counter() - t0
    try:
        report = ingest([articles], index_dir, encoder, config.index_settings(), IngestRun(runner=runner))
        wall_s = time.perf_counter() - t0 - start_s
        cpu_s = _cpu_s() - cpu0  # before close: Ray's workers are still there to be counted
    finally:
        runner.close()
    return {"documents": report.added, "chunks": report.chunks, "start_s": round(start_s, 1),
            "ingest_s": round(wall_s, 1), "cpu_s": round(cpu_s, 1),
            "chunks_per_s": round(report.chunks / wall_s, 1) if wall_s else None}


def _stages(engine: str, workers: int, articles: str, config: Config) -> dict:
    """Parse and chunk alone (what a pool or Ray spreads), with no index and no model."""
    from index.parse import discover

    encoder = config.encoder()  # the tokenizer only: the model is not loaded
    runner = runner_for(engine, workers)
    getattr(runner, "start", lambda: None)()
    files = discover([Path(articles)], [])
    cpu0, t0 = _cpu_s(), time.perf_counter()
    try:
        docs = [d for parsed, _ in runner.parse(files) for d in parsed]
        chunks = runner.chunk(docs, encoder.tokenizer, config.chunk_plan(), encoder.max_tokens)
        wall_s, cpu_s = time.perf_counter() - t0, _cpu_s() - cpu0
    finally:
        runner.close()
    return {"documents": len(docs), "chunks": sum(map(len, chunks)), "wall_s": round(wall_s, 2), "cpu_s": round(cpu_s, 2)}


def run(corpus: Path, limit: int, config: Config, engines: list[tuple[str, int]], stages_only: bool = False) -> dict:
    with tempfile.TemporaryDirectory(prefix="newsdesk-engines-") as tmp:
        articles = Path(tmp) / "articles"
        articles.mkdir()
        with open(corpus, encoding="utf-8") as fh:
            lines = [line for line in fh if line.strip()][:limit]
        for n, line in enumerate(lines):
            (articles / f"{n:05d}.json").write_text(line, "utf-8")
        out: dict = {"articles": len(lines), "cores": len(os.sched_getaffinity(0)), "load_avg_1m": os.getloadavg()[0]}
        for engine, workers in engines:
            name = f"{engine}-{workers}" if workers != 1 or engine != "local" else "local-serial"
            if stages_only:
                out[name] = in_child(_stages, engine, workers, str(articles), config)
            else:
                out[name] = in_child(_one, engine, workers, str(articles), str(Path(tmp) / name), config)
        out["load_avg_1m_after"] = os.getloadavg()[0]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--articles", type=int, default=60)
    parser.add_argument("--cpus", type=int, default=2, help="pool processes and local Ray CPUs")
    parser.add_argument("--stages", action="store_true", help="time parse + chunk only (no model, no index)")
    args = parser.parse_args()
    engines = [("local", 1), ("local", args.cpus), ("ray", args.cpus)]
    print(json.dumps(run(args.corpus, args.articles, Config(), engines, args.stages), indent=1))


if __name__ == "__main__":
    main()
