"""Yes/No and "Is it true that ...?" answered by checking the question's statements, never by a prior."""
from __future__ import annotations

from qa.answer import verify
from qa.answer.settle import Statement, settle, statements
from tests.test_answer import FixedRetriever, documents_of, hit, query

SORA = "Sora is a text-to-video model developed by OpenAI, the creator of ChatGPT, experts said. It went viral."
HITS = [hit(SORA, "doc-b", 1, title="Sora")]


def test_questions_are_cut_into_their_statements_with_the_outlet_each_names():
    assert statements("Is it true that Sora was developed by Google?") == (
        True, [Statement("Sora was developed by Google", None)])
    assert statements("Is the claim that Sora was developed by Google true?")[1] == [
        Statement("Sora was developed by Google", None)]
    assert statements("Did Sora come from OpenAI?") == (False, [Statement("Sora come from OpenAI", None)])
    assert statements("Does the TechCrunch article suggest that Apple limits browsers on iPhones, while The Verge "
                      "article claims that Apple enforces uniform terms?", ["TechCrunch", "The Verge"]) == (
        False, [Statement("Apple limits browsers on iPhones", "TechCrunch"),
                Statement("Apple enforces uniform terms", "The Verge")])
    assert statements("Who developed Sora?") == (False, [])


def test_yes_only_when_every_statement_is_supported_and_no_when_one_is_contradicted():
    yes = settle(query("Was Sora developed by OpenAI?"), HITS)
    assert yes.text == ("Yes: the articles back it.\n\nExample News: Sora is a text-to-video model developed by OpenAI, "
                        "the creator of ChatGPT, experts said. [1]")
    no = settle(query("Is it true that Sora was developed by Google?"), HITS)
    assert no.text.startswith("No: the passage says OpenAI, not Google.\n\n")
    assert no.citations[0].quotes[0].contradicts
    for answer in (yes, no):
        assert verify(answer, documents_of(HITS)) == [] and not answer.abstained


def test_what_the_passages_do_not_settle_is_said_so_or_left_to_the_answerer():
    unsettled = settle(query("Is it true that Sora went viral in March?"), HITS)
    assert unsettled.text.startswith("The articles cannot settle it: no passage says March.")
    assert settle(query("Did Sora win an award in March?"), HITS) is None  # the answerer says what each source says
    assert settle(query("Who developed Sora?"), HITS) is None


def test_the_extractive_answerer_answers_yes_no_by_checking(fake_encoder):
    from qa.answer import ask
    from qa.answer.extractive import ExtractiveAnswerer

    answer = ask("Is it true that Sora was developed by Google?", retriever=FixedRetriever(fake_encoder, HITS),
                 answerer=ExtractiveAnswerer(fake_encoder, threshold=0.1))
    assert answer.text.startswith("No: the passage says OpenAI, not Google.")


def test_eval_reports_the_precision_of_yes_and_of_no_separately():
    from qa.evaluate.answers import AnswerReport, Judged

    def judged(gold, text, correct):
        return Judged("q", "comparison_query", gold, text, correct, False, True, 0, 0, 1, 1, 1.0, None)

    report = AnswerReport((judged("Yes", "Yes: the articles back it.", True), judged("No", "Yes: ...", False),
                           judged("No", "No: the passage says 4, not five.", True),
                           judged("Yes", "The quotes cannot settle yes or no", False)), "extractive").to_dict()
    assert (report["said_yes"], report["precision_yes"], report["said_no"], report["precision_no"]) == (2, 0.5, 1, 1.0)
    assert report["accuracy_yes_no"] == 0.5
