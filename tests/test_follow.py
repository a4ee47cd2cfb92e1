"""Followed feeds against a real HTTP server on 127.0.0.1: polite polling, new and changed items only, pages,
broken and slow feeds each one line while the others go on, and nothing indexed lost."""
from __future__ import annotations

import json

import pytest

from index.follow import FeedSpec, FollowOptions, Limits, follow, load_states, poll_feed
from index.ingest import IngestRun, ingest
from index.storage.layout import IndexDir
from bench.feed_server import FeedServer, Route, Story, atom, json_feed, page, rss

FAST = FollowOptions(limits=Limits(timeout=2.0, deadline=3.0, retries=1, backoff=0.05),
                     page_limits=Limits(timeout=2.0, deadline=3.0, retries=0))


def _stories(n: int, start: int = 0) -> list[Story]:
    return [Story(f"s{i}", f"Story {i}: the harbour wall", f"Paragraph one of story {i}, about the harbour wall.\n\n"
                  f"Paragraph two of story {i}: the council voted {i} to 2.", summary=f"Summary of story {i}.")
            for i in range(start, start + n)]


@pytest.fixture
def server():
    with FeedServer() as running:
        yield running


def _stored(index, encoder) -> dict:
    opened = IndexDir.open(index, encoder.model_id)
    try:
        return {doc_id: opened.store.document(doc_id) for doc_id in opened.store.doc_hashes()}
    finally:
        opened.close()


def test_three_kinds_of_feed_are_followed_politely_and_only_new_or_changed_items_are_ingested(server, tmp_path,
                                                                                              fake_encoder):
    index = tmp_path / "index"
    server.routes["/rss"] = Route(rss("Paper", server.base, _stories(3)))
    server.routes["/atom"] = Route(atom("Atom Paper", server.base, _stories(2, 10)), "application/atom+xml")
    server.routes["/json"] = Route(json_feed("JSON Paper", server.base, _stories(2, 20)), "application/feed+json")
    specs = [FeedSpec(server.url(p), 10) for p in ("/rss", "/atom", "/json")]
    results = []
    assert follow(specs, index, fake_encoder, options=FAST, once=True, report=results.append)
    assert [(r.items, r.new) for r in results] == [(3, 3), (2, 2), (2, 2)]
    docs = _stored(index, fake_encoder)
    assert len(docs) == 7 and docs[server.url("/news/s10.html")].outlet == "Atom Paper"
    assert all(h["User-Agent"].startswith("newsdesk/") for _, h in server.requests)

    fake_encoder.encoded.clear()
    results.clear()
    assert follow(specs, index, fake_encoder, options=FAST, once=True, report=results.append)
    assert all(r.not_modified for r in results) and fake_encoder.encoded == []  # 304: nothing parsed or embedded
    assert all(h.get("If-None-Match") for p, h in server.requests[-3:])

    stories = _stories(3)
    stories[1] = Story("s1", "Story 1: the harbour wall", "The council changed its mind about the wall.")
    server.routes["/rss"] = Route(rss("Paper", server.base, stories[1:] + _stories(2, 3)))  # s0 drops off the feed
    result = poll_feed(specs[0], index, fake_encoder, options=FAST)
    assert (result.items, result.new, result.changed, result.problems) == (4, 2, 1, ())
    assert result.report.added == 2 and result.report.updated == 1 and result.report.unchanged == 0
    docs = _stored(index, fake_encoder)
    assert docs[server.url("/news/s1.html")].text == "The council changed its mind about the wall."
    assert server.url("/news/s0.html") in docs and len(docs) == 9  # an item that left the feed keeps its article


def test_broken_slow_and_huge_feeds_are_one_line_each_and_the_others_go_on(server, tmp_path, fake_encoder):
    index = tmp_path / "index"
    big = rss("Huge", server.base, _stories(1)) + b" " * 200_000
    server.routes.update({
        "/good": Route(rss("Paper", server.base, _stories(2))),
        "/page": Route(b"<!DOCTYPE html><html><body><p>Welcome</p></body></html>", "text/html"),
        "/broken": Route(b'<?xml version="1.0"?><rss version="2.0"><channel><title>B</title><item><title>x'),
        "/slow": Route(rss("Slow", server.base, _stories(1, 50)), delay=3.0),
        "/trickle": Route(rss("Trickle", server.base, _stories(3, 60)), trickle=0.5),
        "/huge": Route(big),
        "/nolink": Route(rss("Paper", server.base, _stories(1, 70)).replace(b"<link>", b"<x>").replace(b"</link>", b"</x>")
                         .replace(b"<guid>", b"<y>").replace(b"</guid>", b"</y>")),
    })
    paths = ["/missing", "/page", "/broken", "/slow", "/trickle", "/huge", "/nolink", "/good"]
    options = FollowOptions(limits=Limits(timeout=1.0, deadline=2.0, max_bytes=100_000, retries=1, backoff=0.05))
    results = []
    clean = follow([FeedSpec(server.url(p), 10) for p in paths], index, fake_encoder, options=options, once=True,
                   report=results.append)
    assert clean is False
    lines = {r.url.removeprefix(server.base): r.lines() for r in results}
    assert lines["/missing"] == [server.url("/missing") + ": answered HTTP 404 Not Found: check the feed's address "
                                 "(it may have moved)"]
    assert "HTML" in lines["/page"][0] and "did not answer within 1 s" in lines["/slow"][0]
    assert "took more than 2 s" in lines["/trickle"][0] and "more than the 0.1 MB limit" in lines["/huge"][0]
    assert "has no http(s) link" in lines["/nolink"][1]
    assert all(len(v) == 1 for k, v in lines.items() if k not in ("/nolink", "/broken", "/good"))
    assert all(line.startswith(server.url(k)) for k, v in lines.items() for line in v)  # each names its feed
    assert set(_stored(index, fake_encoder)) == {server.url("/news/s0.html"), server.url("/news/s1.html")}
    states = load_states(index)
    assert states[server.url("/missing")].error and states[server.url("/good")].last_ok


def test_a_redirect_is_followed_but_never_to_another_scheme_or_round_a_loop(server, tmp_path, fake_encoder):
    server.routes["/old"] = Route(b"", status=301, headers={"Location": "/new"})
    server.routes["/new"] = Route(rss("Paper", server.base, _stories(1)))
    server.routes["/file"] = Route(b"", status=302, headers={"Location": "file:///etc/passwd"})
    server.routes["/loop"] = Route(b"", status=302, headers={"Location": "/loop"})
    index = tmp_path / "index"
    assert poll_feed(FeedSpec(server.url("/old"), 10), index, fake_encoder, options=FAST).new == 1
    assert "not http(s)" in poll_feed(FeedSpec(server.url("/file"), 10), index, fake_encoder, options=FAST).error
    assert "redirected" in poll_feed(FeedSpec(server.url("/loop"), 10), index, fake_encoder, options=FAST).error


def test_fetch_pages_indexes_the_article_and_a_failed_page_keeps_the_summary(server, tmp_path, fake_encoder):
    stories = _stories(3)
    server.routes["/feed"] = Route(rss("Paper", server.base, stories, full=False))
    for story in stories[:2]:
        server.routes[f"/news/{story.slug}.html"] = Route(page(story), "text/html; charset=utf-8")
    index = tmp_path / "index"
    result = poll_feed(FeedSpec(server.url("/feed"), 10), index, fake_encoder,
                       options=FollowOptions(fetch_pages=True, limits=FAST.limits, page_limits=FAST.page_limits))
    docs = _stored(index, fake_encoder)
    assert docs[server.url("/news/s0.html")].text == stories[0].body.replace("\n\n", "\n")  # no menu, no footer
    assert docs[server.url("/news/s2.html")].text == "Summary of story 2."
    assert result.problems == (f"{server.url('/feed')}: the page of {server.url('/news/s2.html')} was not read "
                               "(answered HTTP 404 Not Found); its summary is indexed",)
    pages = sum(1 for path, _ in server.requests if path.startswith("/news/"))
    server.routes["/feed"] = Route(rss("Paper", server.base, stories, full=False) + b"\n")  # new bytes, same items
    poll_feed(FeedSpec(server.url("/feed"), 10), index, fake_encoder,
              options=FollowOptions(fetch_pages=True, limits=FAST.limits, page_limits=FAST.page_limits))
    assert sum(1 for path, _ in server.requests if path.startswith("/news/")) == pages  # unchanged items: no fetch


def test_an_item_never_replaces_an_article_from_another_source(server, tmp_path, fake_encoder):
    folder, index = tmp_path / "articles", tmp_path / "index"
    folder.mkdir()
    url = server.url("/news/s0.html")
    (folder / "mine.json").write_text(json.dumps({"title": "My copy", "body": "My own text.", "url": url}))
    ingest([folder], index, fake_encoder)
    server.routes["/feed"] = Route(rss("Paper", server.base, _stories(2)))
    result = poll_feed(FeedSpec(server.url("/feed"), 10), index, fake_encoder, options=FAST)
    assert result.problems == (f"{server.url('/feed')}: skipped {url}: an article with this url is already indexed "
                               "from another source",)
    docs = _stored(index, fake_encoder)
    assert docs[url].text == "My own text." and server.url("/news/s1.html") in docs
    assert len(list((index / "feeds").glob("*/*.json"))) == 1  # the refused item's file was removed


def test_a_rebuild_keeps_followed_items_and_a_lost_state_costs_only_a_full_read(server, tmp_path, fake_encoder):
    folder, index = tmp_path / "articles", tmp_path / "index"
    folder.mkdir()
    (folder / "a.md").write_text("# Local story\n\nSomething happened in town.\n")
    ingest([folder], index, fake_encoder)
    server.routes["/feed"] = Route(rss("Paper", server.base, _stories(2)))
    poll_feed(FeedSpec(server.url("/feed"), 10), index, fake_encoder, options=FAST)
    ingest([folder], index, fake_encoder, run=IngestRun(rebuild=True))
    assert len(_stored(index, fake_encoder)) == 3
    (index / "feeds" / ".state.json").write_text("{not json")
    result = poll_feed(FeedSpec(server.url("/feed"), 10), index, fake_encoder, options=FAST)
    assert (result.not_modified, result.new, result.changed, result.report) == (False, 0, 0, None)
    assert len(_stored(index, fake_encoder)) == 3 and load_states(index)[server.url("/feed")].etag


def test_items_written_before_an_ingest_that_did_not_happen_are_ingested_by_the_next_poll(server, tmp_path,
                                                                                         fake_encoder):
    from index.storage.folder import write_lock

    index = tmp_path / "index"
    server.routes["/feed"] = Route(rss("Paper", server.base, _stories(2)))
    spec = FeedSpec(server.url("/feed"), 10)
    busy = FollowOptions(limits=FAST.limits, wait=0.0)
    with write_lock(index):  # another writer holds the index
        result = poll_feed(spec, index, fake_encoder, options=busy)
    assert result.error.startswith("its items could not be indexed (index at") and "being written" in result.error
    assert not load_states(index)[spec.url].etag  # the feed is read in full next time
    result = poll_feed(spec, index, fake_encoder, options=busy)
    assert (result.error, result.report.added) == (None, 2) and len(_stored(index, fake_encoder)) == 2
