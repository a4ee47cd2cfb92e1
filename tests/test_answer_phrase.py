"""The direct answer's type follows the question (spaCy's entities through qa.check.nlp): who -> a person or
organisation, when -> a date, how many -> a number with its unit, where -> a place, which X -> an X; no
direct answer when no quoted sentence holds one (the quotes still stand)."""
from __future__ import annotations

import pytest

from qa.answer import verify
from qa.answer.extractive import ExtractiveAnswerer
from qa.answer.lead import kind
from qa.answer.phrase import answer_phrase, wanted
from qa.answer.records import PARAGRAPH, paragraphs
from tests.test_answer import documents_of, final, hit, query


def phrase(question: str, sentences: list[str], quoted: int = 1) -> str | None:
    found = answer_phrase(question, kind(question), [(s, 0.5) for s in sentences], quoted)
    return None if found is None else sentences[found[0]][found[1]:found[2]]


@pytest.mark.parametrize("question, sentences, expected", [
    ("Who is the CEO of OpenAI?", ["On Monday, OpenAI said Sam Altman would return as its chief executive."],
     "Sam Altman"),
    ("Which company did Microsoft acquire?",
     ["In October, Microsoft completed its acquisition of Activision Blizzard after a long review."],
     "Activision Blizzard"),
    ("How many people were laid off?",
     ["The startup laid off about 200 people on Tuesday, a spokesperson said.",
      "The startup had grown to 2,000 customers by 2022, its filings show."], "about 200 people"),
    ("When did OpenAI announce Sora?", ["OpenAI announced Sora on February 15, 2024, in a short blog post."],
     "February 15, 2024"),
    ("Where is Mistral AI based?", ["Mistral AI, a startup based in Paris, raised new money on Monday."], "Paris"),
    ("Which country banned the app?", ["On Friday, Italy banned the app over privacy fears, regulators said."],
     "Italy"),
    ("How much did Microsoft pay for Activision?",
     ["Microsoft paid $69 billion for Activision in October, the largest deal in gaming."], "$69 billion"),
])
def test_the_phrase_has_the_type_the_question_asks_for(question, sentences, expected):
    assert phrase(question, sentences, quoted=len(sentences)) == expected


def test_a_date_never_answers_who_and_a_name_never_answers_when():
    assert wanted("Who is the CEO of OpenAI?", "who")[0] == {"PERSON"}
    assert phrase("Who is the CEO of Acme?", ["On Monday, Acme said its profits rose sharply this year."]) is None
    assert phrase("When did Acme report its profits?", ["Acme said Jane Roe would lead the company."]) is None


def test_a_surname_votes_for_the_full_name_a_quoted_sentence_gives():
    sentences = ["Sam Bankman-Fried founded the FTX exchange, prosecutors said.",
                 "Bankman-Fried denied the fraud charges.", "Bankman-Fried told the jury he made mistakes.",
                 "Caroline Ellison testified about the FTX exchange."]
    assert phrase("Who is accused of fraud at the FTX exchange?", sentences, quoted=4) == "Sam Bankman-Fried"


def test_the_answer_leads_with_a_typed_phrase_on_its_own_line(fake_encoder):
    hits = [hit("On Monday, OpenAI said Sam Altman would return as its chief executive officer.", "doc-o")]
    answer = final(ExtractiveAnswerer(fake_encoder, threshold=0.05).stream(query("Who is the CEO of OpenAI?"),
                                                                          hits))[1]
    assert paragraphs(answer.text)[0] == "Sam Altman [1]" and verify(answer, documents_of(hits)) == []


def test_no_direct_answer_when_no_quoted_sentence_holds_one_but_the_quotes_stay(fake_encoder):
    hits = [hit("On Monday, Acme said its quarterly profits rose sharply on strong demand.", "doc-p")]
    answer = final(ExtractiveAnswerer(fake_encoder, threshold=0.05).stream(query("Who is the CEO of Acme?"), hits))[1]
    assert not answer.abstained and PARAGRAPH not in answer.text and answer.text.startswith("On Monday, Acme said")


def test_the_sentence_holding_the_answer_is_quoted_when_the_best_sentence_lacks_one(fake_encoder):
    hits = [hit("The FTX exchange was founded in 2019 and grew fast, the founders of the FTX exchange said.", "doc-f"),
            hit("Sam Bankman-Fried started FTX with a friend from college.", "doc-g", 2)]
    answerer = ExtractiveAnswerer(fake_encoder, threshold=0.05, max_sentences=1)
    answer = final(answerer.stream(query("Who founded the FTX exchange?"), hits))[1]
    assert paragraphs(answer.text)[0].startswith("Sam Bankman-Fried [") and "founded in 2019" in answer.text
    assert verify(answer, documents_of(hits)) == []


def test_the_argument_of_the_asked_verb_beats_a_better_typed_name_beside_it():
    sentences = ["Four years later, Microsoft acquired Activision Blizzard, and its talking points to the "
                 "European Union were that the merger strengthened the company."]
    assert phrase("Which company did Microsoft acquire?", sentences) == "Activision Blizzard"


@pytest.mark.parametrize("question, preferred", [
    ("Which pop star, who is open about her relationship, toured?", {"PERSON"}),
    ("Which companies did Google buy?", {"ORG"}),
    ("What is the name of the platform that served the videos?", {"ORG", "PRODUCT", "WORK_OF_ART"}),
    ("Which country banned the app?", {"GPE", "LOC", "FAC"}),
    ("Who developed Sora?", {"PERSON", "ORG"}),
    ("How much did Microsoft pay?", {"MONEY", "QUANTITY", "PERCENT"}),
])
def test_what_the_question_asks_for(question, preferred):
    assert wanted(question, kind(question))[0] == preferred
