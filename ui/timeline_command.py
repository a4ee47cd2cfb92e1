"""`newsdesk timeline QUERY`: the dated list of what happened, oldest first (qa.answer.timeline)."""
from __future__ import annotations

import argparse
import json

from qa.config import Config
from ui.terminal import one_line, terminal_safe


def run_timeline(args: argparse.Namespace, config: Config) -> int:
    from qa.answer.timeline import TIMELINE_K, timeline
    from qa.retrieve.retriever import Retriever, validate_question
    from qa.retrieve.filters import parse_filters

    query = validate_question(args.query)  # before the slow model load, like the filters
    filters = parse_filters(args.outlet, args.topic, args.since, args.until)
    retriever = Retriever.open(config.index_dir, config)
    found = timeline(query, retriever, filters, args.k or TIMELINE_K)
    if args.json:
        for event in found.events:
            print(json.dumps(event.to_dict(), ensure_ascii=False))
        return 0
    if not found.events:
        print(terminal_safe(found.answer.text))
        return 0
    print(terminal_safe(f"Timeline of {found.subject}, oldest first ({len(found.events)} events):"))
    sources = {c.n: c for c in found.answer.citations}
    for event in found.events:
        marks = "".join(f"[{n}]" for n in (event.n, *event.also))
        print(f"\n{event.date}  {one_line(event.text, 600)} {marks}")
        for n in (event.n, *event.also):
            c = sources[n]
            print(f"    [{n}] {one_line(c.label, 300)}" + (f"  {one_line(c.url, 300)}" if c.url else ""))
    return 0
