"""Answer composition with the fake encoder: quotes are verbatim, cited, deduplicated; weak evidence abstains."""
from __future__ import annotations

import json

import pytest

from qa.answer import ABSTAIN_TEXT, Answer, ask, ask_stream, verify
from qa.retrieve.conversation import Query, is_follow_up, resolve
from qa.answer.extractive import ExtractiveAnswerer, candidate_sentences
from qa.retrieve.records import Hit

BAIDU = ("Chinese tech giants lead the field. Baidu: Baidu has focused heavily on autonomous driving and natural "
         "language processing with PaddlePaddle. Alibaba: Alibaba invested in cloud computing and intelligent "
         "logistics for its City Brain project. Tencent: Tencent leveraged its massive user base to drive AI "
         "entertainment, healthcare and financial services.")
WIRE = "The central bank raised interest rates by half a point on Tuesday to fight inflation, officials said."


def hit(text: str, doc_id: str = "doc-a", rank: int = 1, start: int = 0, title: str = "Tech giants",
        url: str | None = "https://example.com/a") -> Hit:
    return Hit(rank, 0.5, rank * 100 + start, doc_id, text, start, start + len(text), title, "Example News",
               "2024-03-01T00:00:00Z", url, "a.txt")


def query(text: str) -> Query:
    return resolve(text)


@pytest.fixture
def answerer(fake_encoder):
    return ExtractiveAnswerer(fake_encoder, threshold=0.3)


def documents_of(hits):
    """doc_id -> a stored text consistent with every hit's span (hits start at their offsets)."""
    docs: dict[str, list[str]] = {}
    for h in hits:
        text = docs.setdefault(h.doc_id, [" "] * 2000)
        text[h.start : h.end] = h.text
    return {d: "".join(t) for d, t in docs.items()}


def final(stream) -> tuple[list[str], Answer]:
    pieces = list(stream)
    assert isinstance(pieces[-1], Answer)
    return pieces[:-1], pieces[-1]


def test_answer_quotes_the_sentence_that_answers_and_cites_it(answerer):
    hits = [hit(BAIDU)]
    pieces, answer = final(answerer.stream(query("What has Tencent done with its user base?"), hits))
    assert not answer.abstained
    assert answer.text.startswith("Tencent: Tencent leveraged its massive user base")
    assert "[1]" in answer.text and "".join(pieces) == answer.text
    (c,) = answer.citations
    assert (c.n, c.doc_id, c.title, c.url) == (1, "doc-a", "Tech giants", "https://example.com/a")
    assert verify(answer, documents_of(hits)) == []


def test_quotes_carry_document_offsets_not_passage_offsets(answerer):
    prefix = "x" * 700
    h = hit(BAIDU, start=len(prefix))
    answer = final(answerer.stream(query("What did Alibaba invest in for City Brain?"), [h]))[1]
    quote = answer.citations[0].quotes[0]
    assert (prefix + BAIDU)[quote.start : quote.end] == quote.text
    assert quote.text.startswith("Alibaba: Alibaba invested")
    assert answer.citations[0].local_spans() == [(quote.start - len(prefix), quote.end - len(prefix))]


def test_syndicated_copies_are_quoted_once(answerer):
    hits = [hit(WIRE, "wire-1", 1, title="Rates up"), hit(WIRE, "wire-2", 2, title="Rates up (AP)"),
            hit("Markets fell after the central bank raised interest rates.", "other", 3)]
    answer = final(answerer.stream(query("How much did the central bank raise interest rates?"), hits))[1]
    assert answer.text.count("half a point") == 1
    assert verify(answer, documents_of(hits)) == []


def test_overlapping_chunks_of_one_article_make_one_citation(answerer):
    first, second = BAIDU[:150], BAIDU[100:]
    hits = [hit(first, start=0, rank=1), hit(second, start=100, rank=2)]
    answer = final(answerer.stream(query("Baidu autonomous driving; Tencent user base AI entertainment"), hits))[1]
    assert len({c.doc_id for c in answer.citations}) == len(answer.citations) == 1
    assert answer.citations[0].passage == BAIDU
    assert verify(answer, documents_of(hits)) == []


def test_weak_evidence_abstains_and_keeps_the_closest_passages(answerer):
    hits = [hit(BAIDU)]
    pieces, answer = final(answerer.stream(query("Who won the football world cup final in Qatar?"), hits))
    assert answer.abstained and answer.text == ABSTAIN_TEXT and pieces == [ABSTAIN_TEXT]
    assert answer.citations == () and answer.hits == tuple(hits)


def test_a_name_no_passage_mentions_lowers_confidence(answerer):
    hits = [hit(BAIDU)]
    named = final(answerer.stream(query("What did Baidu focus on in autonomous driving?"), hits))[1]
    unknown = final(answerer.stream(query("What did Microsoft focus on in autonomous driving?"), hits))[1]
    assert not named.abstained and unknown.confidence < named.confidence - 0.2


def test_no_passages_abstains(answerer):
    assert final(answerer.stream(query("anything at all?"), []))[1].abstained


def test_headings_fragments_and_bracket_markers_are_not_quoted():
    text = "Market outlook\nShares rose [3] on the news of the merger today.\nThe merger was approved by regulators."
    quoted = [s.text for s in candidate_sentences([hit(text)])]
    assert quoted == ["The merger was approved by regulators."]


@pytest.mark.parametrize("question", [
    "What has Tencent done with its user base?", "What did Alibaba invest in?", "Baidu and PaddlePaddle?",
    "What did the central bank do on Tuesday?", "inflation", "Who leads the field?", "AI healthcare services",
])
def test_no_answer_ever_cites_a_passage_without_its_quote(answerer, question):
    hits = [hit(BAIDU, "a", 1, start=40), hit(WIRE, "b", 2, start=0), hit(BAIDU[50:], "c", 3, start=10),
            hit(WIRE, "d", 4, start=5)]
    answer = final(answerer.stream(query(question), hits))[1]
    for c in answer.citations:
        for q in c.quotes:
            assert q.text in c.passage and q.text in answer.text
            assert c.passage[q.start - c.passage_start : q.end - c.passage_start] == q.text
    assert verify(answer, documents_of(hits)) == []


def test_verify_reports_a_quote_the_document_does_not_contain(answerer):
    hits = [hit(BAIDU)]
    answer = final(answerer.stream(query("What has Tencent done with its user base?"), hits))[1]
    assert verify(answer, {"doc-a": BAIDU.replace("massive", "modest")})


class FixedRetriever:
    """A retriever that returns the same passages for any question and records what was searched."""

    def __init__(self, encoder, hits):
        self.encoder, self.hits, self.searched = encoder, hits, []

    def search(self, question, k=5, filters=None, time=True):
        self.searched.append(question)
        return self.hits[:k]

    def read_time(self, question):
        from qa.retrieve.when import TimeReading

        return TimeReading(subject=question)


def test_ask_resolves_a_follow_up_against_the_history(fake_encoder):
    retriever = FixedRetriever(fake_encoder, [hit(BAIDU)])
    answerer = ExtractiveAnswerer(fake_encoder, threshold=0.2)
    history = [{"role": "user", "content": "What is Baidu doing in AI?"}, {"role": "assistant", "content": "…"}]
    answer = ask("And what about Tencent?", history, retriever=retriever, answerer=answerer)
    assert "Tencent" in retriever.searched[-1] and "Baidu" not in retriever.searched[-1]
    assert answer.text.startswith("Tencent: Tencent leveraged")
    assert answer.question == "And what about Tencent?" and answer.query == retriever.searched[-1]
    assert json.loads(json.dumps(answer.to_dict()))["citations"][0]["label"].startswith('"Tech giants"')


def test_ask_stream_yields_text_before_the_answer(fake_encoder):
    retriever = FixedRetriever(fake_encoder, [hit(BAIDU)])
    pieces = list(ask_stream("What did Alibaba invest in?", retriever=retriever,
                             answerer=ExtractiveAnswerer(fake_encoder, threshold=0.2)))
    assert all(isinstance(p, str) for p in pieces[:-1]) and isinstance(pieces[-1], Answer) and len(pieces) > 1


@pytest.mark.parametrize("history,question,expected", [
    (["What is Baidu doing in AI?"], "And what about Tencent?", "What is Tencent doing in AI?"),
    (["What is Baidu doing in AI?", "And Tencent?"], "How about Alibaba?", "What is Alibaba doing in AI?"),
    (["What did China Daily say about Sora?"], "What did they say about chips?",
     "What did China Daily say about Sora? What did they say about chips"),
    (["What is Baidu doing in AI?"], "How does Sora work?", "How does Sora work?"),
    ([], "And what about Tencent?", "And what about Tencent?"),
])
def test_follow_ups_become_standalone_questions(history, question, expected):
    messages = [{"role": "user", "content": [{"type": "text", "text": q}]} for q in history]
    assert resolve(question, messages).text == expected


def test_follow_up_detection():
    assert is_follow_up("And what about Tencent?") and is_follow_up("what about its chips?")
    assert not is_follow_up("Andrew Ng says what about AI?") and not is_follow_up("What did Tencent say?")
