"""Grounding a written answer with the claim checker: contradicted claims shown with the span that says
otherwise, the direct answer held to the claims under it, citation precision from the checker."""
from __future__ import annotations

from qa.answer import verify
from qa.answer.grounding import CONTRADICTED, UNSUPPORTED, ground
from tests.test_answer import BAIDU, documents_of, hit

SORA = "Sora is a text-to-video model developed by OpenAI, the creator of ChatGPT, experts said. It went viral."
DEAL = "Microsoft invested $10 billion in OpenAI in January. The deal was announced on Monday."
HITS = [hit(BAIDU), hit(SORA, "doc-b", 2, title="AI industrial chain spurred on by Sora"),
        hit(DEAL, "doc-d", 3, title="Microsoft and OpenAI")]


def test_a_contradicted_claim_is_marked_and_cites_the_span_that_says_otherwise():
    grounded = ground("Yes\nSora was developed by Google [2]. Microsoft invested $20 billion in OpenAI [3].", HITS)
    lines = grounded.text.splitlines()
    assert lines[0] == f"Yes {CONTRADICTED}"  # a Yes above a contradicted claim is flagged
    assert lines[1] == f"Sora was developed by Google [1] {CONTRADICTED}. Microsoft invested $20 billion in OpenAI [2] {CONTRADICTED}."
    sora, deal = grounded.citations
    assert [(q.text, q.contradicts) for q in sora.quotes] == [(SORA.split(" It")[0], True)]
    assert [(q.text, q.contradicts) for q in deal.quotes] == [("Microsoft invested $10 billion in OpenAI in January.", True)]
    verdicts = [(c.verdict, c.reason) for c in grounded.claims]
    assert verdicts[1:] == [("contradicted", "the passage says OpenAI, not Google"),
                            ("contradicted", "the passage says $10 billion, not $20 billion")]
    assert not any(c.as_cited for c in grounded.claims[1:])  # citation precision counts neither


def test_a_backed_answer_keeps_its_citations_and_counts_as_cited():
    grounded = ground("OpenAI [2]\nSora was developed by OpenAI [2]. Microsoft invested 10 billion dollars in OpenAI [3].",
                      HITS)
    assert grounded.text == "OpenAI [1]\nSora was developed by OpenAI [1]. Microsoft invested 10 billion dollars in OpenAI [2]."
    assert [c.verdict for c in grounded.claims] == ["supported"] * 3 and grounded.unsupported == 0
    assert all(c.as_cited for c in grounded.claims)


def test_a_direct_answer_no_backed_claim_names_is_flagged():
    grounded = ground("Google\nSora was developed by OpenAI [2].", HITS)
    assert grounded.text.splitlines()[0] == f"Google {UNSUPPORTED}"
    assert grounded.claims[0].reason == "no backed claim says Google"


def test_unsupported_claims_quote_nothing_and_verify_holds():
    grounded = ground("Baidu focused on autonomous driving [1]. The moon is made of green cheese [1].", HITS)
    assert grounded.text == f"Baidu focused on autonomous driving [1]. The moon is made of green cheese {UNSUPPORTED}."
    assert len(grounded.citations) == 1 and len(grounded.citations[0].quotes) == 1
    from qa.answer.records import Answer
    answer = Answer("q", grounded.text, grounded.citations, False, tuple(HITS), answerer="generative",
                    claims=grounded.claims)
    assert verify(answer, documents_of(HITS)) == []


def test_the_chat_shows_each_claims_verdict_at_a_glance():
    from ui import render

    grounded = ground("Yes\nSora was developed by Google [2]. Baidu focused on autonomous driving [1]. "
                      "The moon is made of green cheese [1].", HITS)
    html = render.answer_html(grounded.text, turn=1)
    assert html.count('class="nd-flag nd-contradicted"') == 2  # the Yes and the claim under it
    assert html.count('class="nd-flag nd-unsupported"') == 1 and "[contradicted]" not in html
    sora, baidu = (render.card_html(c, turn=1) for c in grounded.citations)
    assert '<mark class="nd-against" title="says otherwise than the answer">Sora is a text-to-video model' in sora
    assert "<mark>Baidu: Baidu has focused" in baidu and "nd-against" not in baidu
