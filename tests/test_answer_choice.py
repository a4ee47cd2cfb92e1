"""A-or-B questions are answered with the option the passages back, never as yes or no (real spaCy checker,
fake encoder)."""
from __future__ import annotations

import pytest

from qa.answer import verify
from qa.answer.choice import options
from qa.answer.extractive import ExtractiveAnswerer
from qa.answer.lead import kind
from qa.answer.records import paragraphs
from qa.answer.settle import settle
from tests.test_answer import documents_of, final, hit, query

MSFT = "Microsoft completed its acquisition of Activision Blizzard in October after regulators approved the deal."
GOOG = "Google showed its new Pixel phones at its annual hardware event in New York."


@pytest.mark.parametrize("question, names", [
    ("Was it Google or Microsoft that acquired Activision Blizzard?", ("Google", "Microsoft")),
    ("Did Apple or Google release the Pixel 8?", ("Apple", "Google")),
    ("Which company bought Activision, Google or Microsoft?", ("Google", "Microsoft")),
    ("Was it OpenAI, Anthropic or Google that released Claude?", ("OpenAI", "Anthropic", "Google")),
    ("Can you tell me whether it was Google or Microsoft that bought Activision?", ()),  # options() sees it unwrapped
    ("Did TechCrunch or Wired report that the deal closed?", ()),  # whether either reported it: yes or no
    ("Did prices rise or fall in October?", ()),
    ("Was Microsoft fined by regulators?", ()),
])
def test_the_options_a_question_offers(question, names):
    assert options(question)[0] == names


@pytest.mark.parametrize("question", [
    "Was it Google or Microsoft that acquired Activision Blizzard?",
    "Can you tell me whether it was Google or Microsoft that acquired Activision Blizzard?",
    "Did Google or Microsoft acquire Activision Blizzard?",
])
def test_an_a_or_b_question_is_a_choice_not_yes_or_no(question):
    assert kind(question) == "choice"
    assert settle(query(question), [hit(MSFT, "doc-m"), hit(GOOG, "doc-g", 2)]) is None


@pytest.mark.parametrize("question", [
    "Was it Google or Microsoft that acquired Activision Blizzard?",
    "Did Google or Microsoft acquire Activision Blizzard?",
    "Which company acquired Activision Blizzard, Google or Microsoft?",
])
def test_the_answer_names_the_option_the_passages_back(fake_encoder, question):
    hits = [hit(GOOG, "doc-g"), hit(MSFT, "doc-m", 2)]
    answer = final(ExtractiveAnswerer(fake_encoder, threshold=0.05).stream(query(question), hits))[1]
    lead = paragraphs(answer.text)[0]
    assert lead.startswith("Microsoft [") and not answer.abstained
    n = int(lead.split("[")[1].rstrip("]"))
    assert answer.citations[n - 1].doc_id == "doc-m" and verify(answer, documents_of(hits)) == []


def test_no_option_is_named_when_no_passage_backs_either(fake_encoder):
    hits = [hit("Regulators approved the acquisition of Activision Blizzard in October after a long review.", "doc-r")]
    question = "Was it Google or Microsoft that acquired Activision Blizzard?"
    answer = final(ExtractiveAnswerer(fake_encoder, threshold=0.05).stream(query(question), hits))[1]
    assert answer.text.startswith("Regulators approved") and not answer.text.startswith(("Yes", "No"))


@pytest.mark.parametrize("question", ["Can you tell me who developed ChatGPT?",
                                      "Do you know which company developed ChatGPT?"])
def test_a_polite_wh_question_is_never_settled_as_yes_or_no(fake_encoder, question):
    hits = [hit("Leaning on speech models developed in house, OpenAI gave ChatGPT the ability to hear and speak.",
                "doc-c")]
    assert settle(query(question), hits) is None  # it was "Yes: the articles back it."
    answer = final(ExtractiveAnswerer(fake_encoder, threshold=0.05).stream(query(question), hits))[1]
    assert paragraphs(answer.text)[0] == "OpenAI [1]"
