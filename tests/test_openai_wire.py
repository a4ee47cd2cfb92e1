"""The OpenAI chat API's parts that need no model: the request bound, the password guard beside the login
page, the sources as Markdown of hostile article strings, and the checks of a request. The server is the
real Gradio app on a free loopback port (the fake encoder); tests/test_openai_api.py drives the real model.
"""
from __future__ import annotations

import contextlib
import json

import pytest

from qa.answer.records import Answer, Citation, Quote
from tests.test_web_safety import PASSWORD, GatedEncoder, _serve, index_dir  # noqa: F401  (index_dir: fixture)
from ui.cited import citation_records, sources_markdown
from ui.openai_api import Slots
from ui.openai_wire import ApiError, conversation, request_filters

pytestmark = pytest.mark.filterwarnings("ignore:.*no_silent_downcasting", "ignore:The copy keyword is deprecated")


def _cited(title: str, url: str | None, outlet: str | None = "Wire") -> Answer:
    quote = Quote("The council met.", 0, 16)
    c = Citation(1, "doc", title, outlet, "2024-01-08", url, "The council met.", 0, 16, (quote,))
    return Answer("q", "The council met. [1]", (c,), False, ())


def test_sources_are_markdown_that_article_strings_cannot_take_over():
    hostile = _cited("Harbour](javascript:alert(1)) <img src=x onerror=alert(1)> *news*",
                     "https://news.example/a b?<x>(1)", outlet="[Evil](https://evil.example)")
    line = sources_markdown(hostile).splitlines()[-1]
    assert line == (r"- [1] [Harbour\](javascript:alert(1)) \<img src=x onerror=alert(1)\> \*news\*]"
                    r"(<https://news.example/ab?%3Cx%3E(1)>), \[Evil\](https://evil.example), 2024-01-08")
    assert sources_markdown(_cited("Plain", "javascript:alert(1)")).endswith("- [1] Plain, Wire, 2024-01-08")
    assert sources_markdown(Answer("q", "The indexed articles don't answer this.", (), True, ())) == ""
    assert citation_records(hostile)[0]["quotes"] == [{"text": "The council met.", "start": 0, "end": 16,
                                                       "contradicts": False}]


def test_the_bound_admits_the_running_and_the_waiting_then_refuses_at_once():
    slots = Slots(running=2, waiting=1)
    releases = [slots.admit() for _ in range(3)]
    with pytest.raises(ApiError) as full:
        slots.admit()
    assert full.value.status == 429 and full.value.code == "queue_full"
    releases[0]()
    releases[0]()  # a second release (the stream's end, then its background task) frees one place only
    slots.admit()
    with pytest.raises(ApiError):
        slots.admit()


@pytest.mark.parametrize("messages, words", [
    ("Sora?", "messages must be a non-empty list"),
    ([], "messages must be a non-empty list"),
    ([{"content": "Sora?"}], "messages[0] has role None"),
    (["Sora?"], "messages[0] has role None"),
    ([{"role": "system", "content": "Be brief."}], "the last message must be the user's question"),
])
def test_a_conversation_without_a_users_question_is_refused(messages, words):
    with pytest.raises(ApiError, match=words.replace("[", r"\[").replace("?", r"\?")):
        conversation(messages)


def test_the_conversation_and_filters_read_as_the_web_chat_reads_them():
    question, history = conversation([
        {"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "Who built Sora?"},
        {"role": "assistant", "content": None, "tool_calls": []},
        {"role": "user", "content": [{"type": "text", "text": "And"}, {"type": "text", "text": "why?"}]}])
    assert question == "And why?" and history == [{"role": "user", "content": "Who built Sora?"},
                                                   {"role": "assistant", "content": ""}]
    assert request_filters(None) is None and request_filters({"outlets": [], "since": ""}) is None
    f = request_filters({"outlets": "China Daily", "topics": ["ai"], "since": "2024-02", "until": "2024-02"})
    assert (f.outlets, f.topics, f.date_from, f.date_to) == (("China Daily",), ("ai",), "2024-02-01", "2024-02-29")
    with pytest.raises(ApiError, match="newsdesk.until is 20240301"):
        request_filters({"until": 20240301})


def test_with_a_password_the_page_still_asks_for_a_login_and_the_api_for_the_bearer(index_dir):  # noqa: F811
    import httpx

    app, url, desk = _serve(index_dir, password=PASSWORD)
    try:
        with httpx.Client(timeout=30) as http:
            assert "gradio_api_info = {}" in http.get(url).text  # the login page, the app's API hidden
            ok = http.get(f"{url}v1/models", headers={"Authorization": f"Bearer {PASSWORD}"})
            assert ok.status_code == 200 and [m["id"] for m in ok.json()["data"]] == ["newsdesk"]
            for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {PASSWORD}"}):
                refused = http.get(f"{url}v1/models", headers=headers)
                assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key"
    finally:
        app.close()
        desk.retriever.close()


def test_a_full_queue_refuses_api_questions_at_once_in_openais_shape(index_dir):  # noqa: F811
    import httpx

    encoder = GatedEncoder()
    app, url, desk = _serve(index_dir, encoder=encoder, queue_max=1)
    body = {"model": "newsdesk", "messages": [{"role": "user", "content": "What did the harbour council approve?"}]}
    try:
        encoder.gate.clear()  # answers wait at the gate: 2 answering + 1 waiting fill the bound
        with httpx.Client(timeout=120) as http, contextlib.ExitStack() as held:
            streams = [held.enter_context(http.stream("POST", f"{url}v1/chat/completions", json=body | {"stream": True}))
                       for _ in range(3)]
            lines = [stream.iter_lines() for stream in streams]  # kept: a dropped iterator closes its stream
            for stream, read in zip(streams, lines):  # the role chunk comes once a request has its place
                assert stream.status_code == 200 and next(read).startswith("data: ")
            refused = http.post(f"{url}v1/chat/completions", json=body)
            assert refused.status_code == 429 and refused.json()["error"]["type"] == "rate_limit_error"
            encoder.gate.set()
            assert all("data: [DONE]" in list(read) for read in lines)
            assert http.post(f"{url}v1/chat/completions", json=body).status_code == 200  # the places came back
    finally:
        encoder.gate.set()
        app.close()
        desk.retriever.close()


def test_a_generative_answer_is_streamed_once_grounded_within_the_asked_max_tokens(index_dir):  # noqa: F811
    """The models with an `llm:` block, and a model's raw tokens never reaching the client before grounding
    (a scripted OpenAI-compatible model server, tests/llm_stub.py; the real one is tests/test_llm_server.py)."""
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from index.storage.layout import IndexDir
    from qa.config import Config
    from qa.config.blocks import LLMSettings
    from qa.retrieve.retriever import Retriever
    from tests.fakes import HashingEncoder
    from tests.llm_stub import Reply, Stub
    from ui.desk import Desk
    from ui.openai_api import ChatApi

    said = "The rail strike ended on Tuesday [1]."
    ask = {"model": "newsdesk-generative", "messages": [{"role": "user", "content": "When did the rail strike end?"}]}
    with Stub([Reply(["The rail strike ", "ended on Tuesday [1]."])] * 2) as stub:
        config = Config(llm=LLMSettings(base_url=stub.base_url, model="stub", max_tokens=300))
        desk = Desk(Retriever(IndexDir.open(index_dir), HashingEncoder()), config)
        with TestClient(Starlette(routes=ChatApi(desk, 2, 4).routes())) as http:
            models = [m["id"] for m in http.get("/v1/models").json()["data"]]
            whole = http.post("/v1/chat/completions", json=ask | {"max_tokens": 50}).json()
            with http.stream("POST", "/v1/chat/completions", json=ask | {"stream": True, "max_tokens": 9000}) as s:
                events = [line[6:] for line in s.iter_lines() if line.startswith("data: ")]
            refused = http.post("/v1/chat/completions", json=ask | {"max_tokens": "lots"})
        desk.retriever.close()
    assert models == ["newsdesk", "newsdesk-extractive", "newsdesk-generative"]
    assert [r["body"]["max_tokens"] for r in stub.requests] == [50, 300]  # a request may lower it, never raise it
    message = whole["choices"][0]["message"]
    assert message["content"].startswith(said + "\n\nSources:\n- [1] ") and message["citations"][0]["title"] == "Rail strike ends"
    assert whole["newsdesk"]["answerer"] == "generative"
    chunks = [json.loads(e) for e in events[:-1]]
    assert events[-1] == "[DONE]" and chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    texts = [c["choices"][0]["delta"].get("content") for c in chunks[1:] if c["choices"][0]["delta"].get("content")]
    assert texts == [message["content"]], "the grounded answer in one piece, not the model's raw tokens"
    assert chunks[-1]["citations"] == message["citations"] and chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert refused.status_code == 400 and "max_tokens is 'lots'" in refused.json()["error"]["message"]
