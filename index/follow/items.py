"""A followed item on disk: one small JSON Feed file per article under `INDEX/feeds/<feed>/`, and its page.

Each item is kept in a file of its own, named by a hash of its url, so an item
that later drops off the feed keeps its file and its article (nothing indexed is
lost when a feed moves on), a changed item rewrites only its own file, and the
files are what `ingest` reads (the JSON Feed path of `index.parse.feed`), here
and in a `--rebuild`. The file records, under `_newsdesk`, the hash of the item
as the feed gave it, so an unchanged item is recognised without fetching its page
again. `page_text` fetches an item's page and extracts the article with the HTML
path of ingest (`index.parse.markup.parse_html`).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from index.document import Document
from index.errors import ParseError
from index.follow.fetch import PAGE_ACCEPT, FetchFailed, Limits, fetch
from index.follow.state import feeds_folder, write_atomic
from index.parse.feed import json_feed_item
from index.parse.markup import parse_html
from index.parse.source import Source

PAGE_LIMITS = Limits(timeout=10.0, deadline=20.0, max_bytes=5 * 1024 * 1024, retries=1, backoff=1.0)
_CHARSET = re.compile(r"charset=[\"']?([\w.:-]+)", re.IGNORECASE)


def feed_folder(index_dir: Path, feed_url: str) -> Path:
    """`INDEX/feeds/<host>-<hash of the feed url>/`: readable, and distinct for two feeds of one site."""
    host = re.sub(r"[^a-z0-9.-]+", "_", (urlsplit(feed_url).hostname or "feed").lower())[:60]
    return feeds_folder(index_dir) / f"{host}-{_digest(feed_url)[:10]}"


def item_path(index_dir: Path, feed_url: str, doc_id: str) -> Path:
    return feed_folder(index_dir, feed_url) / f"{_digest(doc_id)[:20]}.json"


def mark_of(path: Path) -> str | None:
    """The feed hash recorded in an item file (None when there is no readable file)."""
    try:
        data = json.loads(path.read_text("utf-8"))
        return str(data["items"][0]["_newsdesk"]["feed_hash"])
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None


def write_item(path: Path, document: Document, mark: str, feed_url: str, page: bool) -> None:
    """Write (atomically) the item file of `document`, recording `mark`, the hash of the item as the feed gave it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json_feed_item(document, document.outlet, {"feed": feed_url, "feed_hash": mark, "page": page}))


def with_page(document: Document, limits: Limits = PAGE_LIMITS) -> Document:
    """`document` with the text of its page instead of the feed's summary; `FetchFailed` or `ParseError` when
    the page cannot be had or holds no article (the caller keeps the summary)."""
    text = page_text(document.url or "", limits)
    if len(text) <= len(document.text):
        raise ParseError(document.url or "", "page holds no more text than the feed's summary")
    return replace(document, text=text)


def page_text(url: str, limits: Limits = PAGE_LIMITS) -> str:
    """The article text of the page at `url` (bounded in size and time)."""
    fetched = fetch(url, limits, accept=PAGE_ACCEPT)
    kind = fetched.content_type.lower()
    if kind and "html" not in kind:
        raise FetchFailed(f"{url} is {kind.split(';')[0]}, not a web page")
    match = _CHARSET.search(kind)
    try:
        text = fetched.body.decode(match.group(1) if match else "utf-8", "replace")
    except LookupError:  # a charset Python does not know
        text = fetched.body.decode("utf-8", "replace")
    return parse_html(Source(path=Path(urlsplit(url).path or "page"), rel=url, text=text, id_base=url))[0].text


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()
