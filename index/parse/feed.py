"""News feeds (RSS 0.9x/1.0/2.0, Atom, JSON Feed) to `Document`s, one per item.

fastfeedparser is imported here only (lazily): it reads all three families, about
fifty times faster than feedparser 6, which does not read JSON Feed at all (docs/
ARCHITECTURE.md, "Feeds"). It is only ever handed the document itself, never a
string it could take for a url and fetch. Each item becomes an article: its link
(made absolute, canonical) is the id, the feed's title or else the link's site the
outlet, categories the topics, and the full content (`content:encoded`, Atom
`content`, JSON `content_html`/`content_text`) or else the summary the text, HTML
reduced to text by the HTML path of `markup.py`. An item without a usable link is
one problem naming the item; the other items are kept.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from index.document import Document
from index.parse import fields
from index.parse.markup import html_text
from index.parse.records import documents_from_record
from index.parse.source import Source

FEED_SUFFIXES = frozenset({".rss", ".atom", ".xml"})
JSON_FEED_VERSION = "https://jsonfeed.org/version/"
NOT_A_FEED_FIX = "give an RSS, Atom or JSON Feed document (a web page's feed link, often /feed or /rss)"
_NO_LINK_FIX = "give each item a link (RSS <link>, Atom <link href>, JSON Feed url), or leave it out"
_MARKUP = re.compile(r"<[A-Za-z/!]|&[#A-Za-z0-9]+;")
_FEED_START = re.compile(r"\A[\ufeff\s]*[<{]")


@dataclass(frozen=True, slots=True)
class Item:
    """One item of a feed as an article; `full` when the feed carried its content, not only a summary."""

    document: Document
    full: bool


@dataclass(frozen=True, slots=True)
class Feed:
    """A parsed feed: its title and home link (either may be missing) and its usable items, in feed order."""

    title: str | None
    link: str | None
    items: tuple[Item, ...]


def parse_feed(source: Source) -> list[Document]:
    """The articles of a feed file; per-item problems go to `source.problems`."""
    return [item.document for item in read_feed(source.text, source).items]


def is_json_feed(value: object) -> bool:
    """Whether a loaded JSON value is a JSON Feed (an object whose `version` is the spec's url)."""
    return isinstance(value, dict) and str(value.get("version", "")).startswith(JSON_FEED_VERSION)


def read_feed(data: str | bytes, source: Source, base_url: str | None = None) -> Feed:
    """Parse `data` (a file's text or a fetched body) as a feed; raises `ParseError` when it is not one.

    `source` names the feed in problems (a file, or a followed url) and collects the
    per-item ones; `base_url` (where the feed was fetched) resolves relative links.
    """
    head = data[:64].decode("utf-8", "replace") if isinstance(data, bytes) else data[:64]
    if not _FEED_START.match(head):  # also keeps a text such as "https://..." from being fetched by the parser
        raise source.error("is not a feed (it does not start with XML or JSON)", NOT_A_FEED_FIX)
    parsed = _parse(data, source)
    meta = parsed.get("feed") or {}
    title = fields.as_line(meta.get("title"))
    link = _absolute(meta.get("link"), base_url) or base_url
    items = []
    for position, entry in enumerate(parsed.get("entries") or [], start=1):
        item = _item(entry, position, title, link, source)
        if item is not None:
            items.append(item)
    if not items and not source.problems:
        source.problems.append(source.error("feed has no items", "check that the feed lists articles"))
    return Feed(title, link, tuple(items))


def _parse(data: str | bytes, source: Source) -> dict:
    import fastfeedparser  # lazy: only feeds need it

    try:
        parsed = fastfeedparser.parse(data)
    except Exception as exc:  # lxml and the parser raise many types on hostile input; one feed must not stop others
        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        raise source.error(f"is not a readable feed ({reason})", NOT_A_FEED_FIX) from exc
    if not isinstance(parsed, dict):
        raise source.error("is not a readable feed", NOT_A_FEED_FIX)
    return parsed


def _item(entry: dict, position: int, feed_title: str | None, feed_link: str | None, source: Source) -> Item | None:
    title = fields.as_line(_plain(entry.get("title")))
    what = f"item {position}" + (f" ({title[:60]!r})" if title else "")
    link = _link(entry, feed_link)
    if link is None:
        source.problems.append(source.error(f"{what} has no http(s) link; skipped", _NO_LINK_FIX))
        return None
    content = _content(entry)
    summary = _summary(entry)
    text = content or summary or ""
    domain = urlsplit(link).hostname or ""
    record = {
        "title": title,
        "url": link,
        "date": entry.get("published") or entry.get("updated"),
        "author": entry.get("author") or [a.get("name") for a in entry.get("authors") or [] if isinstance(a, dict)],
        "outlet": feed_title or _site(domain),
        "domain": domain or None,
        "topics": [t.get("term") for t in entry.get("tags") or [] if isinstance(t, dict) and t.get("term")],
    }
    documents = documents_from_record(record, source, fallback_id=link, text=text)
    if not documents:
        return None
    return Item(documents[0], full=bool(content) and len(content) > len(summary or ""))


def _link(entry: dict, feed_link: str | None) -> str | None:
    """The item's article url: its link (an alternate link for Atom), else an id that is an http(s) url."""
    candidates = [entry.get("link")]
    candidates += [link.get("href") for link in entry.get("links") or []
                   if isinstance(link, dict) and link.get("rel") in (None, "alternate")]
    candidates.append(entry.get("id"))
    for candidate in candidates:
        url = fields.canonical_url(_absolute(candidate, feed_link))
        if url and urlsplit(url).scheme in ("http", "https") and urlsplit(url).hostname:
            return url
    return None


def _absolute(value: object, base: str | None) -> str | None:
    text = fields.as_line(value)
    if not text:
        return None
    try:
        return urljoin(base, text) if base else text
    except ValueError:  # a malformed IPv6 host, say
        return None


def _content(entry: dict) -> str:
    """The longest full content the item carries, as text."""
    texts = [_as_text(c.get("value"), str(c.get("type") or "html")) for c in entry.get("content") or []
             if isinstance(c, dict)]
    return max(texts, key=len, default="")


def _summary(entry: dict) -> str:
    return _as_text(entry.get("description") or entry.get("summary"), "html")


def _as_text(value: object, kind: str) -> str:
    """A content value as text: HTML (and RSS descriptions, which are HTML by custom) through `html_text`."""
    text = fields.as_text(value)
    if not text:
        return ""
    if "html" in kind.lower() and _MARKUP.search(text):
        return html_text(text)
    return text


def _plain(value: object) -> object:
    """A title that carries markup (`<b>`, `&amp;`) as text."""
    text = fields.as_text(value)
    return html_text(text) if text and _MARKUP.search(text) else value


def _site(domain: str) -> str | None:
    return domain.removeprefix("www.") or None


def json_feed_item(document: Document, outlet: str | None, extra: dict) -> str:
    """A one-item JSON Feed holding `document` as text (how a followed item is kept on disk and ingested).

    Read back by `parse_feed`, it gives the same article; `extra` is kept under
    `_newsdesk` (JSON Feed's place for extensions) and never read as content.
    """
    item = {"id": document.doc_id, "url": document.url, "title": document.title,
            "content_text": document.text, "date_published": document.published,
            "authors": [{"name": document.author}] if document.author else [],
            "tags": list(document.topics), "_newsdesk": extra}
    feed = {"version": JSON_FEED_VERSION + "1.1", "title": outlet or "", "items": [
        {k: v for k, v in item.items() if v not in (None, [], "")}]}
    return json.dumps(feed, ensure_ascii=False, indent=1, sort_keys=True)


__all__ = ["FEED_SUFFIXES", "Feed", "Item", "is_json_feed", "json_feed_item", "parse_feed", "read_feed"]
