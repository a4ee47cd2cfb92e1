"""Ingest benchmark: the full pipeline against a bare `model.encode` of the same texts, in one run.

The ratio of the two throughputs is the figure that matters on a noisy machine.
Then re-ingests: unchanged (must not even load the model), and with 1% of the
articles edited. Each ingest runs in a child process so its peak memory is its own.
"""
from __future__ import annotations

import json
import resource
import time
from pathlib import Path

from bench.proc import in_child
from index.embed import Encoder
from index.errors import ConfigError
from index.ingest import ingest
from qa.config import Config


class _Recording(Encoder):
    """The real encoder, remembering what the pipeline asked it to embed."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.seen: list[str] = []

    def encode(self, texts, progress=None):
        self.seen.extend(texts)
        return super().encode(texts, progress)


def sample_corpus(source: Path, dest: Path, limit: int | None) -> Path:
    """The first `limit` articles of a JSONL corpus, copied to `dest` (the whole file when None)."""
    with open(source, encoding="utf-8") as fh:
        lines = [line for line in fh if line.strip()]
    dest.write_text("".join(lines[:limit] if limit else lines), "utf-8")
    return dest


def _first_ingest(corpus: str, index_dir: str, config: Config) -> dict:
    encoder = config.encoder(_Recording)
    t0 = time.perf_counter()
    encoder.encode(["warm up"])
    load_s = time.perf_counter() - t0
    encoder.seen.clear()
    report = ingest([corpus], index_dir, encoder, config.index_settings())
    texts = list(encoder.seen)
    t0 = time.perf_counter()
    encoder.model.encode(texts, batch_size=config.batch_size, convert_to_numpy=True, show_progress_bar=False)
    bare_s = time.perf_counter() - t0
    return {"documents": report.added, "chunks": report.chunks, "texts_embedded": report.embedded,
            "errors": [str(e) for e in report.errors[:3]],
            "model_load_s": load_s, "ingest_s": report.seconds, "bare_encode_s": bare_s, "peak_rss_mib": _peak_mib()}


def _reingest(corpus: str, index_dir: str, config: Config) -> dict:
    encoder = config.encoder()
    report = ingest([corpus], index_dir, encoder, config.index_settings())
    return {"seconds": report.seconds, "updated": report.updated, "embedded": report.embedded,
            "model_loaded": encoder.loaded, "peak_rss_mib": _peak_mib()}


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(corpus: Path, workdir: Path, config: Config) -> dict:
    """Measure a first ingest, an unchanged re-ingest and a 1%-edited re-ingest of `corpus` (JSONL).

    Each runs in a fresh process (see `bench.proc.in_child`), so peak memory and model loads are its own.
    """

    index_dir = workdir / "ingest-index"
    first = in_child(_first_ingest, str(corpus), str(index_dir), config)
    if not first["texts_embedded"]:
        raise ConfigError(f"the benchmark corpus {corpus} gave nothing to embed: {'; '.join(first['errors']) or 'no articles'}",
                          "pass --corpus with a JSON-lines file of articles (under 20 MiB: split bigger ones)")
    unchanged = in_child(_reingest, str(corpus), str(index_dir), config)
    lines = corpus.read_text("utf-8").splitlines()
    step = max(1, len(lines) // max(1, len(lines) // 100))
    for i in range(0, len(lines), step):
        article = json.loads(lines[i])
        article["body"] = article.get("body", "") + "\n\nThis article was updated with a correction."
        lines[i] = json.dumps(article)
    corpus.write_text("\n".join(lines) + "\n", "utf-8")
    edited = in_child(_reingest, str(corpus), str(index_dir), config)
    per_s = first["chunks"] / first["ingest_s"]
    bare_per_s = first["texts_embedded"] / first["bare_encode_s"]
    return {
        "ingest.documents": first["documents"],
        "ingest.chunks": first["chunks"],
        "ingest.texts_embedded": first["texts_embedded"],
        "ingest.model_load_s": round(first["model_load_s"], 2),
        "ingest.seconds": round(first["ingest_s"], 2),
        "ingest.chunks_per_s": round(per_s, 1),
        "ingest.bare_encode_texts_per_s": round(bare_per_s, 1),
        "ingest.pipeline_over_bare": round((first["texts_embedded"] / first["ingest_s"]) / bare_per_s, 3),
        "ingest.peak_rss_mib": round(first["peak_rss_mib"], 1),
        "reingest.unchanged_s": round(unchanged["seconds"], 3),
        "reingest.unchanged_share": round(unchanged["seconds"] / first["ingest_s"], 4),
        "reingest.unchanged_loaded_model": unchanged["model_loaded"],
        "reingest.edited_1pct_docs": edited["updated"],
        "reingest.edited_1pct_s": round(edited["seconds"], 2),
        "reingest.edited_1pct_share": round(edited["seconds"] / first["ingest_s"], 4),
    }
