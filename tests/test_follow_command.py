"""`newsdesk follow`, the config's `feeds:` and `newsdesk serve`'s background follower, against a local server."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from index.errors import ConfigError
from index.follow import FeedSpec, FollowOptions, Limits, poll_feed
from index.ingest import ingest
from index.storage.layout import IndexDir
from qa.answer.extractive import ExtractiveAnswerer
from qa.config import load_config
from qa.retrieve.retriever import Retriever
from tests.conftest import ROOT
from bench.feed_server import FeedServer, Route, Story, json_feed, rss
from ui import render
from ui.desk import Desk

STORY = Story("eel", "Glass eels return to the river", "Thousands of glass eels swam up the Severn this week, "
              "the first large return in a decade, river wardens said.")


@pytest.fixture
def server():
    with FeedServer() as running:
        yield running


def _cli(*args: str, cwd) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("NEWSDESK_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "tests.fake_cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_follow_once_prints_a_line_per_feed_and_exits_non_zero_when_one_failed(server, tmp_path):
    server.routes["/feed"] = Route(rss("River News", server.base, [STORY]))
    index = str(tmp_path / "index")
    run = _cli("follow", server.url("/feed"), server.url("/gone"), "--once", "--index", index, cwd=tmp_path)
    assert run.returncode == 1
    assert run.stdout == f"{server.url('/feed')}: 1 item, 1 new, 0 changed; 1 passage indexed, the index holds 1 article\n"
    assert run.stderr == (f"newsdesk: {server.url('/gone')}: answered HTTP 404 Not Found: check the feed's address "
                          "(it may have moved)\n")
    again = _cli("follow", server.url("/feed"), "--once", "--index", index, cwd=tmp_path)
    assert (again.returncode, again.stdout) == (0, f"{server.url('/feed')}: not modified since the last read\n")


@pytest.mark.parametrize("args,message", [
    (("follow", "--once"), "no feed to follow"),
    (("follow", "file:///etc/passwd", "--once"), "is not an http(s) url"),
    (("follow", "https://a.example/feed", "--every", "2s"), "outside 10 s..24 h"),
    (("--config", "bad.yaml", "follow", "--once"), "unknown key feeds[1].intervl"),
])
def test_follow_mistakes_are_one_clear_line(tmp_path, args, message):
    (tmp_path / "bad.yaml").write_text("feeds:\n  - url: https://a.example/feed\n    intervl: 15m\n")
    run = _cli(*args, cwd=tmp_path)
    assert run.returncode == 2 and message in run.stderr and len(run.stderr.strip().splitlines()) == 1, run.stderr


def test_the_feeds_block_is_checked_like_the_other_blocks(tmp_path):
    path = tmp_path / "newsdesk.yaml"
    path.write_text("feeds:\n  - url: https://a.example/rss\n    interval: 1h\n  - https://b.example/atom\n")
    assert load_config(path).feeds == (FeedSpec("https://a.example/rss", 3600.0), FeedSpec("https://b.example/atom"))
    for text, message in [("feeds: https://a.example/rss\n", "must be a list"),
                          ("feeds:\n  - interval: 15m\n", "has no url"),
                          ("feeds:\n  - url: https://a.example/rss\n    interval: often\n", "is not a duration"),
                          ("feeds:\n  - url: javascript:alert(1)\n", "is not an http(s) url")]:
        path.write_text(text)
        with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
            load_config(path)


def test_serve_follows_the_configured_feeds_and_the_summary_says_when(server, tmp_path, fake_encoder):
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "a.md").write_text("# Town hall\n\nThe town hall reopened.\n")
    ingest([tmp_path / "articles"], tmp_path / "idx", fake_encoder)
    server.routes["/feed"] = Route(json_feed("River News", server.base, [STORY]), "application/feed+json")
    config_file = tmp_path / "newsdesk.yaml"
    config_file.write_text(f"feeds:\n  - url: {server.url('/feed')}\n    interval: 10s\n")
    retriever = Retriever(IndexDir.open(tmp_path / "idx", fake_encoder.model_id), fake_encoder)
    desk = Desk(retriever, load_config(config_file), answerer=ExtractiveAnswerer(fake_encoder, threshold=0.3))
    assert "not read yet" in render.summary_html(desk.summary())
    stop, polled = threading.Event(), threading.Event()
    thread = desk.follow_feeds(stop, report=lambda result: polled.set(),
                               options=FollowOptions(limits=Limits(timeout=2, deadline=3, retries=0)))
    try:
        assert polled.wait(60)
        deadline = time.monotonic() + 10
        while desk.summary().documents < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        summary = desk.summary()
        assert summary.documents == 2 and summary.feeds[0][1] is not None and summary.feeds[0][2] is None
        assert "feed 127.0.0.1 read 20" in render.summary_html(summary)
        hits = desk.retriever.search("glass eels Severn", k=1)
        assert hits[0].url == server.url("/news/eel.html") and hits[0].outlet == "River News"
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


@pytest.mark.model
def test_a_followed_item_is_answerable_with_the_real_model(server, tmp_path, real_encoder):
    server.routes["/feed"] = Route(rss("River News", server.base, [STORY]))
    poll_feed(FeedSpec(server.url("/feed"), 10), tmp_path / "idx", real_encoder)
    retriever = Retriever(IndexDir.open(tmp_path / "idx", real_encoder.model_id), real_encoder)
    hit = retriever.search("Which river did the young eels swim up?", k=1)[0]
    assert hit.url == server.url("/news/eel.html") and "Severn" in hit.text
