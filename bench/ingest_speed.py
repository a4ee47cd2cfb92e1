"""Ingest speed: the full pipeline against a bare `model.encode` of the same chunk texts, in one run.

    python bench/ingest_speed.py ../shared/eval/multihop-rag/corpus.jsonl [--limit N] [--json]

Prints chunks/s of `newsdesk ingest` (parse, chunk, embed, store) and of a bare
sentence-transformers `encode` over exactly the texts the pipeline embedded; the
ratio is the figure that matters on a noisy machine. Then times a re-ingest of
the unchanged corpus (which must not load the model at all). The model load is
done before either timing and reported on its own.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index.embed import Encoder  # noqa: E402
from index.ingest import ingest  # noqa: E402
from qa.config import Config  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path, help="a file or folder of articles")
    ap.add_argument("--limit", type=int, help="only the first N lines of a JSONL corpus")
    ap.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    args = ap.parse_args()
    config = Config()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = args.corpus
        if args.limit:
            corpus = Path(tmp) / "sample.jsonl"
            with open(args.corpus, encoding="utf-8") as fh:
                corpus.write_text("".join(line for _, line in zip(range(args.limit), fh)), "utf-8")
        encoder = _Recording(config.model, batch_size=config.batch_size)
        t0 = time.perf_counter()
        encoder.encode(["warm up"])
        load_s = time.perf_counter() - t0
        encoder.seen.clear()

        index_dir = Path(tmp) / "index"
        first = ingest([corpus], index_dir, encoder, config.chunk_plan())
        texts = list(encoder.seen)
        t0 = time.perf_counter()
        encoder.model.encode(texts, batch_size=config.batch_size, convert_to_numpy=True, show_progress_bar=False)
        bare_s = time.perf_counter() - t0

        cold = Encoder(config.model, batch_size=config.batch_size)  # not loaded: an unchanged re-ingest must not need it
        again = ingest([corpus], index_dir, cold, config.chunk_plan())
        result = {
            "documents": first.added, "chunks": first.chunks, "distinct_texts_embedded": first.embedded,
            "model_load_s": round(load_s, 2), "ingest_s": round(first.seconds, 2),
            "ingest_chunks_per_s": round(first.chunks / first.seconds, 1),
            "bare_encode_s": round(bare_s, 2), "bare_encode_texts_per_s": round(len(texts) / bare_s, 1),
            "pipeline_over_bare": round((len(texts) / first.seconds) / (len(texts) / bare_s), 3),
            "reingest_unchanged_s": round(again.seconds, 2),
            "reingest_share_of_first": round(again.seconds / first.seconds, 4),
            "model_loaded_on_reingest": cold._model is not None,
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    if args.json:
        print(json.dumps(result))
    else:
        width = max(map(len, result))
        for key, value in result.items():
            print(f"{key:<{width}}  {value}")


class _Recording(Encoder):
    """The real encoder, remembering what the pipeline asked it to embed."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.seen: list[str] = []

    def encode(self, texts, progress=None):
        self.seen.extend(texts)
        return super().encode(texts, progress)


if __name__ == "__main__":
    main()
