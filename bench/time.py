"""Time-aware questions scored beyond recall: the figures of the time set's README, per type.

    python -m bench.time ../shared/eval/time/time-dev.jsonl --index DIR [--json] [--misses]

Per type: `latest` and `as_of` hit@1 and hit@3 (one day is right); `as_of` also the share of the top 5
published after D (a leak from the future); `before` and `after` the share of the top 5 on the right
side of D; `timeline` (the answer of `qa.answer.timeline`) the share of the story's articles among its
events, the share of its events from the story, and whether the events are oldest first. A question
needs `type`, `evidence`, and for these figures `date` and `story_dates` (the time set's fields).
This module only reads the index.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict

from index.parse.fields import canonical_url
from qa.answer.timeline import timeline
from qa.retrieve.retriever import Retriever


def run(path: str, retriever: Retriever, misses: bool = False) -> dict[str, dict[str, float]]:
    rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    scores: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for q in rows:
        kind, day = q.get("type"), q.get("date")
        evidence = {canonical_url(u) for u in q.get("evidence", ())}
        story = {canonical_url(u) for u in q.get("story_dates", {})} or evidence
        s = scores[kind]
        if kind == "timeline":
            found = timeline(q["question"], retriever)
            cited = {canonical_url(c.url) for c in found.answer.citations if c.url}
            s["story among events"].append(len(story & cited) / len(story) if story else 0.0)
            s["events from the story"].append(len(story & cited) / len(cited) if cited else 0.0)
            dates = [e.date for e in found.events]
            s["oldest first"].append(float(dates == sorted(dates)))
            continue
        hits = retriever.search(q["question"], k=10)
        urls = list(dict.fromkeys(canonical_url(h.url) for h in hits if h.url))
        top5 = [h.date for h in hits[:5] if h.date]
        if kind in ("latest", "as_of"):
            s["hit@1"].append(float(bool(urls[:1]) and urls[0] in evidence))
            s["hit@3"].append(float(any(u in evidence for u in urls[:3])))
            if misses and urls[:1] and urls[0] not in evidence:
                print(f"miss: {q['question']}\n  first {hits[0].date} {hits[0].title[:70]!r}; want {q.get('dates')}",
                      file=sys.stderr)
        if kind == "as_of" and day:
            s["top 5 after D"].append(sum(d > day for d in top5) / len(top5) if top5 else 0.0)
        if kind in ("before", "after") and day:
            right = [d < day if kind == "before" else d > day for d in top5]
            s["top 5 on the right side"].append(sum(right) / len(right) if right else 0.0)
    return {kind: {name: round(sum(v) / len(v), 3) for name, v in figures.items()} | {"questions": len(
        next(iter(figures.values())))} for kind, figures in sorted(scores.items())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.time", description=__doc__.split("\n\n")[0])
    parser.add_argument("golden", help="the time set's questions (JSON lines)")
    parser.add_argument("--index", required=True, help="index of the corpus the questions are about")
    parser.add_argument("--json", action="store_true", help="one JSON object")
    parser.add_argument("--misses", action="store_true", help="print latest/as_of questions whose first hit is wrong")
    args = parser.parse_args(argv)
    retriever = Retriever.open(args.index)
    result = run(args.golden, retriever, args.misses)
    if args.json:
        print(json.dumps(result))
        return 0
    for kind, figures in result.items():
        print(f"{kind:9} " + "  ".join(f"{name} {value}" for name, value in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
