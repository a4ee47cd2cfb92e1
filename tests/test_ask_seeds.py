"""`ask` and `newsdesk ask` over the seed articles with the real bundled model."""
from __future__ import annotations

import json

import pytest

from index.document import untagged
from index.ingest import ingest
from index.storage.layout import IndexDir
from qa.answer import ABSTAIN_TEXT, ask, verify
from qa.retrieve.retriever import Retriever
from tests.conftest import SEEDS
from ui.cli import main
from index.settings import IndexSettings

pytestmark = pytest.mark.model

CHINA_US = "https://global.chinadaily.com.cn/a/202402/21/WS65d5382ba31082fc043b8335.html"
SORA = "https://global.chinadaily.com.cn/a/202403/06/WS65e7c8b1a31082fc043baeb6.html"
PAGE = "004_f8e56c66953da029.txt"


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory, real_encoder):
    idx = tmp_path_factory.mktemp("ask-index")
    ingest([SEEDS], idx, real_encoder, IndexSettings())
    return idx


@pytest.fixture(scope="module")
def retriever(index_dir, real_encoder):
    r = Retriever(IndexDir.open(index_dir, real_encoder.model_id), real_encoder)
    yield r
    r.close()


def _documents(retriever, answer):
    return {c.doc_id: retriever.index.store.document(c.doc_id).text for c in answer.citations}


@pytest.mark.parametrize("question,doc_id,words", [
    ("What opportunities does Sora create for China's computing power and data centers?", SORA, "computing power"),
    ("What is OpenAI's text-to-video model?", SORA, "Sora"),
    ("What do experts say about how GenAI is making inroads in the service sectors?", CHINA_US, "GenAI"),
    ("What are the ethical concerns about facial recognition surveillance in China?", PAGE, "privacy"),
    ("What is Alibaba's City Brain project?", PAGE, "City Brain"),
])
def test_seed_question_is_answered_from_its_article(retriever, question, doc_id, words):
    answer = ask(question, retriever=retriever)
    assert not answer.abstained, answer.confidence
    assert untagged(answer.citations[0].doc_id) == doc_id and words in answer.text
    assert verify(answer, _documents(retriever, answer)) == []


def test_unanswerable_question_abstains_and_shows_closest_passages(retriever):
    answer = ask("Who won the 2022 football World Cup final?", retriever=retriever)
    assert answer.abstained and answer.text == ABSTAIN_TEXT and not answer.citations and answer.hits


def test_follow_up_about_tencent_after_baidu(retriever):
    first = ask("What is Baidu doing in AI?", retriever=retriever)
    assert "Baidu" in first.text
    history = [{"role": "user", "content": "What is Baidu doing in AI?"}, {"role": "assistant", "content": first.text}]
    follow = ask("And what about Tencent?", history, retriever=retriever)
    assert "Tencent" in follow.query and "Baidu" not in follow.query
    assert follow.text.startswith("Tencent: Tencent, a social media and gaming giant")
    assert verify(follow, _documents(retriever, follow)) == []


def test_cli_ask_prints_answer_and_sources(index_dir, capsys, monkeypatch):
    monkeypatch.delenv("NEWSDESK_CONFIG", raising=False)
    assert main(["ask", "What is OpenAI's text-to-video model?", "--index", str(index_dir), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["citations"][0]["url"] == SORA and out["citations"][0]["quotes"][0]["text"] in out["text"]
    assert main(["ask", "Who won the 2022 football World Cup final?", "--index", str(index_dir)]) == 0
    text = capsys.readouterr().out
    assert text.startswith(ABSTAIN_TEXT) and "Closest passages:" in text
