"""The OpenAI chat API of `newsdesk serve`, driven with the official `openai` client against a real server.

The server is `python -m ui.cli serve` in its own process over a seed index with the real model and a
password, on a free 127.0.0.1 port; the client is the one people point at it (Open WebUI and LibreChat
speak the same protocol). Plain and streamed answers, a follow-up, a wrong password, filters that
exclude everything, and refusals in OpenAI's error shape.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from index.ingest import ingest
from index.settings import IndexSettings
from tests.conftest import ROOT, SEEDS
from tests.test_ui import SORA, SORA_QUESTION, _free_port

pytestmark = pytest.mark.model

PASSWORD = "open sesame, said the newsroom"
CITY_BRAIN = "What does Alibaba's City Brain try to optimize?"


@pytest.fixture(scope="module")
def served(tmp_path_factory, real_encoder):
    """(base url of the API, the server's printed lines)."""
    base = tmp_path_factory.mktemp("openai-api")
    ingest([SEEDS], base / "idx", real_encoder, IndexSettings())
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), NEWSDESK_PASSWORD=PASSWORD)
    proc = subprocess.Popen([sys.executable, "-m", "ui.cli", "serve", "--index", str(base / "idx"), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=base)
    lines = []
    try:
        for line in proc.stdout:  # the serving lines come once the server answers
            lines.append(line)
            if line.startswith("newsdesk: OpenAI chat API"):
                break
        assert proc.poll() is None, "".join(lines)
        yield f"http://127.0.0.1:{port}/v1", lines
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def _client(url: str, key: str = PASSWORD):
    from openai import OpenAI

    return OpenAI(base_url=url, api_key=key, max_retries=0, timeout=120)


def test_serve_names_the_api_and_lists_its_model(served):
    url, lines = served
    assert f"newsdesk: OpenAI chat API at {url} (model \"newsdesk\"; the password is its API key)\n" in lines
    assert [m.id for m in _client(url).models.list()] == ["newsdesk"]


def test_plain_answer_keeps_its_markers_and_lists_its_sources(served):
    done = _client(served[0]).chat.completions.create(
        model="newsdesk", messages=[{"role": "user", "content": SORA_QUESTION}], temperature=0.2)
    message = done.choices[0].message
    text, citations = message.content, message.citations
    assert done.object == "chat.completion" and done.choices[0].finish_reason == "stop"
    assert "computing power" in text and "[1]" in text
    body, sources = text.split("\n\nSources:\n")
    first = citations[0]
    assert first["n"] == 1 and first["url"] == SORA and first["title"] == "AI industrial chain spurred on by Sora"
    assert sources.splitlines()[0] == (f"- [1] [AI industrial chain spurred on by Sora](<{SORA}>), "
                                       f"{first['outlet']}, {first['date']}")
    assert len(sources.splitlines()) == len(citations)
    assert all(q["text"] in body for c in citations for q in c["quotes"]), "every quoted span is in the answer"
    assert done.newsdesk["abstained"] is False and done.newsdesk["answerer"] == "extractive"


def test_streamed_answer_is_the_plain_one_in_openais_chunks_with_citations_at_the_end(served):
    client = _client(served[0])
    plain = client.chat.completions.create(model="newsdesk", messages=[{"role": "user", "content": SORA_QUESTION}])
    started = time.monotonic()
    chunks = list(client.chat.completions.create(
        model="newsdesk", messages=[{"role": "user", "content": SORA_QUESTION}], stream=True))
    print(f"\nstreamed {len(chunks)} chunks in {time.monotonic() - started:.2f} s")
    assert all(c.object == "chat.completion.chunk" and c.id == chunks[0].id for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == plain.choices[0].message.content
    pieces = [c.choices[0].delta.content for c in chunks if c.choices[0].delta.content]
    assert len(pieces) >= 2 and pieces[-1].startswith("\n\nSources:\n- [1] "), "the answer's text, then its sources"
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop" and [c.choices[0].finish_reason for c in chunks[:-1]] == [None] * (len(chunks) - 1)
    assert last.citations == plain.choices[0].message.citations and last.citations[0]["url"] == SORA


def test_follow_up_is_resolved_from_the_conversation_like_the_web_chat(served):
    client = _client(served[0])
    first = client.chat.completions.create(model="newsdesk", messages=[{"role": "user", "content": CITY_BRAIN}])
    conversation = [{"role": "system", "content": "You are a helpful assistant."},
                    {"role": "user", "content": CITY_BRAIN},
                    {"role": "assistant", "content": first.choices[0].message.content},
                    {"role": "user", "content": [{"type": "text", "text": "And what about Baidu?"}]}]
    done = client.chat.completions.create(model="newsdesk", messages=conversation)
    text = done.choices[0].message.content
    assert text.startswith("Baidu: Known as China’s “Google,” Baidu has focused heavily on autonomous driving")
    assert "City Brain" not in text.split("\n\nSources:")[0]
    assert "Baidu" in done.newsdesk["query"] and "City Brain" not in done.newsdesk["query"]


def test_wrong_or_missing_password_is_refused_with_401_in_openais_shape(served):
    import httpx
    import openai

    url = served[0]
    for key in ("not the password", PASSWORD.upper()):
        with pytest.raises(openai.AuthenticationError) as caught:
            _client(url, key).chat.completions.create(model="newsdesk", messages=[{"role": "user", "content": "Sora?"}])
        assert caught.value.status_code == 401 and caught.value.code == "invalid_api_key"
    with pytest.raises(openai.AuthenticationError):
        _client(url, "wrong").models.list()
    bare = httpx.post(f"{url}/chat/completions", json={"model": "newsdesk", "messages": []}, timeout=30)
    assert bare.status_code == 401 and set(bare.json()["error"]) == {"message", "type", "code", "param"}
    assert "Bearer" in bare.json()["error"]["message"] and bare.headers["www-authenticate"] == "Bearer"


def test_filters_that_exclude_everything_say_so_in_the_answer(served):
    client = _client(served[0])
    for stream in (False, True):
        done = client.chat.completions.create(model="newsdesk", messages=[{"role": "user", "content": CITY_BRAIN}],
                                              extra_body={"newsdesk": {"since": "2030-01-01", "outlets": []}},
                                              stream=stream)
        if stream:
            chunks = list(done)
            text, citations = "".join(c.choices[0].delta.content or "" for c in chunks), chunks[-1].citations
        else:
            text, citations = done.choices[0].message.content, done.choices[0].message.citations
        assert "No article matches the filters (from 2030-01-01)." in text and "newsdesk.outlets" in text
        assert "The articles run from 2024-02-21 to 2024-03-07" in text and citations == []


@pytest.mark.parametrize("body, status, words", [
    ({"newsdesk": {"outlet": ["Forbes"]}}, 400, "newsdesk.outlet is not a filter; use outlets, topics, since, until"),
    ({"newsdesk": {"since": "last tuesday"}}, 400, "since date 'last tuesday' is not a date"),
    ({"newsdesk": {"topics": [3]}}, 400, "newsdesk.topics is [3]; send a list of names"),
    ({"newsdesk": "Forbes"}, 400, "newsdesk is a str"),
    ({"model": "gpt-4o"}, 404, "model 'gpt-4o' is not served here; use one of newsdesk"),
    ({"messages": [{"role": "user", "content": "Sora?"}, {"role": "assistant", "content": "Yes."}]}, 400,
     "the last message must be the user's question"),
    ({"messages": [{"role": "user", "content": "   "}]}, 400, "the question is empty"),
    ({"messages": [{"role": "wizard", "content": "Sora?"}]}, 400, "messages[0] has role 'wizard'"),
    ({"stream": "yes"}, 400, "stream is 'yes', not true or false"),
])
def test_bad_requests_are_refused_plainly_in_openais_error_shape(served, body, status, words):
    import openai

    request = {"model": "newsdesk", "messages": [{"role": "user", "content": SORA_QUESTION}]} | body
    extra = {k: v for k, v in request.items() if k not in ("model", "messages")}
    for stream in (False, True):
        with pytest.raises(openai.APIStatusError) as caught:
            _client(served[0]).chat.completions.create(model=request["model"], messages=request["messages"],
                                                       extra_body=extra | {"stream": extra.get("stream", stream)})
        assert caught.value.status_code == status and words in caught.value.message, caught.value.message
        assert "Traceback" not in caught.value.message and str(ROOT) not in caught.value.message


def test_oversized_and_unreadable_bodies_and_unknown_paths(served):
    import httpx

    url, key = served[0], {"Authorization": f"Bearer {PASSWORD}"}
    with httpx.Client(timeout=30, headers=key) as http:
        big = http.post(f"{url}/chat/completions", content=b'{"messages": "' + b"x" * 1_100_000 + b'"}',
                        headers={"content-type": "application/json"})
        assert big.status_code == 413 and big.json()["error"]["code"] == "request_too_large"
        garbled = http.post(f"{url}/chat/completions", content=b"{not json")
        assert garbled.status_code == 400 and "not JSON" in garbled.json()["error"]["message"]
        unknown = http.get(f"{url}/embeddings")
        assert unknown.status_code == 404 and "POST /v1/chat/completions" in unknown.json()["error"]["message"]
