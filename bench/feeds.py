"""Feed benchmark: items per second through `follow --once`, and how soon a published item is answerable.

    python -m bench.feeds [--items 200] [--corpus CORPUS.jsonl] [--arrivals 5] [--only parts] [--json]

A feed of N real articles (the first N of the MultiHop-RAG corpus) is served from
127.0.0.1 (`bench.feed_server`) and followed into a fresh index with the real model,
three ways: the feed carrying each article in full; carrying summaries only; and
summaries with `--fetch-pages` (each article's page fetched and extracted). Then a
follower runs at the shortest interval (`MIN_INTERVAL`) while items are published
at random moments, and the time from publication until a search finds the item is
measured (what a user waits for a new story to be answerable).
"""
from __future__ import annotations

import argparse
import json
import random
import tempfile
import threading
import time
from pathlib import Path

from bench.feed_server import FeedServer, Route, Story, page, rss
from index.follow import MIN_INTERVAL, FeedSpec, FollowOptions, follow, poll_feed
from index.follow.items import with_page
from index.parse.feed import read_feed
from index.parse.source import Source
from index.storage.layout import IndexDir
from qa.config import Config
from qa.retrieve.retriever import Retriever

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "eval" / "multihop-rag" / "corpus.jsonl"


def stories(corpus: Path, n: int, skip: int = 0) -> list[Story]:
    out = []
    with open(corpus, encoding="utf-8") as fh:
        for number, line in enumerate(fh):
            if number < skip:
                continue
            record = json.loads(line)
            body = " ".join(record["body"].split())
            sentences = body.split(". ")
            out.append(Story(f"a{number}", record["title"], "\n\n".join(
                ". ".join(sentences[i:i + 4]) for i in range(0, len(sentences), 4)),
                summary=". ".join(sentences[:2])[:300], author=record.get("author") or "Staff",
                topics=(record.get("category") or "news",)))
            if len(out) == n:
                return out
    return out


def throughput(items: list[Story], encoder, settings, full: bool, pages: bool) -> dict:
    with FeedServer() as server, tempfile.TemporaryDirectory() as tmp:
        server.routes["/feed"] = Route(rss("Bench Paper", server.base, items, full=full))
        for story in items:
            server.routes[f"/news/{story.slug}.html"] = Route(page(story), "text/html; charset=utf-8")
        t0 = time.perf_counter()
        result = poll_feed(FeedSpec(server.url("/feed"), MIN_INTERVAL), Path(tmp) / "idx", encoder, settings,
                           FollowOptions(fetch_pages=pages))
        seconds = time.perf_counter() - t0
        report = result.report
        return {"feed": "full content" if full else "summaries", "fetch_pages": pages, "items": result.new,
                "seconds": round(seconds, 2), "items_per_s": round(result.new / seconds, 1),
                "passages": report.chunks if report else 0, "problems": len(result.problems)}


def parts(items: list[Story]) -> dict:
    """The work of a poll beside embedding: parsing the feed (HTML items to text), and fetching and extracting pages."""
    with FeedServer() as server:
        for story in items:
            server.routes[f"/news/{story.slug}.html"] = Route(page(story), "text/html; charset=utf-8")
        out = {}
        for name, full in (("parse_full_s", True), ("parse_summaries_s", False)):
            data = rss("Bench Paper", server.base, items, full=full)
            t0 = time.perf_counter()
            feed = read_feed(data, Source(path=Path("feed"), rel="feed", text=""), base_url=server.base)
            out[name] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        for item in feed.items:
            with_page(item.document)
        out["pages_s"] = round(time.perf_counter() - t0, 2)
        out["items"] = len(feed.items)
        return out


def arrival_latency(items: list[Story], arrivals: int, encoder, config: Config, settings) -> dict:
    """Seconds from an item appearing in the feed to a search finding it, with a follower at MIN_INTERVAL."""
    latencies = []
    rng = random.Random(26)
    with FeedServer() as server, tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "idx"
        published = items[:20]
        server.routes["/feed"] = Route(rss("Bench Paper", server.base, published))
        spec = FeedSpec(server.url("/feed"), MIN_INTERVAL)
        poll_feed(spec, index, encoder, settings)
        stop = threading.Event()
        follower = threading.Thread(target=follow, args=([spec], index, encoder, settings),
                                    kwargs={"stop": stop}, daemon=True)
        follower.start()
        retriever = Retriever(IndexDir.open(index, encoder.model_id), encoder, config.rank_plan())
        try:
            for story in items[20:20 + arrivals]:
                time.sleep(rng.uniform(0, MIN_INTERVAL))
                published = [story] + published
                server.routes["/feed"] = Route(rss("Bench Paper", server.base, published))
                appeared = time.perf_counter()
                url = server.url(f"/news/{story.slug}.html")
                while not any(hit.url == url for hit in retriever.search(story.title, k=5)):
                    time.sleep(0.1)
                latencies.append(time.perf_counter() - appeared)
        finally:
            stop.set()
            follower.join(60)
            retriever.index.close()
    latencies.sort()
    return {"interval_s": MIN_INTERVAL, "arrivals": len(latencies), "median_s": round(latencies[len(latencies) // 2], 1),
            "max_s": round(latencies[-1], 1), "all_s": [round(x, 1) for x in latencies]}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.feeds", description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--arrivals", type=int, default=5)
    parser.add_argument("--only", choices=("all", "parts"), default="all",
                        help="parts: only the parse and page times (no model)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    items = stories(args.corpus, args.items)
    split = parts(items)
    if not args.json:
        print(f"parse {split['items']} items: full content {split['parse_full_s']} s (trafilatura's import included), "
              f"summaries {split['parse_summaries_s']} s; fetch and extract {split['items']} pages: {split['pages_s']} s",
              flush=True)
    if args.only == "parts":
        if args.json:
            print(json.dumps({"parts": split}))
        return
    config = Config()
    encoder, settings = config.encoder(), config.index_settings()
    encoder.encode_query("warm up")
    rows = [throughput(items, encoder, settings, full=True, pages=False),
            throughput(items, encoder, settings, full=False, pages=False),
            throughput(items, encoder, settings, full=False, pages=True)]
    latency = arrival_latency(stories(args.corpus, 20 + args.arrivals, skip=args.items), args.arrivals, encoder,
                              config, settings)
    if args.json:
        print(json.dumps({"parts": split, "throughput": rows, "latency": latency}))
        return
    print(f"{'feed':<14} {'--fetch-pages':<13} {'items':>5} {'seconds':>8} {'items/s':>8} {'passages':>8}")
    for row in rows:
        print(f"{row['feed']:<14} {str(row['fetch_pages']):<13} {row['items']:>5} {row['seconds']:>8} "
              f"{row['items_per_s']:>8} {row['passages']:>8}")
    print(f"published -> answerable, follower every {latency['interval_s']:g} s: median {latency['median_s']} s, "
          f"max {latency['max_s']} s over {latency['arrivals']} items {latency['all_s']}")


if __name__ == "__main__":
    main()
