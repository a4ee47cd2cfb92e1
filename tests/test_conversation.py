"""Follow-up questions rewritten into standalone ones (qa.retrieve.conversation), and answered on the seeds.

The unit cases cover the shapes a reader types after a first question: a new name ("and Tencent?"),
a name that owns another ("Alibaba's City Brain" -> "Baidu": the whole name goes, not one word of it),
a new date ("what about in 2023?"), a bare question word ("why?") and a pointer back ("who said that?").
"""
from __future__ import annotations

import pytest

from index.document import untagged
from index.ingest import ingest
from index.storage.layout import IndexDir
from qa.answer import ask, verify
from qa.retrieve.conversation import is_follow_up, resolve
from qa.retrieve.retriever import Retriever
from tests.conftest import SEEDS
from index.settings import IndexSettings

CITY_BRAIN = "What does Alibaba's City Brain try to optimize?"
SORA = "What do experts expect from Sora for China's AI industry?"
PAGE = "004_f8e56c66953da029.txt"
SORA_URL = "https://global.chinadaily.com.cn/a/202403/06/WS65e7c8b1a31082fc043baeb6.html"


def history(*questions: str) -> list[dict]:
    return [{"role": "user", "content": q} for q in questions]


@pytest.mark.parametrize("before,question,expected", [
    ([CITY_BRAIN], "And what about Baidu?", "What does Baidu try to optimize?"),
    ([CITY_BRAIN], "and Tencent?", "What does Tencent try to optimize?"),
    ([CITY_BRAIN], "And what about Baidu's Apollo?", "What does Baidu's Apollo try to optimize?"),
    (["What is Alibaba's revenue?"], "and Tencent?", "What is Tencent's revenue?"),
    (["What did the US say about chips?"], "And the EU?", "What did the EU say about chips?"),
    (["What did China Daily say about Sora?"], "And Xinhua?", "What did Xinhua say about Sora?"),
    (["What did Baidu announce in 2024?"], "what about in 2023?", "What did Baidu announce in 2023?"),
    (["What is Baidu doing in AI?"], "what about in 2023?", "What is Baidu doing in AI in 2023?"),
    (["What is Baidu doing in AI?"], "And what about Tencent in March 2023?",
     "What is Tencent doing in AI in March 2023?"),
    ([CITY_BRAIN], "why?", "Why does Alibaba's City Brain try to optimize?"),
    ([SORA], "who said that?", f"{SORA} who said that"),
    ([CITY_BRAIN, "And what about Baidu?"], "why?", "Why does Baidu try to optimize?"),
])
def test_follow_up_shapes_become_standalone_questions(before, question, expected):
    query = resolve(question, history(*before))
    assert query.text == expected and query.asked == question and query.follow_up


def test_a_new_question_stands_alone_and_similarity_picks_the_name_replaced():
    assert not resolve("What does Sora do?", history("What is Baidu doing in AI?")).follow_up
    countries = {"China": 0.9, "Sora": 0.1}
    query = resolve("and Japan?", history(SORA), similarity=lambda new, old: [countries[o] for o in old])
    assert query.text == "What do experts expect from Sora for Japan's AI industry?"  # "AI" stays: Japan has AI too


def test_a_month_or_a_question_word_is_not_a_name():
    assert resolve("And in March?", history("What did Baidu announce in 2024?")).text == \
        "What did Baidu announce in March?"
    assert is_follow_up("why?") and is_follow_up("How so?") and is_follow_up("when was that?")
    assert not is_follow_up("Why did Tencent invest in AI?")


@pytest.fixture(scope="module")
def retriever(tmp_path_factory, real_encoder):
    idx = tmp_path_factory.mktemp("conversation-index")
    ingest([SEEDS], idx, real_encoder, IndexSettings())
    r = Retriever(IndexDir.open(idx, real_encoder.model_id), real_encoder)
    yield r
    r.close()


def _chat(retriever, *questions):
    turns, answers = [], []
    for q in questions:
        answer = ask(q, turns, retriever=retriever)
        turns += [{"role": "user", "content": q}, {"role": "assistant", "content": answer.text}]
        answers.append(answer)
    return answers


@pytest.mark.model
def test_city_brain_then_baidu_quotes_the_baidu_paragraph(retriever):
    first, baidu = _chat(retriever, CITY_BRAIN, "And what about Baidu?")
    assert "City Brain" in first.text
    assert baidu.query == "What does Baidu try to optimize?"
    assert baidu.text.startswith("Baidu: Known as China’s “Google,” Baidu has focused heavily on autonomous driving")
    assert "City Brain" not in baidu.text


@pytest.mark.model
def test_follow_ups_of_several_shapes_stay_on_the_topic(retriever):
    sora, who, year = _chat(retriever, SORA, "who said that?", "what about in 2023?")
    for answer in (sora, who, year):
        assert not answer.abstained and answer.citations[0].url == SORA_URL
        assert verify(answer, {c.doc_id: retriever.index.store.document(c.doc_id).text
                               for c in answer.citations}) == []
    assert "experts said" in who.text and "2023" in year.query
    _, tencent, why = _chat(retriever, CITY_BRAIN, "and Tencent?", "why?")
    assert tencent.text.startswith("Tencent: Tencent, a social media and gaming giant")
    assert why.query == "Why does Tencent try to optimize?" and untagged(why.citations[0].doc_id) == PAGE
