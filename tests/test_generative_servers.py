"""The generative answerer against servers as people run them (issue #23, section 1), each case scripted on the
stub: reasoning models, replies cut at max_tokens or never ending, a JSON reply to a streaming request, citation
styles, time bounds, the cause of each error, secrets, server options (the prompt side: test_generative_prompt)."""
from __future__ import annotations

import json

import pytest

from qa.answer import verify
from qa.answer.extractive import ExtractiveAnswerer
from qa.answer.generative import CUT_SHORT, MAX_CLAIMS, GenerativeAnswerer
from qa.answer.llm import ChatClient
from qa.config import LLMSettings
from tests.llm_stub import Reply, Stall, Status, Stub, Whole, completion
from tests.test_answer import documents_of, final, query
from tests.test_generative import HITS, answerer

QUESTION = query("Who developed Sora?")
ANSWER = ["OpenAI [2]\n", "Sora was developed by OpenAI [2]. ", "Baidu focused on autonomous driving [1]."]
THOUGHT = "Okay, the user asks who made Sora. Passage [2] says OpenAI, so the answer is OpenAI."


def ask_stub(step, fake_encoder, hits=HITS, **settings):
    with Stub([step] if not isinstance(step, list) else step) as stub:
        pieces, answer = final(answerer(stub, fake_encoder, **settings).stream(QUESTION, hits))
    return pieces, answer, stub.requests


def assert_answered(answer, hits=HITS):
    assert answer.answerer == "generative" and answer.citations and verify(answer, documents_of(hits)) == []
    assert answer.text.splitlines()[-2 if answer.notice else 0].startswith("OpenAI") or "OpenAI" in answer.text


@pytest.mark.parametrize("step", [
    Reply(["<think>", THOUGHT, "</think>\n\n"] + ANSWER),
    Reply(["<think>\n" + THOUGHT[:30], THOUGHT[30:] + "</th", "ink>"] + ANSWER),
    Reply([THOUGHT, "\n</think>\n\n"] + ANSWER),  # the template opened the block: a lone </think>
    Reply(["We are asked who made Sora; passage [2] says OpenAI, which is what the user asks.", "</think>"] + ANSWER),
    Reply(ANSWER, reasoning=[THOUGHT[:40], THOUGHT[40:]]),
    Reply(ANSWER, reasoning=[THOUGHT], reasoning_field="reasoning"),
    Reply(["<|channel|>analysis<|message|>" + THOUGHT + "<|end|><|start|>assistant<|channel|>final<|message|>"] + ANSWER),
], ids=["think-tags", "tags-split-across-tokens", "lone-close", "lone-close-citing", "reasoning_content", "reasoning",
        "gpt-oss-channels"])
def test_reasoning_is_never_shown_nor_grounded(fake_encoder, step):
    pieces, answer, _ = ask_stub(step, fake_encoder)
    assert_answered(answer)
    shown = "".join(pieces) + answer.text + json.dumps([c.text for c in answer.claims])
    assert "user asks" not in shown and "think>" not in shown and "<|" not in shown
    assert answer.unsupported == 0 and answer.notice is None
    assert "".join(pieces) == "".join(ANSWER)  # the answer streamed, and only the answer


@pytest.mark.parametrize("step", [
    Reply([], reasoning=[THOUGHT] * 3, finish="length"),
    Reply(["<think>", THOUGHT, THOUGHT], finish="length"),
])
def test_thinking_that_uses_up_max_tokens_names_the_setting(fake_encoder, step):
    pieces, answer, _ = ask_stub(step, fake_encoder)
    assert answer.answerer == "extractive" and "llm.max_tokens" in answer.notice and "thinking" in answer.notice
    assert "user asks" not in "".join(pieces) + answer.text


def test_the_default_max_tokens_leaves_room_to_think(fake_encoder):
    _, _, requests = ask_stub(Reply(ANSWER), fake_encoder)
    assert requests[0]["body"]["max_tokens"] >= 1024


def test_a_reply_cut_at_max_tokens_is_marked_cut_short(fake_encoder):
    _, answer, _ = ask_stub(Reply(ANSWER[:2] + ["Baidu focused on autono"], finish="length"), fake_encoder)
    assert_answered(answer)
    assert "llm.max_tokens" in answer.notice and "cut short" in answer.notice and answer.text.endswith(CUT_SHORT)
    assert "autono" not in answer.text  # the unfinished sentence is not shown as a claim


@pytest.mark.parametrize("reply", [
    Reply(["Sora was developed by OpenAI [2]. " * 50], repeat=6000),  # ~10 MB in many pieces
    Reply(["Sora was developed by OpenAI [2]. " * 300_000]),  # ~10 MB in one piece
    Whole(completion("Sora was developed by OpenAI [2]. " * 300_000)),  # ~10 MB as one JSON reply
], ids=["many-pieces", "one-piece", "one-json-reply"])
def test_max_tokens_is_enforced_on_what_comes_back(fake_encoder, reply):
    _, answer, _ = ask_stub(reply, fake_encoder, max_tokens=100)
    assert_answered(answer)
    assert len(answer.text) < 5000 and len(answer.claims) <= MAX_CLAIMS
    assert "llm.max_tokens" in answer.notice and answer.text.endswith(CUT_SHORT)


@pytest.mark.parametrize("body, kind", [
    (completion("".join(ANSWER)), "application/json"),
    (completion("".join(ANSWER), reasoning=THOUGHT), "application/json"),
    (completion("<think>" + THOUGHT + "</think>" + "".join(ANSWER)), "application/json; charset=utf-8"),
    (completion("".join(ANSWER)), "text/event-stream"),
])
def test_a_json_reply_to_a_streaming_request_is_the_answer(fake_encoder, body, kind):
    _, answer, requests = ask_stub(Whole(body, kind), fake_encoder)
    assert requests[0]["body"]["stream"] is True
    assert_answered(answer)
    assert "user asks" not in answer.text and answer.notice is None


@pytest.mark.parametrize("cite", [
    "[2]", "[2][1]", "[2, 1]", "[1-2]", "(2)", "【2】", "【2†source】", "[Passage 2]", "[passages 1, 2]", "[^2]",
    "(Source 2)", ", Source 2", "(see passage 2)", "[[2]]", "[Document 2]", "(Passage 2, Passage 1)", "[2†L1-L3]",
    "²", "(Source: Passage 2)", "[Passage 2 - AI industrial chain]", "(sources 1 and 2)", ", as Passage 2 says",
    "(as stated in passage 2)", ", according to Source 2",
])
def test_citation_styles_become_markers_and_count_as_the_models_citations(fake_encoder, cite):
    reply = f"OpenAI\nSora was developed by OpenAI {cite}.\n"
    _, answer, _ = ask_stub(Reply([reply]), fake_encoder)
    assert_answered(answer)
    claim = answer.claims[1]
    assert 2 in claim.cited and claim.as_cited and claim.supported
    left = answer.text.replace("[1]", "").replace("[2]", "")
    assert not any(s in left for s in ("(", "【", "[", "Passage", "passage", "Source", "^", "Document")), answer.text


def test_lead_ins_and_footnotes_are_citations_too(fake_encoder):
    reply = "OpenAI\nAccording to Source 2, Sora was developed by OpenAI.\nPassage 1 says Baidu focused on driving[^1].\n\n[^1]: Passage 1"
    _, answer, _ = ask_stub(Reply([reply]), fake_encoder)
    assert_answered(answer)
    assert answer.text.splitlines()[1] == "Sora was developed by OpenAI [1]. Baidu focused on driving [2]."
    assert [c.cited for c in answer.claims[1:]] == [(2,), (1,)]


def test_a_server_that_trickles_tokens_is_stopped_by_the_total_bound(fake_encoder):
    slow = Reply(["Sora ", "was ", "developed "] * 100, delay=0.2)  # a minute of tokens, each well inside the gap bound
    _, answer, _ = ask_stub(slow, fake_encoder, timeout=5, total_timeout=1)
    assert answer.answerer == "extractive" and "llm.total_timeout (1 s)" in answer.notice


def test_a_server_silent_before_its_first_byte_is_stopped_by_the_total_bound(fake_encoder):
    _, answer, _ = ask_stub(Stall(4), fake_encoder, timeout=30, total_timeout=1)
    assert answer.answerer == "extractive" and "llm.total_timeout (1 s)" in answer.notice


@pytest.mark.parametrize("step, says", [
    (Whole("<!doctype html><html><body>Welcome to nginx!</body></html>", "text/html"), "not an OpenAI-compatible /v1 API"),
    (Status(404, "<html><body>404 Not Found</body></html>", "text/html"), "not an OpenAI-compatible /v1 API"),
    (Status(405, "Method Not Allowed", "text/plain"), "not an OpenAI-compatible /v1 API"),
    (Whole("hello from a plain server", "text/plain"), "not JSON"),
    (Whole('{"status": "ok"}'), "JSON that is not a chat completion"),
    (Status(404, json.dumps({"error": {"message": 'model "stub" not found, try pulling it first'}})),
     "has no model 'stub' (404)"),
    (Status(404, "404 page not found", "text/plain"), "not an OpenAI-compatible /v1 API"),  # Ollama without /v1
    (Status(404, '{"detail": "Not Found"}'), "not an OpenAI-compatible /v1 API"),  # vLLM without /v1
    (Status(404, json.dumps({"object": "error", "message": "The model `stub` does not exist.", "code": 404})),
     "has no model 'stub' (404)"),  # vLLM
    (Status(503, json.dumps({"error": "Model is loading"})), "still loading the model (503)"),
    (Status(401, "<html>Unauthorized</html>", "text/html"), "refused the api key (401)"),
    (Status(400, json.dumps({"error": {"message": "The model `stub` does not exist.", "code": "model_not_found"}})),
     "has no model 'stub' (400)"),
    (Status(502, "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"), "error page (502)"),
    (Status(400, json.dumps({"error": {"message": "max_tokens is too large: 1536. This model supports at most 1024 "
                                                  "completion tokens, whereas you provided 1536."}})),
     "refused llm.max_tokens (1536)"),
    (Reply([], malformed=True), "not a chat completion"),
    (Reply([], cut=True), "without sending a chat completion"),
    (Whole("<html><body>events</body></html>", "text/event-stream"), "without sending a chat completion"),
])
def test_errors_name_the_cause(fake_encoder, step, says):
    _, answer, _ = ask_stub(step, fake_encoder)
    assert answer.answerer == "extractive" and says in answer.notice and "\n" not in answer.notice


def generative_with(fake_encoder, **settings) -> GenerativeAnswerer:
    client = ChatClient(LLMSettings(**({"model": "stub", "timeout": 2} | settings)))
    return GenerativeAnswerer(client, ExtractiveAnswerer(fake_encoder, threshold=0.1))


def test_a_refused_connection_is_named(fake_encoder):
    with Stub() as stub:
        url = stub.base_url  # the port is free again once the stub is gone
    answer = final(generative_with(fake_encoder, base_url=url).stream(QUESTION, HITS))[1]
    assert "connection refused" in answer.notice and "llm.base_url" in answer.notice


SECRETS = ["hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345", "sk-proj-0123456789abcdefABCDEF", "hunter2hunter2"]


@pytest.mark.parametrize("field", ["api_key_env", "model", "base_url"])
def test_secrets_pasted_into_settings_are_never_shown(fake_encoder, monkeypatch, field):
    with Stub([Status(404, json.dumps({"error": {"message": "no such thing"}})), Status(500)]) as stub:
        values = {"api_key_env": SECRETS[0], "model": SECRETS[1],
                  "base_url": stub.base_url.replace("http://", f"http://admin:{SECRETS[2]}@")}
        generative = generative_with(fake_encoder, **{"base_url": stub.base_url, field: values[field]})
        answer = final(generative.stream(QUESTION, HITS))[1]
    shown = json.dumps(answer.to_dict())
    assert answer.notice and not any(s in shown for s in SECRETS) and "***" in answer.notice


@pytest.mark.parametrize("text, secret", [
    ("at http://admin:hunter2@10.0.0.5:8000/v1", "hunter2"), ("at https://h/v1?api_key=abc123secret&x=1", "abc123secret"),
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9xyz", "eyJhbGciOiJIUzI1NiJ9xyz"),
    ("key hf_AbCdEfGhIjKlMnOpQr", "hf_AbCdEfGhIjKlMnOpQr"), ("key sk-ant-api03-abcdefgh", "sk-ant-api03-abcdefgh"),
    ("token 9f8e7d6c5b4a39281706f5e4d3c2b1a0", "9f8e7d6c5b4a39281706f5e4d3c2b1a0"),
])
def test_redact_hides_what_looks_like_a_secret_and_keeps_the_rest(text, secret):
    from qa.answer.redact import redact

    assert secret not in redact(text) and "***" in redact(text)
    assert redact("model Qwen/Qwen2.5-7B-Instruct at http://127.0.0.1:11434/v1") == \
        "model Qwen/Qwen2.5-7B-Instruct at http://127.0.0.1:11434/v1"


def test_extra_body_is_passed_through(fake_encoder):
    extra = {"chat_template_kwargs": {"enable_thinking": False}, "options": {"num_ctx": 8192}, "reasoning_effort": "low"}
    _, answer, requests = ask_stub(Reply(ANSWER), fake_encoder, extra_body=extra)
    assert_answered(answer)
    assert {k: requests[0]["body"][k] for k in extra} == extra


def test_a_model_that_refuses_max_tokens_and_temperature_is_asked_again_without_them(fake_encoder):
    refuse_tokens = json.dumps({"error": {"message": "Unsupported parameter: 'max_tokens' is not supported with this "
                                                     "model. Use 'max_completion_tokens' instead.",
                                          "type": "invalid_request_error", "param": "max_tokens",
                                          "code": "unsupported_parameter"}})
    refuse_temperature = json.dumps({"error": {"message": "Unsupported value: 'temperature' does not support 0 with "
                                                          "this model. Only the default (1) value is supported.",
                                               "param": "temperature", "code": "unsupported_value"}})
    script = [Status(400, refuse_tokens), Status(400, refuse_temperature), Reply(ANSWER), Reply(ANSWER)]
    with Stub(script) as stub:
        generative = answerer(stub, fake_encoder, max_tokens=700)
        for _ in range(2):
            assert_answered(final(generative.stream(QUESTION, HITS))[1])
    first, _, third, fourth = [r["body"] for r in stub.requests]
    assert first["max_tokens"] == 700 and first["temperature"] == 0
    for later in (third, fourth):  # the client remembers what the model refused
        assert later["max_completion_tokens"] == 700 and "max_tokens" not in later and "temperature" not in later
