"""Answer evaluation (fake encoder, scripted model server): the judging rules and the reported figures."""
from __future__ import annotations

import pytest

from qa.answer import Answer
from qa.answer.extractive import ExtractiveAnswerer
from qa.evaluate.answers import evaluate_answers, judge, stratified
from qa.evaluate.golden import GoldenQuestion
from tests.llm_stub import Reply, Status, Stub
from tests.test_answer import FixedRetriever
from tests.test_generative import HITS, answerer


def answer(text: str, abstained: bool = False, notice: str | None = None) -> Answer:
    return Answer("q", text, (), abstained, (), "q", 0.0, "generative", notice)


@pytest.mark.parametrize("gold, text, abstained, right", [
    ("Yes", "Yes\nBoth reported it [1].", False, True),
    ("yes", "Yes, both did [1].", False, True),
    ("Yes", "No. Only one did [1].", False, False),
    ("No", "The quotes cannot settle yes or no; ...", False, False),
    ("Sam Bankman-Fried", "Sam Bankman-Fried [1]\nHe is on trial [1].", False, True),
    ("OpenAI", "The company's founder said so [1].", False, False),
    ("OpenAI", "The indexed articles don't answer this.", True, False),
    ("Insufficient information.", "The indexed articles don't answer this.", True, True),
    ("Insufficient information.", "OpenAI [1]", False, False),
])
def test_judging_follows_the_multihop_rules(gold, text, abstained, right):
    assert judge(gold, answer(text, abstained)) is right


def test_a_fallback_is_judged_on_the_answer_after_its_notice():
    notice = "The model could not answer (x). Showing the built-in extractive answer instead."
    assert judge("OpenAI", answer(f"{notice}\n\nOpenAI built it [1].", notice=notice))
    assert not judge("Yes", answer(f"{notice}\n\nNo idea [1].", notice=notice))


def test_figures_for_a_model_with_one_failure(fake_encoder):
    questions = [GoldenQuestion("a", "Who developed Sora?", ("doc-b",), "OpenAI", "inference_query"),
                 GoldenQuestion("b", "Who developed Sora, really?", ("doc-b",), "OpenAI", "inference_query"),
                 GoldenQuestion("c", "Who won the 2022 World Cup?", (), "Insufficient information.", "null_query")]
    script = [Reply(["OpenAI\nSora was developed by OpenAI [2]. It runs on the Moon [1]."]), Status(429),
              Reply(["Insufficient information"])]
    with Stub(script) as stub:
        figures = evaluate_answers(FixedRetriever(fake_encoder, HITS), questions, answerer(stub, fake_encoder)).to_dict()
    assert figures["questions"] == 3 and figures["answerable"] == 2 and figures["unanswerable"] == 1
    assert figures["accuracy"] == 1.0 and figures["abstained_on_unanswerable"] == 1.0
    assert figures["wrong_abstentions"] == 0.0 and figures["fallbacks"] == 1
    assert figures["fallback_reasons"] == {"The model could not answer (is rate limiting requests (429): wait a "
                                           "little, or raise the account's limits).": 1}
    # the model's two cited claims (one backed; "runs on the Moon [1]" not) and the fallback's one quote
    assert figures["citation_precision"] == 0.6667
    assert figures["first_piece_ms_p50"] > 0


def test_the_slice_spreads_over_types_and_is_the_same_every_time():
    questions = [GoldenQuestion(f"{t}-{i}", "q?", (), "Yes", t) for t in "abc" for i in range(5)]
    picked = stratified(questions, 6)
    assert sorted(q.type for q in picked) == ["a", "a", "b", "b", "c", "c"]
    assert picked == stratified(list(reversed(questions)), 6)
