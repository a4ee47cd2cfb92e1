"""Example questions (ui.examples): asked the way a reader would, from what the articles state, never a title."""
from __future__ import annotations

import pytest

from index.ingest import ingest
from index.storage.layout import IndexDir
from qa.answer import ask
from qa.retrieve.retriever import Retriever
from tests.conftest import SEEDS
from ui.examples import example_questions, questions_from
from index.settings import IndexSettings


def test_questions_come_from_what_a_sentence_states():
    text = ("Crowds gathered around Sora, a new text-to-video AI model developed by OpenAI, on Monday. "
            "Baidu: Known as China's Google, Baidu has focused heavily on autonomous driving. "
            "Initially, a small team was formed to work on the project for the company. "
            "The company also said that Jane Roe, chief executive of Northwind, will visit in May. "
            "Northwind announced a second factory in Gdansk for electric bus batteries, said Jane Roe.")
    assert questions_from(text) == ["Who developed Sora?", "What is Baidu known for?", "What is Sora?",
                                    "Who is Jane Roe?", "What did Northwind announce?", "What did Jane Roe say?"]


def test_headings_junk_titles_and_the_outlet_give_no_question():
    text = ("Face China Ai Septembermatsakissemafor\n\nHealthy Speaks: Your Voice\n\n"
            "Healthy Speaks, a wellness site, said that it has known for years about the topic of the day.")
    assert questions_from(text, outlet="Healthy Speaks") == []


def test_one_question_per_article_before_any_second_one():
    a = "On Monday OpenAI announced a new model called Sora for making short videos from text prompts."
    b = "Baidu: Known as China's Google, Baidu has focused heavily on autonomous driving and search."
    assert example_questions([(None, a), (None, b), (None, a)], n=3) == \
        ["What did OpenAI announce?", "What is Baidu known for?"]


@pytest.mark.model
def test_every_seed_example_is_answered(tmp_path, real_encoder):
    ingest([SEEDS], tmp_path / "idx", real_encoder, IndexSettings())
    retriever = Retriever(IndexDir.open(tmp_path / "idx", real_encoder.model_id), real_encoder)
    try:
        from ui.examples import from_rows

        questions = from_rows(retriever.index.store.recent_openings(50))
        assert len(questions) >= 3
        for question in questions:
            answer = ask(question, retriever=retriever)
            assert not answer.abstained, question
    finally:
        retriever.close()
