"""The claim checker (`qa.check_claim`) with the real spaCy pipeline: what a reader of a verdict relies on.

Each class of error the checker must catch (a number, a date, a name, polarity, roles, half of a
conjunction) and each form it must accept (units and scales, spelled-out numbers, date formats, a
surname, the article's own date, a paraphrase), and the promise that every quote is an exact span.
"""
from __future__ import annotations

import pytest

from qa import ClaimCheck, Hit, check_claim
from qa.check import CheckQuote

SORA = "Sora, a video model developed by US-based research company OpenAI, was shown on Thursday."


def verdict(claim: str, *passages) -> ClaimCheck:
    result = check_claim(claim, list(passages))
    for q in result.quotes:  # every quote is an exact span of the passage it names
        text = passages[q.passage] if isinstance(passages[q.passage], str) else passages[q.passage]["text"]
        assert text[q.start : q.end] == q.text
    return result


@pytest.mark.parametrize("claim, passage", [
    ("Microsoft invested 10 billion dollars in OpenAI.", "Microsoft invested $10bn in OpenAI last year."),
    ("Shares rose 10 percent on Monday.", "Shares rose 10% on Monday."),
    ("Shares rose 10 per cent on Monday.", "Shares rose 10% on Monday."),
    ("The stadium holds 1000 fans.", "The stadium holds 1,000 fans."),
    ("The company hired 4 engineers.", "The company hired four engineers."),
    ("The attack happened on 7 October.", "The attack happened on Oct. 7, officials said."),
    ("The attack happened on October 7.", "The attack happened on Oct. 7, officials said."),
    ("Sora was developed by OpenAI.", SORA),
    ("OpenAI developed Sora.", SORA),
    ("Regulators in the UK opened an inquiry into the deal.", "Regulators in the UK opened an inquiry into the deal, "
                                                             "officials said, after weeks of pressure."),
])
def test_same_fact_in_another_form_is_supported(claim, passage):
    result = verdict(claim, "The weather was mild across the region.", passage)
    assert result.verdict == "supported", result.reason
    assert [q.passage for q in result.quotes] == [1]
    assert result.reason == "passage 2 says so"


@pytest.mark.parametrize("claim, passage, reason", [
    ("Microsoft invested $20 billion in OpenAI.", "Microsoft invested $10 billion in OpenAI last year.",
     "the passage says $10 billion, not $20 billion"),
    ("The attack happened on October 25.", "The attack happened on Oct. 7, officials said.",
     "the passage says Oct. 7, not October 25"),
    ("The company hired five engineers.", "The company hired 4 engineers.", "the passage says 4, not five"),
    ("Google invested in OpenAI.", "Microsoft invested in OpenAI in 2019.", "the passage says Microsoft, not Google"),
    ("Sora was developed by Google.", SORA, "the passage says OpenAI, not Google"),
    ("OpenAI invested in Microsoft.", "Microsoft invested in OpenAI in 2019.",
     "the passage has Microsoft where the claim has OpenAI: who did what is exchanged"),
    ("Regulators in the UK opened an inquiry.", "Regulators in the UK did not open an inquiry.",
     'the passage says "did not open", not "opened"'),
    ("Regulators in the UK did not open an inquiry.", "Regulators in the UK opened an inquiry.",
     'the passage says "opened", not "did not open"'),
    ("The Scooby-Doo star is the only celebrity to call out Roblox.",
     "The Scooby-Doo star isn’t the only celebrity to call out Roblox.", "the passage says \"isn't\", not \"is\""),
    ("The company no longer sells phones.", "The company sells phones in 40 countries.",
     'the passage says "sells", not "no longer sells"'),
    ("The company failed to sell phones.", "The company sold phones in 40 countries.",
     'the passage says "sold", not "failed to sell"'),
])
def test_a_different_value_name_polarity_or_role_is_a_contradiction(claim, passage, reason):
    result = verdict(claim, passage)
    assert (result.verdict, result.reason) == ("contradicted", reason)
    assert result.quotes == (CheckQuote(0, 0, len(passage), passage),)


MUSK = "Elon Musk sued OpenAI in March, after months of public dispute."
FINE = "The European Commission fined Google 2.4 billion euros in 2017."
STAKE = "Microsoft invested $10 billion in OpenAI in January."


@pytest.mark.parametrize("claim, passage, expected", [
    ("OpenAI sued Elon Musk.", MUSK, "contradicted"),  # the same words in another order: subject and object swapped
    ("Elon Musk was sued by OpenAI.", MUSK, "contradicted"),  # the passive says the same swap
    ("OpenAI was sued by Elon Musk.", MUSK, "supported"),  # the passive of what the passage says
    ("Google fined the European Commission.", FINE, "contradicted"),
    ("Google was fined by the European Commission in 2017.", FINE, "supported"),
    ("OpenAI invested in Microsoft.", STAKE, "contradicted"),  # the one it is done to behind a preposition
    ("Microsoft invested in OpenAI in January.", STAKE, "supported"),
])
def test_who_did_what_to_whom_is_read_from_the_parse(claim, passage, expected):
    result = verdict(claim, "The weather was mild across the region.", passage)
    assert result.verdict == expected, result.reason


def test_what_no_passage_states_is_unsupported():
    assert verdict("Easton made himself out to be the Good Boy of crypto.",
                   "Bankman-Fried made himself out to be the Good Boy of crypto, and it worked.").verdict != "supported"
    result = verdict("Shares rose 10 percent and the company opened a store in Paris.",
                     "Shares rose 10% on Monday.", "The company hired 4 engineers.")
    assert result.verdict == "unsupported"
    assert result.reason.startswith("no passage says this")


def test_a_claim_joining_two_facts_needs_both_and_quotes_both():
    both = verdict("Shares rose 10 percent and the company hired four engineers.",
                   "Shares rose 10% on Monday.", "The company hired 4 engineers.")
    assert (both.verdict, both.reason) == ("supported", "passages 1 and 2 say so")
    assert [q.passage for q in both.quotes] == [0, 1]
    half = verdict("Shares rose 10 percent and the company hired five engineers.",
                   "Shares rose 10% on Monday.", "The company hired 4 engineers.")
    assert half.verdict == "contradicted"


def test_a_surname_and_the_articles_own_date_count():
    passage = {"text": "Bankman-Fried was found guilty on Thursday of 7 counts of fraud.", "date": "2023-11-02",
               "title": "Sam Bankman-Fried convicted", "outlet": "The Verge", "url": "https://example.com/sbf"}
    assert verdict("Sam Bankman-Fried was found guilty of seven counts of fraud.", passage).verdict == "supported"
    assert verdict("Bankman-Fried was found guilty on November 2.", passage).verdict == "supported"
    assert verdict("Bankman-Fried was found guilty on November 9.", passage).verdict != "supported"


def test_every_sentence_of_a_claim_is_checked():
    passage = "Microsoft invested $10 billion in OpenAI. The deal closed in January."
    assert verdict("Microsoft invested $10 billion in OpenAI. The deal closed in January.", passage).supported
    result = verdict("Microsoft invested $10 billion in OpenAI. The deal closed in March.", passage)
    assert result.verdict == "contradicted"
    assert result.to_dict()["verdict"] == "contradicted"


def test_a_hit_is_read_with_its_article():
    text = "Bankman-Fried was found guilty on Thursday of 7 counts of fraud."
    hit = Hit(1, 0.9, 7, "https://example.com/sbf", text, 100, 100 + len(text), "Sam Bankman-Fried convicted",
              "The Verge", "2023-11-02", "https://example.com/sbf", "sbf.json")
    result = check_claim("Sam Bankman-Fried was found guilty on November 2.", [hit])
    assert result.verdict == "supported"
    assert result.quotes == (CheckQuote(0, 0, len(text), text),)


def test_bad_arguments_name_the_value_and_the_fix():
    with pytest.raises(ValueError, match="claim must be a non-empty string"):
        check_claim("  ", ["text"])
    with pytest.raises(ValueError, match="passage 1 has no text string"):
        check_claim("A claim.", ["text", {"title": "no text"}])
    with pytest.raises(TypeError, match="passage 0 is a int: give a Hit, a string, or a mapping with 'text'"):
        check_claim("A claim.", [3])
    assert check_claim("A claim.", []).verdict == "unsupported"
