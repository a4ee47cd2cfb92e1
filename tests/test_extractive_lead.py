"""The sharper extractive answer (fake encoder): the answering phrase first, yes/no questions said to be
undecidable with each named outlet's evidence, and follow-ups answered only about the entity they name."""
from __future__ import annotations

import re

from dataclasses import replace

import pytest

from qa.answer import ask, verify
from qa.retrieve.conversation import resolve
from qa.answer.extractive import ExtractiveAnswerer
from qa.answer.lead import kind
from qa.answer.records import PARAGRAPH, paragraphs
from tests.test_answer import BAIDU, FixedRetriever, documents_of, final, hit, query

SORA = ("China's AI industry expects a boom from Sora, a text-to-video model developed by research company "
        "OpenAI, creator of ChatGPT, experts said.")
SORA_2 = "OpenAI said Sora would first be tested by a small group of artists and filmmakers."


@pytest.fixture
def answerer(fake_encoder):
    return ExtractiveAnswerer(fake_encoder, threshold=0.1)


@pytest.mark.parametrize("question, expected", [
    ("Who developed the text-to-video model Sora?", "who"),
    ("Who, according to TechCrunch, leads the company?", "who"),
    ("Which company, covered by Engadget and Polygon, is set to release new hardware?", "which"),
    ("When did OpenAI announce Sora?", "when"),
    ("How many users does ChatGPT have?", "count"),
    ("Does the TechCrunch article and the Verge article both report layoffs?", "yesno"),
    ("Between the Wired report and the Verge report, was there a change in tone?", "yesno"),
    ("What is Baidu doing in AI?", "open"),
    ("Can you tell me who developed Sora?", "who"),  # a polite form asks what it wraps
    ("Do you know which company Microsoft acquired?", "which"),
    ("Could you tell me when the trial started?", "when"),
    ("Can you tell me how many people were laid off?", "count"),
    ("Do you know if Sora came from OpenAI?", "yesno"),
    ("Can Sora make videos?", "yesno"),
])
def test_question_kinds(question, expected):
    assert kind(question) == expected


def test_a_who_question_leads_with_the_answering_phrase_from_a_cited_passage(answerer):
    hits = [hit(SORA, "doc-s"), hit(SORA_2, "doc-t", 2)]
    pieces, answer = final(answerer.stream(query("Who developed the text-to-video model Sora?"), hits))
    assert answer.text.startswith("OpenAI [") and pieces[0] == answer.text.split(PARAGRAPH)[0] + PARAGRAPH
    assert paragraphs(answer.text)[0] == f"OpenAI [{answer.text[len('OpenAI ['):].split(']')[0]}]"  # a line of its own
    n = int(answer.text[len("OpenAI ["):].split("]")[0])
    assert "OpenAI" in answer.citations[n - 1].passage and verify(answer, documents_of(hits)) == []


def test_an_open_question_keeps_the_quotes_first(answerer):
    answer = final(answerer.stream(query("What is Tencent doing in AI?"), [hit(BAIDU)]))[1]
    assert answer.text.startswith("Tencent: Tencent leveraged")


def test_a_yes_no_question_says_quotes_cannot_settle_it_and_quotes_each_named_outlet(fake_encoder):
    a = replace(hit("Regulators said the merger of the two airlines would raise fares for travellers.", "doc-a"),
                outlet="TechCrunch")
    b = replace(hit("Analysts said the airline merger would lower costs and fares over time.", "doc-b", 2),
                outlet="The Verge")
    answerer = ExtractiveAnswerer(fake_encoder, threshold=0.1, max_sentences=1)
    answer = final(answerer.stream(query("Do TechCrunch and The Verge both say the airline merger raises fares?"),
                                   [a, b]))[1]
    assert answer.text.startswith("The quotes cannot settle yes or no")
    assert re.search(r"TechCrunch( \(\d{4}-\d\d-\d\d\))?: Regulators said", answer.text)  # each source dated
    assert re.search(r"The Verge( \(\d{4}-\d\d-\d\d\))?: Analysts said", answer.text)
    assert {c.doc_id for c in answer.citations} == {"doc-a", "doc-b"} and verify(answer, documents_of([a, b])) == []


def test_a_follow_up_is_answered_only_from_sentences_naming_its_entity(fake_encoder):
    alibaba_only = hit("Alibaba: Alibaba invested in cloud computing and intelligent logistics for its City Brain "
                       "project, the company said on Monday.", "doc-z", title="Cloud race")
    history = [{"role": "user", "content": "What is Alibaba doing in AI?"}]
    retriever = FixedRetriever(fake_encoder, [alibaba_only])
    answer = ask("And what about Baidu?", history, retriever=retriever,
                 answerer=ExtractiveAnswerer(fake_encoder, threshold=0.05))
    assert answer.abstained  # an Alibaba sentence is no answer about Baidu
    retriever.hits = [hit(BAIDU)]
    answer = ask("And what about Baidu?", history, retriever=retriever,
                 answerer=ExtractiveAnswerer(fake_encoder, threshold=0.05))
    assert not answer.abstained and all("Baidu" in q.text for c in answer.citations for q in c.quotes)
    assert resolve("And what about Baidu?", history).follow_up


def test_the_agent_of_the_asked_verb_beats_a_name_every_passage_repeats():
    from qa.answer.lead import answer_phrase

    sentences = [("Sora, a new text-to-video AI model developed by US-based research company OpenAI, drew AI experts.", 0.6)]
    sentences += [(f"AI chains and AI servers grow, report {n} says.", 0.5) for n in range(11)]
    i, start, end = answer_phrase("Who developed Sora?", "who", sentences, quoted=1)
    assert sentences[i][0][start:end] == "OpenAI"
