"""Driver for the crash-safety test: ingest a folder with the fake encoder, nothing else.

    python -m tests.crash_ingest CORPUS INDEX [MILVUS_URI COLLECTION]

`tests/test_crash.py` runs this in a subprocess and SIGKILLs it at random moments
after it prints "ready" (imports done); it is also the uninterrupted reference run. `make_corpus` writes the corpus.
With a Milvus uri and collection (tests/test_crash_milvus.py) it ingests with backend: milvus.
"""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from index.chunk import ChunkPlan
from index.settings import IndexSettings

PLAN = IndexSettings(chunk=ChunkPlan(max_tokens=64, overlap_tokens=8))
_WORDS = ("harbour council budget election rail strike vaccine drought export tariff satellite court ruling "
          "mayor river flood wildfire senate treaty startup chip factory museum festival bank inflation").split()


def make_corpus(folder: Path, files: int, per_file: int = 3, seed: int = 0, edit: bool = False) -> None:
    """`files` JSONL files of `per_file` short articles each; `edit=True` writes the changed version
    (every other file rewritten: one article changed, one dropped), for crashes during updates."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for f in range(files):
        articles = []
        for a in range(per_file):
            n = f * per_file + a
            words = [rng.choice(_WORDS) for _ in range(120)]
            if edit and f % 2 == 0 and a == 0:
                words = ["revised"] + words[::-1]
            if edit and f % 2 == 0 and a == 1:
                continue
            body = " ".join(f"{' '.join(words[i:i + 12]).capitalize()} in item{n}." for i in range(0, 120, 12))
            articles.append({"url": f"https://news.example/{n}", "title": f"Story {n} {words[0]}",
                             "source": "Example Times", "published_at": f"2023-10-{n % 28 + 1:02d}", "body": body})
        (folder / f"f{f:04d}.jsonl").write_text("".join(json.dumps(a) + "\n" for a in articles), "utf-8")


def main(argv: list[str]) -> int:
    from index.ingest import ingest
    from index.engines.milvus.rows import MilvusTarget
    from tests.fakes import HashingEncoder

    corpus, index_dir, *milvus = argv
    target = MilvusTarget(uri=milvus[0], collection=milvus[1]) if milvus else None
    if target:
        import pymilvus  # noqa: F401  (imported before "ready", as everything else is)
    print("ready", flush=True)  # imports done: the test times its kill from here
    report = ingest([corpus], index_dir, HashingEncoder(), IndexSettings(chunk=PLAN.chunk, keyword_engine=None if target else "tantivy", backend=target))  # the derived files (or the Milvus collection) too
    print(report.summary(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
