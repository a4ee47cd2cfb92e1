"""What one question costs, step by step: `python -m bench.query_cost --index DIR`.

Times each step of `Retriever.search` on its own, for the same questions, in one process
(each step run as the retriever runs it, on the same inputs); then, in alternating passes over
the same questions, the whole search and a bare `encode_query` of the same text: the ratio the
search is judged by, measured side by side. The steps:

    refresh       the index's check for another process's ingest (a stat, the engines' checks)
    read time     dates and "the latest" in the question (qa.retrieve.when), outlets named
    cues          outlets and dates as ranking cues, the question cut into parts (qa.retrieve.cues)
    encode        the model's embedding of the question (the floor of a search)
    vectors       the vector search, `candidates` passages
    keywords      the keyword search of the question alone
    parts         the keyword searches of the parts (one batch: side by side on tantivy)
    both sides    qa.retrieve.gather as search runs it (the keyword side overlapped with the encode only
                  when the model is off the CPU), then the articles' outlets and dates when there are cues
    fusion        qa.retrieve.hybrid.rank: scores fused per article, parts covered
    stories       the collapse of syndicated copies (qa.retrieve.stories), given the fused ranking
    citations     the passages' texts and citation fields of the final k, read from the store
    search        Retriever.search, end to end

Numbers are medians over the questions (milliseconds); run it on a quiet machine.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

from bench.run import first_questions
from qa.retrieve.cues import clauses, keywords, read_cues
from qa.retrieve.gather import gather, overlaps
from qa.retrieve.hybrid import rank
from qa.retrieve.retriever import Retriever
from qa.retrieve.stories import by_story

DEFAULT_QUESTIONS = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "multihop-rag" / "questions.jsonl"


def measure(retriever: Retriever, questions: list[str], k: int = 10, rounds: int = 2) -> dict[str, float]:
    """Median milliseconds of each step over `questions` (after a warm-up), and the search/encode ratio."""
    plan, store, engines, encoder = retriever.plan, retriever.index.store, retriever.index.engines, retriever.encoder
    matcher = retriever._outlet_matcher()
    keyword = engines.keywords(plan.keyword_engine) if plan.mode != "dense" else None
    dense = engines.dense() if plan.mode != "keyword" else None
    weights = (plan.title_weight, 1.0, plan.meta_weight)
    overlap = overlaps(encoder)
    times: dict[str, list[float]] = {}

    def timed(name: str, step: Callable[[], object]) -> object:
        t0 = time.perf_counter()
        out = step()
        times.setdefault(name, []).append((time.perf_counter() - t0) * 1000)
        return out

    for round_ in range(rounds + 1):  # round 0 warms caches and is not counted
        if round_ == 1:
            times.clear()
        for q in questions:
            timed("refresh", retriever.index.refresh)
            timed("read time", lambda: retriever.read_time(q))
            cues, parts = timed("cues", lambda: (read_cues(q, matcher),
                                                 clauses(q, matcher) if plan.clause_weight > 0 else ()))
            parts = parts if len(parts) > 1 else ()
            vector = timed("encode", lambda: encoder.encode_query(q))
            if dense is not None:
                timed("vectors", lambda: dense.search(vector, plan.candidates))
            if keyword is not None:
                timed("keywords", lambda: keyword.hits_many([(keywords(q), plan.candidates)], None, weights))
                if parts:
                    timed("parts", lambda: keyword.hits_many([(keywords(p.text), plan.clause_candidates)
                                                              for p in parts], None, weights))
            evidence = timed("both sides", lambda: gather(q, plan, store, encoder.encode_query, dense, keyword, cues,
                                                          parts, None, overlap))
            timed("fusion", lambda: rank(k, plan, evidence, cues, parts))
            fused = {n: rank(n, plan, evidence, cues, parts) for n in (k, 3 * k, 9 * k)}  # what by_story asks for
            found, _ = timed("stories", lambda: by_story(lambda n: fused.get(n) or rank(n, plan, evidence, cues, parts),
                                                         k, store, plan.per_story))
            timed("citations", lambda: store.chunks([r.chunk_id for r in found]))
    out = {name: round(statistics.median(values), 2) for name, values in times.items()}
    times.clear()
    for round_ in range(rounds + 1):  # whole passes, alternating: neither is timed right after the other's steps
        for name, step in (("search", lambda q: retriever.search(q, k=k)), ("bare encode", encoder.encode_query)):
            for q in questions:
                timed(name if round_ else "warm-up", lambda: step(q))
    out |= {name: round(statistics.median(times[name]), 2) for name in ("search", "bare encode")}
    out["search / bare encode"] = round(out["search"] / out["bare encode"], 3)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.query_cost", description=__doc__.split("\n\n")[0])
    p.add_argument("--index", required=True, type=Path, help="an index folder")
    p.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS, help="JSON lines with a 'question' each")
    p.add_argument("-n", type=int, default=100, help="questions (the first n of the file; default 100)")
    p.add_argument("-k", type=int, default=10, help="passages per search (default 10)")
    p.add_argument("--rounds", type=int, default=2, help="timed passes over the questions (default 2)")
    p.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    args = p.parse_args(argv)
    retriever = Retriever.open(args.index)
    result = measure(retriever, first_questions(args.questions, args.n), args.k, args.rounds)
    result["passages"] = retriever.index.store.counts()["chunks"]
    retriever.close()
    if args.json:
        print(json.dumps(result))
    else:
        for name, value in result.items():
            print(f"{name:22s} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
