"""Followed feeds: RSS, Atom and JSON Feed urls read politely and their new items ingested as they publish.

    spec.py     `FeedSpec` (url, interval), `parse_interval`: what to follow, checked
    fetch.py    the one HTTP client (urllib): http(s) only, bounded redirects, size, time and retries
    state.py    `INDEX/feeds/.state.json`: ETag, Last-Modified and when each feed was last read
    items.py    one JSON Feed file per item under `INDEX/feeds/`, and an item's page (`--fetch-pages`)
    poll.py     `poll_feed` (one read of one feed) and `follow` (each feed on its interval)

Items reach the index only through `index.ingest.ingest`, under the upload rule.
This package must not answer questions or know about the web page.
"""
from index.follow.fetch import FetchFailed, Limits
from index.follow.poll import FeedResult, FollowOptions, follow, poll_feed
from index.follow.spec import DEFAULT_INTERVAL, MIN_INTERVAL, FeedRefused, FeedSpec, parse_interval
from index.follow.state import FeedState, load_states

__all__ = ["DEFAULT_INTERVAL", "MIN_INTERVAL", "FeedRefused", "FeedResult", "FeedSpec", "FeedState", "FetchFailed",
           "FollowOptions", "Limits", "follow", "load_states", "parse_interval", "poll_feed"]
