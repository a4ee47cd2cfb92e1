"""What kind of answer a question wants, and what the extractive answer puts before its quotes.

`kind` reads the question: "summary" (`qa.answer.summary`), "choice" (A or B?, `qa.answer.choice`), "yesno" (Does /
Did / Is ... ?, also after a leading clause), "who", "when", "where", "count" (how many / how much), "which" (which /
what company, person, ...), else "open". `lead_line` puts first the phrase
`qa.answer.phrase.answer_phrase` finds in the quoted sentences (a name, a date, a
place or a number of the type asked for). `named_outlets` are the
passages' outlets that the question names, so a yes/no answer can quote each.
`lead_line` and `each_outlet` compose what the extractive answer puts first.
Nothing is generated: every phrase is a span of a passage. This module must not
score sentences or build citations.
"""
from __future__ import annotations

import re
from typing import Sequence

from qa.answer.choice import chosen, each_option, options
from qa.answer.phrase import answer_phrase
from qa.answer.records import PARAGRAPH
from qa.answer.summary import summary_subject

_AUX = r"(?:does|do|did|is|are|was|were|has|have|had|can|could|will|would|should)"
_LEADING = r"(?:between|after|before|considering|following|given|from|based on|according to|in light of)\b"
_YESNO = re.compile(rf"^\s*(?:{_LEADING}[^?]*?,\s*)?{_AUX}\b", re.IGNORECASE)  # "Between A and B, was ...?"
_WHO = re.compile(r"^\s*(?:\w+\s+){0,3}?(?:who|whom|which (?:individual|person|player|executive|founder|ceo|"
                  r"author|artist|singer|actor|politician))\b|\bwho\b[^?]*\?\s*$", re.IGNORECASE)
_WHEN = re.compile(r"^\s*(?:\w+\s+){0,3}?(?:when|(?:in )?what (?:year|month|date|day))\b", re.IGNORECASE)
_POLITE = re.compile(r"^\s*(?:please,?\s+)?(?:(?:can|could|would|will) you (?:please )?(?:tell|show|let) me(?: know)?|"
                     r"do you (?:happen to )?know|(?:please )?tell me|i (?:want|would like|'d like) to know),?\s+",
                     re.IGNORECASE)
_WHERE = re.compile(r"^\s*(?:\w+\s+){0,3}?(?:where|in (?:what|which) (?:country|city|state|place))\b", re.IGNORECASE)
_COUNT = re.compile(r"\bhow (?:many|much)\b", re.IGNORECASE)
_WHICH = re.compile(r"^\s*(?:\w+\s+){0,3}?(?:which|what (?:is the name of the |)(?:company|organization|organisation|"
                    r"firm|entity|country|city|team|platform|product|model|brand|service|group|institution|"
                    r"agency|app|device|game|film|movie|show|band|league|club|university|state|network))\b",
                    re.IGNORECASE)

VOTERS = 12  # best-scoring sentences that vote for the answer phrase (a name many of them hold wins)


def kind(question: str) -> str:
    """"summary", "choice", "yesno", "who", "when", "where", "count", "which" or "open" (any other question: no short
    phrase). A polite form is read as the question it wraps: "Can you tell me who ..." asks who, "Do you know if ..." yes or no."""
    if summary_subject(question):
        return "summary"  # "Summarise what the articles say about X" (qa.answer.summary)
    wrapped = _POLITE.match(question)
    if wrapped:
        question = question[wrapped.end():]
    if options(question)[0]:
        return "choice"  # "Was it Google or Microsoft that ...?" asks which, not yes or no
    if wrapped and re.match(r"(?:if|whether)\b", question, re.IGNORECASE):
        return "yesno"
    if _YESNO.match(question):
        return "yesno"
    for name, pattern in (("count", _COUNT), ("when", _WHEN), ("where", _WHERE), ("who", _WHO), ("which", _WHICH)):
        if pattern.search(question):
            return name
    return "open"


def side_by_side(question: str, question_kind: str, picked: list, ranked: list) -> list:
    """`picked` with the evidence a reader compares added: each named outlet's for a yes/no question,
    each option's for an A-or-B one (`qa.answer.choice.each_option`), the direct answer's sentence for
    the others (`with_answer`)."""
    if question_kind == "yesno":
        return each_outlet(question, picked, ranked)
    if question_kind == "choice":
        return each_option(question, picked, ranked)
    return with_answer(question, question_kind, picked, ranked)


def with_answer(question: str, question_kind: str, picked: list, ranked: list) -> list:
    """`picked` with the sentence of the best-voted answer phrase added when no picked sentence holds it:
    the direct answer is always quoted, and the answer the best candidates agree on is not left out."""
    shown = [s for s, _ in picked]
    scores = {s.doc_span: score for s, score in ranked}
    voters = shown + [s for s, _ in ranked[:VOTERS] if s.doc_span not in {x.doc_span for x in shown}]
    found = answer_phrase(question, question_kind, [(s.text, scores.get(s.doc_span, 0.0)) for s in voters],
                          len(voters))
    if found is None or found[0] < len(shown):
        return picked
    return list(picked) + [(voters[found[0]], scores.get(voters[found[0]].doc_span, 0.0))]


def each_outlet(question: str, picked: list, ranked: list) -> list:
    """For a yes/no question naming outlets, add each named outlet's best sentence when none is quoted yet,
    so the reader sees every part's evidence side by side. `picked` and `ranked` are (sentence, score)
    pairs of the extractive answerer's candidates (anything with `.hit.outlet`)."""
    outlets = list(dict.fromkeys(s.hit.outlet for s, _ in ranked if s.hit.outlet))
    out = list(picked)
    for outlet in named_outlets(question, outlets):
        if not any(s.hit.outlet == outlet for s, _ in out):
            best = next(((s, score) for s, score in ranked if s.hit.outlet == outlet), None)
            if best is not None:
                out.append(best)
    return out


def lead_line(question: str, question_kind: str, ordered: list, ranked: list) -> str:
    """What comes before the quotes: the answering phrase ("OpenAI [1]") for who / which / when / where / how
    many / A-or-B questions (nothing when no quoted sentence holds a phrase of the type asked for), a plain
    word that quotes cannot say yes or no, or nothing. `ordered` are the quoted sentences with their
    citation numbers, `ranked` every candidate with its score, best first."""
    if question_kind == "yesno":
        return "The quotes cannot settle yes or no; here is what each source says." + PARAGRAPH
    shown = [s for s, _ in ordered]
    scores = {s.doc_span: score for s, score in ranked}
    voters = shown + [s for s, _ in ranked[:VOTERS] if s.doc_span not in {x.doc_span for x in shown}]
    if question_kind == "choice":
        found = chosen(question, shown, ranked)
    else:
        found = answer_phrase(question, question_kind, [(s.text, scores.get(s.doc_span, 0.0)) for s in voters],
                              len(shown))
    if found is None:
        return ""
    i, start, end = found
    return f"{shown[i].text[start:end]} [{ordered[i][1]}]" + PARAGRAPH  # the direct answer: a paragraph of its own


def named_outlets(question: str, outlets: Sequence[str]) -> list[str]:
    """The outlets (of the passages at hand) that the question names, in the order it names them."""
    q = question.lower()
    named = {}
    for outlet in outlets:
        for form in {outlet.lower(), outlet.lower().split(" | ")[0].split(" - ")[0].strip()}:
            at = q.find(form) if len(form) >= 3 else -1
            if at >= 0:
                named.setdefault(outlet, at)
    return sorted(named, key=named.get)
