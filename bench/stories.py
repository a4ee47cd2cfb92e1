"""Stories benchmark (`python -m bench.stories`): how well syndicated copies are grouped, and what it costs.

grouping  the corpus and its copies parsed as ingest parses them and grouped by the store's own
          `StoryIndex` (a scratch SQLite, no model): pairwise precision and recall over the
          labelled clusters, near-miss pairs merged, other corpus articles pulled into a cluster,
          and the grouping's time per document.
held_out  copies made here of 60 other corpus articles (the same kinds of edits, at random): recall, and
          other articles pulled into their stories.
search    (--index DIR, an index of the corpus and the copies) each original's title, and each MultiHop-RAG
          question whose evidence holds an original, searched with k=10: the share of (query, original)
          whose story shows exactly one document, with per_story 1 and with every copy shown (0).
ingest    (--ingest N) the first N corpus articles and their copies ingested with and without the
          grouping (the store's `add`/`remove` made no-ops), each in a fresh index, same process.
"""
from __future__ import annotations

import argparse
import itertools
import json
import sqlite3
import tempfile
import time
from pathlib import Path

from index.parse import parse_file
from index.parse.fields import canonical_url
from index.storage.schema import SCHEMA
from index.storage.stories import StoryIndex

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"


def _docs(corpus: Path, copies: Path):
    return parse_file(corpus, corpus.parent) + parse_file(copies, copies.parent)


def grouping(corpus: Path, syndication: Path) -> dict:
    docs = _docs(corpus, syndication / "corpus-copies.jsonl")
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.executescript(SCHEMA)
    stories = StoryIndex(db)
    t0 = time.perf_counter()
    for doc in docs:
        stories.add(doc.doc_id, doc.text)
    per_doc_ms = (time.perf_counter() - t0) * 1000 / len(docs)
    story = stories.story_of([d.doc_id for d in docs])
    ids = _Ids({d.url: d.doc_id for d in docs if d.url})
    clusters = json.loads((syndication / "clusters.json").read_text())
    near = json.loads((syndication / "near-misses.json").read_text())
    labelled = {ids[u]: i for i, (o, cs) in enumerate(clusters.items()) for u in [o, *cs]}
    true_pairs = {frozenset(p) for o, cs in clusters.items() for p in itertools.combinations([ids[u] for u in [o, *cs]], 2)}
    found_pairs = {frozenset(p) for p in itertools.combinations(labelled, 2) if story[p[0]] == story[p[1]]}
    merged = [p for p in near if story[ids[p[0]]] == story[ids[p[1]]]]
    groups: dict[str, set[str]] = {}
    for d, s in story.items():
        groups.setdefault(s, set()).add(d)
    pulled = sorted(d for d in story if d not in labelled and any(story[d] == story[x] for x in labelled))
    others = sorted(sorted(g) for g in groups.values() if len(g) > 1 and not g & labelled.keys())
    return {"documents": len(docs), "pairs": len(true_pairs),
            "recall": round(len(found_pairs & true_pairs) / len(true_pairs), 4),
            "precision": round(len(found_pairs & true_pairs) / max(1, len(found_pairs)), 4),
            "near_misses_merged": len(merged), "others_pulled_in": pulled, "unlabelled_groups": others,
            "grouping_ms_per_doc": round(per_doc_ms, 3)}


class _Ids(dict):
    """The dev set's urls (as written) -> the ids ingest gave them (their canonical form)."""

    def __missing__(self, url: str) -> str:
        return self[canonical_url(url)]


def search(index_dir: str, corpus: Path, syndication: Path, k: int = 10) -> dict:
    """For each original, its title searched: the share whose story shows exactly one of its documents in the
    top k (and at least one), with stories shown once (per_story 1) and with every copy (per_story 0)."""
    from qa.config import load_config
    from qa.retrieve.retriever import Retriever

    clusters = json.loads((syndication / "clusters.json").read_text())
    titles = {}
    with open(corpus, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row["url"] in clusters:
                titles[row["url"]] = row["title"]
    asked = [(title, [url]) for url, title in titles.items()]
    questions = []  # MultiHop-RAG questions whose evidence holds an original: (question, its originals)
    with open(corpus.parent / "questions.jsonl", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            originals = [u for u in row.get("evidence") or [] if u in clusters]
            if originals:
                questions.append((row["question"], originals))
    out = {}
    for per_story in (1, 0):
        retriever = Retriever.open(index_dir, load_config(), per_story=per_story)
        try:
            out[f"per_story={per_story}"] = {"titles": _once(retriever, asked, k),
                                             "questions": _once(retriever, questions, k)}
        finally:
            retriever.close()
    return out


def _once(retriever, asked: list[tuple[str, list[str]]], k: int) -> dict:
    """Over (query, original) pairs: the share whose story shows exactly one document in the top k, and the
    share where it shows at all."""
    once = seen = pairs = 0
    for query, originals in asked:
        hits = retriever.search(query, k=k)
        for url in originals:
            story = retriever.index.store.stories.story_of([canonical_url(url)])[canonical_url(url)]
            docs = {h.doc_id for h in hits if h.story == story}
            once, seen, pairs = once + (len(docs) == 1), seen + bool(docs), pairs + 1
    return {"pairs": pairs, "story_in_top": round(seen / pairs, 4), "shown_once": round(once / pairs, 4)}


def ingest_cost(corpus: Path, syndication: Path, n: int, rounds: int = 2) -> dict:
    """Seconds to ingest the first `n` corpus articles and every copy, with and without grouping (alternating
    runs, the model loaded before), each into a fresh index; and the seconds spent inside the grouping."""
    from unittest import mock

    from index.ingest import ingest
    from qa.config import load_config

    config = load_config()
    encoder = config.encoder()
    encoder.encode(["warm up"])
    with tempfile.TemporaryDirectory() as tmp:
        sample = Path(tmp) / "sample.jsonl"
        lines = [line for line in corpus.read_text("utf-8").splitlines(keepends=True) if line.strip()][:n]
        sample.write_text("".join(lines) + (syndication / "corpus-copies.jsonl").read_text("utf-8"), "utf-8")
        times: dict[str, list[float]] = {"with": [], "without": []}
        inside = [0.0]  # seconds spent in the grouping itself during the grouped runs: robust to a loaded machine
        add, remove = StoryIndex.add, StoryIndex.remove

        def timed(fn):
            def run(*a):
                t = time.perf_counter()
                try:
                    return fn(*a)
                finally:
                    inside[0] += time.perf_counter() - t
            return run

        for run, grouped in enumerate((False, True) * rounds):
            target = Path(tmp) / f"idx{run}"
            t0 = time.perf_counter()
            if grouped:
                with mock.patch.object(StoryIndex, "add", timed(add)), mock.patch.object(StoryIndex, "remove", timed(remove)):
                    ingest([sample], target, encoder, config.index_settings())
            else:
                with mock.patch.object(StoryIndex, "add", lambda self, d, t: ""), \
                        mock.patch.object(StoryIndex, "remove", lambda self, d: None):
                    ingest([sample], target, encoder, config.index_settings())
            times["with" if grouped else "without"].append(time.perf_counter() - t0)
    best = {key: min(v) for key, v in times.items()}
    return {"documents": len(lines) + 55, "seconds": {k: [round(x, 2) for x in v] for k, v in times.items()},
            "added_share": round(best["with"] / best["without"] - 1, 4),
            "grouping_seconds": round(inside[0] / rounds, 3),
            "grouping_share": round(inside[0] / sum(times["with"]), 5)}


def held_out(corpus: Path, syndication: Path, n: int = 60, seed: int = 7) -> dict:
    """Copies made here, the dev set's kinds of edits at random, of `n` corpus articles the dev set did not copy,
    grouped with the whole corpus: recall over (original, copy) pairs, and other corpus articles pulled in."""
    import random
    import re

    rng = random.Random(seed)
    clusters = json.loads((syndication / "clusters.json").read_text())
    rows = [json.loads(line) for line in corpus.read_text("utf-8").splitlines() if line.strip()]
    pool = [r for r in rows if r["url"] not in clusters and len(r["body"]) > 1500]
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.executescript(SCHEMA)
    stories = StoryIndex(db)
    for r in rows:
        stories.add(r["url"], r["body"])
    pairs = []
    for i, r in enumerate(rng.sample(pool, n)):
        paras = [p for p in r["body"].split("\n") if p.strip()]
        if rng.random() < 0.3:
            paras = paras[: max(1, len(paras) // 2)]
        elif rng.random() < 0.5 and len(paras) > 3:
            paras = paras[: -rng.randint(1, 2)]
        paras = [re.sub(r"(?<=[.!?]) [^.!?]+[.!?](?= )", "", p, count=1) if rng.random() < 0.3 else p for p in paras]
        body = rng.choice(["", "NEW YORK (AP) — ", "(Reuters) - "]) + "\n".join(paras)
        body = body.replace(" said", " says").replace("%", " percent").replace("U.S.", "US")
        body += rng.choice(["", "\nRead more: another story", "\nCopyright 2023 The Wire"])
        stories.add(f"copy-{i}", body)
        pairs.append((r["url"], f"copy-{i}"))
    story = stories.story_of([r["url"] for r in rows] + [c for _, c in pairs])
    joined = sum(story[a] == story[b] for a, b in pairs)
    copies_of = {story[a] for a, _ in pairs}
    pulled = [r["url"] for r in rows if story[r["url"]] in copies_of and r["url"] not in dict(pairs)]
    return {"copies": len(pairs), "recall": round(joined / len(pairs), 4), "others_pulled_in": pulled}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.stories", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=EVAL / "multihop-rag" / "corpus.jsonl")
    parser.add_argument("--syndication", type=Path, default=EVAL / "syndication")
    parser.add_argument("--index", help="an index of the corpus and the copies: also measure search")
    parser.add_argument("--ingest", type=int, default=0, help="also time ingest of the first N articles + copies")
    args = parser.parse_args(argv)
    result = {"grouping": grouping(args.corpus, args.syndication), "held_out": held_out(args.corpus, args.syndication)}
    if args.index:
        result["search"] = search(args.index, args.corpus, args.syndication)
    if args.ingest:
        result["ingest"] = ingest_cost(args.corpus, args.syndication, args.ingest)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
