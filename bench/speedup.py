"""Faster ingest, side by side: the naive recipe against newsdesk's fast setting, with the recall each costs.

Both ingest the same corpus from scratch through the full pipeline (parse, chunk,
embed, store), each in a fresh process, and then answer the same golden questions:
- naive: sentence-transformers defaults (batch 32, the model reads the whole
  256-token chunk);
- fast:  `embed_tokens: 128` (the model reads the context line and the passage's
  opening; the keyword index still reads every word) with batch 64.
The speed-up is the ratio of the two runs' chunks per second on this machine.
"""
from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from bench.proc import in_child
from qa.config import Config

FAST_TOKENS = 128


def _ingest_and_eval(corpus: str, index_dir: str, config: Config, golden: str) -> dict:
    from index.ingest import ingest
    from index.storage.layout import IndexDir
    from qa.evaluate import evaluate
    from qa.evaluate.golden import load_golden
    from qa.retrieve.retriever import Retriever

    encoder = config.encoder()
    encoder.encode(["warm up"])  # the model load is not ingest speed
    t0 = time.perf_counter()
    report = ingest([corpus], index_dir, encoder, config.index_settings())
    seconds = time.perf_counter() - t0
    retriever = Retriever(IndexDir.open(index_dir, encoder.model_id), encoder, config.rank_plan())
    scores = evaluate(retriever, load_golden(golden), (5, 10)).to_dict()
    retriever.close()
    return {"chunks": report.chunks, "seconds": seconds, "recall@5": scores["recall@5"],
            "recall@10": scores["recall@10"], "mrr@10": scores["mrr@10"]}


def run(corpus: Path, golden: Path, workdir: Path, config: Config) -> dict:
    """Ingest `corpus` twice (naive, fast) and score each index on `golden`; flat dict of figures."""
    naive_cfg = replace(config, batch_size=32, embed_tokens=256)
    fast_cfg = replace(config, embed_tokens=FAST_TOKENS)
    naive = in_child(_ingest_and_eval, str(corpus), str(workdir / "naive-index"), naive_cfg, str(golden))
    fast = in_child(_ingest_and_eval, str(corpus), str(workdir / "fast-index"), fast_cfg, str(golden))
    result = {}
    for name, run_ in (("naive", naive), ("fast", fast)):
        result[f"speedup.{name}.chunks_per_s"] = round(run_["chunks"] / run_["seconds"], 1)
        for key in ("recall@5", "recall@10", "mrr@10"):
            result[f"speedup.{name}.{key}"] = round(run_[key], 4)
    result["speedup.fast_over_naive"] = round(
        result["speedup.fast.chunks_per_s"] / result["speedup.naive.chunks_per_s"], 2)
    result["speedup.recall@10_points_lost"] = round(100 * (naive["recall@10"] - fast["recall@10"]), 2)
    return result
