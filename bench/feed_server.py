"""A real HTTP server on 127.0.0.1 for bench/feeds.py and the feed tests: feeds and article pages.

`FeedServer` serves whatever its `routes` hold (path -> `Route`), answers a matching
If-None-Match with 304 as a polite server does, can delay a route (a slow feed) or
trickle it, and records each request's path and headers so a test can check what
newsdesk sent. It listens on loopback only; nothing here reaches further.
"""
from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape


@dataclass
class Route:
    body: bytes
    content_type: str = "application/rss+xml"
    status: int = 200
    delay: float = 0.0  # seconds before the answer (a slow server)
    trickle: float = 0.0  # seconds between 100-byte pieces of the body
    headers: dict = field(default_factory=dict)


class FeedServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                server.requests.append((self.path, dict(self.headers)))
                route = server.routes.get(self.path)
                if route is None:
                    self.send_error(404, "Not Found")
                    return
                time.sleep(route.delay)
                etag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
                if route.status == 200 and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body)))
                if route.status == 200:
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", formatdate(usegmt=True))
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    if route.trickle:
                        for start in range(0, len(route.body), 100):
                            self.wfile.write(route.body[start:start + 100])
                            self.wfile.flush()
                            time.sleep(route.trickle)
                    else:
                        self.wfile.write(route.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up, as it should on a slow feed

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def __enter__(self) -> "FeedServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class Story:
    slug: str
    title: str
    body: str
    summary: str = ""
    date: str = "Mon, 07 Dec 2026 10:00:00 +0000"
    author: str = "Ann Reporter"
    topics: tuple = ("Science",)


def rss(title: str, base: str, stories: list[Story], full: bool = True) -> bytes:
    """RSS 2.0 with content:encoded (full) or only a description (summary) per story."""
    items = []
    for s in stories:
        content = f"<content:encoded><![CDATA[<p>{s.body}</p>]]></content:encoded>" if full else ""
        cats = "".join(f"<category>{escape(t)}</category>" for t in s.topics)
        items.append(f"<item><title>{escape(s.title)}</title><link>{base}/news/{s.slug}.html?utm_source=rss</link>"
                     f"<guid>{base}/news/{s.slug}.html</guid><pubDate>{s.date}</pubDate>"
                     f"<dc:creator>{escape(s.author)}</dc:creator>{cats}"
                     f"<description>{escape('<p>' + (s.summary or s.body[:80]) + '</p>')}</description>{content}</item>")
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<channel><title>{escape(title)}</title><link>{base}/</link>{''.join(items)}</channel></rss>").encode()


def atom(title: str, base: str, stories: list[Story]) -> bytes:
    entries = "".join(
        f'<entry><title>{escape(s.title)}</title><link rel="alternate" href="/news/{s.slug}.html"/>'
        f"<id>urn:story:{s.slug}</id><updated>2026-12-07T10:00:00Z</updated><author><name>{escape(s.author)}</name>"
        f'</author>{"".join(f"<category term={json.dumps(t)}/>" for t in s.topics)}'
        f'<summary>{escape(s.summary or s.body[:80])}</summary><content type="html">{escape("<p>" + s.body + "</p>")}'
        "</content></entry>" for s in stories)
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" xml:base="{base}/">'
            f"<title>{escape(title)}</title><link href=\"{base}/\"/>{entries}</feed>").encode()


def json_feed(title: str, base: str, stories: list[Story]) -> bytes:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": title, "home_page_url": base + "/",
                       "items": [{"id": s.slug, "url": f"{base}/news/{s.slug}.html", "title": s.title,
                                  "content_html": f"<p>{s.body}</p>", "date_published": "2026-12-07T10:00:00Z",
                                  "authors": [{"name": s.author}], "tags": list(s.topics)} for s in stories]}).encode()


def page(story: Story) -> bytes:
    """An article page: navigation and a footer around the story, as a site serves it."""
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in story.body.split("\n\n"))
    return (f"<!DOCTYPE html><html><head><title>{escape(story.title)}</title></head><body>"
            "<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
            f"<article><h1>{escape(story.title)}</h1>{paragraphs}</article>"
            "<footer>Copyright The Local Paper. All rights reserved.</footer></body></html>").encode()
