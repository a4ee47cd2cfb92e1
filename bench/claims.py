"""The claim checker on a FactCC-style claims file: the share judged "supported" per kind, and its cost.

    python -m bench.claims ../shared/eval/claims/claims-dev.jsonl [--limit N] [--misses KIND] [--json]

Prints, per kind, how many claims there are and the share judged supported (and contradicted), then the
true-accept rate over the supported kinds, the false-accept rate over the others and their balance, the
pipeline's load time, the median and 95th-percentile time per claim (passages parsed on first use, so
a claim whose passages were seen before costs less, as in an answer), and the median time to ground a
three-claim answer over five passages never parsed before. `--misses KIND` prints the claims of
that kind judged the wrong way, with the checker's reason. This module only reads the file.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict

from qa.answer.grounding import ground
from qa.check import check_claim, nlp
from qa.retrieve.records import Hit

SUPPORTED_KINDS = ("verbatim", "trimmed", "reformatted")


def run(path: str, limit: int | None = None, misses: str | None = None) -> dict:
    records = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()][:limit]
    start = time.perf_counter()
    nlp.pipeline()
    load_s = time.perf_counter() - start
    verdicts: dict[str, list[str]] = defaultdict(list)
    times = []
    for r in records:
        t0 = time.perf_counter()
        result = check_claim(r["claim"], r["passages"])
        times.append((time.perf_counter() - t0) * 1000)
        verdicts[r["kind"]].append(result.verdict)
        wrong = (result.verdict == "supported") != (r["label"] == "supported")
        if misses == r["kind"] and wrong:
            print(f"{r['id']}: {result.verdict} ({result.reason}) | {r['claim']} | {r['edit']}", file=sys.stderr)
    kinds = {k: {"n": len(v), "supported": round(v.count("supported") / len(v), 4),
                 "contradicted": round(v.count("contradicted") / len(v), 4)} for k, v in sorted(verdicts.items())}
    good = [v for k in SUPPORTED_KINDS for v in verdicts.get(k, [])]
    bad = [v for k, vs in verdicts.items() if k not in SUPPORTED_KINDS for v in vs]
    tar = sum(v == "supported" for v in good) / len(good) if good else None
    far = sum(v == "supported" for v in bad) / len(bad) if bad else None
    times.sort()
    answer_ms = _answer_cost(records)
    return {"claims": len(records), "kinds": kinds, "true_accept": tar and round(tar, 4),
            "false_accept": None if far is None else round(far, 4),
            "balance": None if tar is None or far is None else round((tar + 1 - far) / 2, 4),
            "load_s": round(load_s, 2), "ms_per_claim_p50": round(statistics.median(times), 1),
            "ms_per_claim_p95": round(times[int(0.95 * (len(times) - 1))], 1),
            "ms_per_answer_p50": answer_ms and round(statistics.median(answer_ms), 1)}


def _answer_cost(records: list[dict], answers: int = 100) -> list[float]:
    """Milliseconds to ground a written answer: "Yes", then three claims citing [1], over their fresh passages
    (three records' passages, five at most: what a five-passage retrieval gives the model)."""
    times = []
    for a in range(0, min(len(records), 3 * answers) - 2, 3):
        group = records[a : a + 3]
        passages = [p for r in group for p in r["passages"]][:5]
        hits = [Hit(n + 1, 1.0, n, p["url"], p["text"], 0, len(p["text"]), p["title"], p["outlet"], p["date"],
                    p["url"], "bench") for n, p in enumerate(passages)]
        text = "Yes\n" + " ".join(r["claim"].rstrip(".") + " [1]." for r in group)
        nlp.parse.cache_clear()
        nlp.tokenize.cache_clear()
        t0 = time.perf_counter()
        ground(text, hits)
        times.append((time.perf_counter() - t0) * 1000)
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.claims", description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--misses", metavar="KIND")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = run(args.path, args.limit, args.misses)
    if args.json:
        print(json.dumps(report))
        return
    print(f"{'kind':<14}{'n':>6}{'supported':>11}{'contradicted':>14}")
    for kind, row in report["kinds"].items():
        print(f"{kind:<14}{row['n']:>6}{row['supported']:>11.3f}{row['contradicted']:>14.3f}")
    print(f"true-accept {report['true_accept']}  false-accept {report['false_accept']}  balance {report['balance']}")
    print(f"pipeline load {report['load_s']} s; per claim p50 {report['ms_per_claim_p50']} ms, "
          f"p95 {report['ms_per_claim_p95']} ms; per answer (3 claims, 5 fresh passages) p50 "
          f"{report['ms_per_answer_p50']} ms")


if __name__ == "__main__":
    main()
