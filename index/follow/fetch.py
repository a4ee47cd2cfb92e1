"""Polite, bounded HTTP GETs of feeds and article pages: the one module that speaks HTTP (urllib).

Only http(s) is ever opened (the opener has no file, ftp or data handler, and a
redirect elsewhere is refused), redirects are bounded, every request names
newsdesk in its User-Agent, a feed is asked for conditionally (ETag /
Last-Modified, so an unchanged feed costs the server a 304), the body is read up
to a size cap and a deadline, and a failure that may pass (a timeout, a refused
connection, 429 or 5xx) is retried a bounded number of times with a growing
pause. Every failure is one `FetchFailed` whose message says what happened; this
module must not parse what it fetched.
"""
from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message

from index.errors import NewsdeskError
from index.follow.spec import check_url

USER_AGENT = "newsdesk/0.1 (feed follower; +https://github.com/newsdesk)"
FEED_ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
               "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5")
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
MAX_REDIRECTS = 5
_CHUNK = 64 * 1024


class FetchFailed(NewsdeskError):
    """A url could not be fetched; `retry` when trying again later may help."""

    def __init__(self, problem: str, fix: str = "", retry: bool = False) -> None:
        super().__init__(problem, fix)
        self.retry = retry


@dataclass(frozen=True, slots=True)
class Limits:
    """What one fetch may cost: seconds per socket wait and in all, bytes, tries, the first pause between tries."""

    timeout: float = 10.0
    deadline: float = 30.0
    max_bytes: int = 10 * 1024 * 1024
    retries: int = 2
    backoff: float = 2.0


@dataclass(frozen=True, slots=True)
class Fetched:
    """A response: status 200 with its body, or 304 (not modified) with none; the validators to send next time."""

    url: str
    status: int
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    content_type: str = ""


class _Redirects(urllib.request.HTTPRedirectHandler):
    max_redirections = MAX_REDIRECTS
    max_repeats = 2

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102 (urllib's hook)
        try:
            check_url(newurl, "redirect to")
        except NewsdeskError as exc:
            raise FetchFailed(f"was redirected to a url that is not http(s) ({newurl[:120]})",
                              "follow the feed's http(s) address") from exc
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener() -> urllib.request.OpenerDirector:
    opener = urllib.request.OpenerDirector()
    for handler in (urllib.request.ProxyHandler(), urllib.request.HTTPHandler(), urllib.request.HTTPSHandler(),
                    _Redirects(), urllib.request.HTTPErrorProcessor(), urllib.request.HTTPDefaultErrorHandler()):
        opener.add_handler(handler)
    return opener


def fetch(url: str, limits: Limits = Limits(), *, etag: str | None = None, last_modified: str | None = None,
          accept: str = FEED_ACCEPT) -> Fetched:
    """GET `url` with bounded retries; `FetchFailed` (one line) when it cannot be had."""
    check_url(url)
    pause = limits.backoff
    for attempt in range(limits.retries + 1):
        try:
            return _get(url, limits, etag, last_modified, accept)
        except FetchFailed as exc:
            if not exc.retry or attempt == limits.retries:
                raise
        time.sleep(pause)
        pause *= 2
    raise AssertionError("unreachable")


def _get(url: str, limits: Limits, etag: str | None, last_modified: str | None, accept: str) -> Fetched:
    headers = {"User-Agent": USER_AGENT, "Accept": accept, "Accept-Encoding": "identity"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    started = time.monotonic()
    try:
        with _opener().open(urllib.request.Request(url, headers=headers), timeout=limits.timeout) as response:
            body = _read(response, limits, started)
            return Fetched(response.geturl(), response.status, body, response.headers.get("ETag"),
                           response.headers.get("Last-Modified"), response.headers.get("Content-Type", ""))
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return Fetched(url, 304, etag=exc.headers.get("ETag") or etag,
                           last_modified=exc.headers.get("Last-Modified") or last_modified)
        if exc.code in (301, 302, 303, 307, 308):  # urllib gave up on it: a loop, too many, or a scheme it refuses
            target = str(exc.headers.get("Location") or "")
            if target.split(":", 1)[0].lower() in ("http", "https") or ":" not in target.split("/", 1)[0]:
                raise FetchFailed(f"was redirected more than {MAX_REDIRECTS} times or in a loop",
                                  "follow the final address") from None
            raise FetchFailed(f"was redirected to a url that is not http(s) ({target[:120]})",
                              "follow the feed's http(s) address") from None
        raise FetchFailed(f"answered HTTP {exc.code} {exc.reason}", _fix_for(exc.code, exc.headers),
                          retry=exc.code == 429 or exc.code >= 500) from None
    except (TimeoutError, socket.timeout):
        raise FetchFailed(f"did not answer within {limits.timeout:g} s", "try again later", retry=True) from None
    except urllib.error.URLError as exc:
        reason = exc.reason if isinstance(exc.reason, str) else getattr(exc.reason, "strerror", None) or exc.reason
        timed_out = isinstance(exc.reason, (TimeoutError, socket.timeout))
        raise FetchFailed(f"could not be reached ({'timed out' if timed_out else reason})",
                          "check the address and the network", retry=True) from None
    except (OSError, ValueError) as exc:  # a reset connection, a malformed status line or header
        raise FetchFailed(f"could not be read ({type(exc).__name__}: {str(exc)[:120]})", "try again later",
                          retry=True) from None


def _read(response, limits: Limits, started: float) -> bytes:
    """The body, at most `max_bytes`, within `deadline` seconds of the request (a trickling server is cut off)."""
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > limits.max_bytes:
        raise FetchFailed(f"is {int(declared) / 1e6:.1f} MB, more than the {limits.max_bytes / 1e6:g} MB limit",
                          "follow a smaller feed (most list their latest 20-100 items)")
    parts, size = [], 0
    while True:
        if time.monotonic() - started > limits.deadline:
            raise FetchFailed(f"took more than {limits.deadline:g} s to send", "try again later", retry=True)
        chunk = response.read1(_CHUNK)  # what has arrived: read(n) would wait for all n bytes
        if not chunk:
            return b"".join(parts)
        size += len(chunk)
        if size > limits.max_bytes:
            raise FetchFailed(f"is more than the {limits.max_bytes / 1e6:g} MB limit",
                              "follow a smaller feed (most list their latest 20-100 items)")
        parts.append(chunk)


def _fix_for(code: int, headers: Message) -> str:
    if code in (404, 410):
        return "check the feed's address (it may have moved)"
    if code in (401, 403):
        return "the server refuses newsdesk; follow a public feed"
    if code == 429:
        return f"read it less often (the server asks to wait {headers.get('Retry-After') or 'a while'})"
    return "try again later"
