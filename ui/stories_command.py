"""`newsdesk stories`: the stories of an index that hold more than one document (syndicated copies).

Each story lists its documents canonical first (the earliest, then the one with the most text;
index.storage.stories). `--json` prints one object per story: `{"story": id, "documents":
[{"doc_id", "url", "outlet", "published", "title"}]}`. Reads the index only (no model is loaded).
"""
from __future__ import annotations

import argparse
import json

from ui.terminal import one_line


def add_stories_command(sub) -> None:
    p = sub.add_parser("stories", help="list the stories reported by more than one document (syndicated copies)",
                       description="List the stories of the index that hold at least --min-size documents: the same "
                       "article republished by other outlets, grouped at ingest. The canonical report comes first.")
    p.add_argument("--index", metavar="DIR", help="index folder (default: index_dir, data/index)")
    p.add_argument("--json", action="store_true", help="one JSON object per story")
    p.add_argument("--min-size", type=_min_size, default=2, metavar="N",
                   help="only stories with at least N documents (default: 2)")
    p.set_defaults(run=stories_command)


def stories_command(args: argparse.Namespace, config) -> int:
    from index.storage.layout import IndexDir

    index = IndexDir.open(config.index_dir, None, config.index_settings().backend)  # any model: no search
    try:
        stories = index.store.stories
        ids = stories.shared(args.min_size)
        members = stories.members(ids)
    finally:
        index.close()
    for story in ids:
        docs = members.get(story, [])
        if args.json:
            print(json.dumps({"story": story, "documents": [
                {"doc_id": r.doc_id, "url": r.url, "outlet": r.outlet, "published": r.published, "title": r.title}
                for r in docs]}, ensure_ascii=False))
            continue
        print(f"story {story}: {len(docs)} reports")
        for n, r in enumerate(docs):
            print(f"  {'*' if n == 0 else '-'} {one_line(r.label, 60)}  {one_line(r.title, 100)}  {r.url or r.doc_id}")
    if not args.json:
        print(f"{len(ids)} stories with {args.min_size} or more documents")
    return 0


def _min_size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--min-size {text!r} is not a whole number; use 2 or more") from None
    if value < 2:
        raise argparse.ArgumentTypeError(f"--min-size {value} is below 2; a story of one document is no copy")
    return value
