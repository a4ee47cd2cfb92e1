"""How good are the answers: golden answers judged the simple, published way (MultiHop-RAG's).

A question whose gold answer is Yes or No is judged by the answer's first word;
one whose gold answer is "Insufficient information" (or that has no evidence) is
right when the answerer abstains; any other is right when the answer contains the
gold answer (case and punctuation aside). Reported per question type, with the
abstentions on unanswerable questions, the wrong abstentions on answerable ones,
citation precision (written claims whose cited span backs them; an extractive
answer's claims are its quotes, backed by construction), evidence precision
(citations whose article is a gold evidence article) and the time to the first
piece of text. This module asks questions; it never changes the index.
"""
from __future__ import annotations

import re
import statistics
from collections import Counter
import time
from dataclasses import dataclass, field
from typing import Sequence

from qa.answer import Answer, ask_stream
from qa.answer.records import Answerer
from qa.evaluate.golden import GoldenQuestion
from qa.retrieve.retriever import Retriever

_UNANSWERABLE = re.compile(r"^\s*insufficient information\W*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Judged:
    id: str
    type: str
    gold: str
    text: str
    correct: bool
    abstained: bool
    answerable: bool
    claims: int
    claims_as_cited: int
    citations: int
    citations_on_evidence: int
    first_piece_ms: float
    fallback: str | None  # why the model's answer was replaced by the extractive one (None: it was not)


@dataclass(frozen=True, slots=True)
class AnswerReport:
    judged: tuple[Judged, ...]
    answerer: str
    by_type: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        j = self.judged
        answerable = [x for x in j if x.answerable]
        unanswerable = [x for x in j if not x.answerable]
        yes_no = [x for x in answerable if _yes_no(x.gold)]
        claims = sum(x.claims for x in j)
        cites = sum(x.citations for x in j)
        ttft = sorted(x.first_piece_ms for x in j)
        return {
            "answerer": self.answerer, "questions": len(j),
            "accuracy": _share([x.correct for x in answerable]),
            "accuracy_by_type": {t: _share([x.correct for x in answerable if x.type == t])
                                 for t in sorted({x.type for x in answerable})},
            "accuracy_yes_no": _share([x.correct for x in yes_no]),
            **_said(yes_no),
            "accuracy_entity": _share([x.correct for x in answerable if not _yes_no(x.gold)]),
            "abstained_on_unanswerable": _share([x.abstained for x in unanswerable]),
            "wrong_abstentions": _share([x.abstained for x in answerable]),
            "citation_precision": round(sum(x.claims_as_cited for x in j) / claims, 4) if claims else None,
            "evidence_precision": round(sum(x.citations_on_evidence for x in j) / cites, 4) if cites else None,
            "fallbacks": sum(x.fallback is not None for x in j),
            "fallback_reasons": dict(Counter(x.fallback for x in j if x.fallback is not None).most_common()),
            "first_piece_ms_p50": round(statistics.median(ttft), 1) if ttft else None,
            "first_piece_ms_p95": round(ttft[int(0.95 * (len(ttft) - 1))], 1) if ttft else None,
            "answerable": len(answerable), "unanswerable": len(unanswerable),
        }


def judge(gold: str, answer: Answer) -> bool:
    """Right or wrong by the MultiHop-RAG rules (first word for Yes/No, containment for the rest)."""
    if _UNANSWERABLE.match(gold):
        return answer.abstained
    if answer.abstained:
        return False
    text = answer.text[len(answer.notice):] if answer.notice else answer.text
    if _yes_no(gold):
        first = re.findall(r"[a-z]+", text.lower())[:1]
        return first == [gold.strip().lower().rstrip(".")]
    return judge_text(gold, text)


def judge_text(gold: str, text: str) -> bool:
    """Whether `text` holds the gold answer, case and punctuation aside (an entity answer's rule)."""
    return _normal(gold) in _normal(text)


def evaluate_answers(retriever: Retriever, questions: Sequence[GoldenQuestion], answerer: Answerer,
                     k: int = 5, name: str = "") -> AnswerReport:
    """Ask every question with a gold answer through `answerer` and judge it."""
    judged = []
    for q in questions:
        if q.answer is None:
            continue
        start = time.perf_counter()
        first = None
        answer = None
        for piece in ask_stream(q.question, None, retriever, None, k, answerer):
            if first is None:
                first = (time.perf_counter() - start) * 1000
            if isinstance(piece, Answer):
                answer = piece
        evidence = set(q.evidence)
        written = answer.answerer == "generative"
        checked = [c for c in answer.claims if c.cited and c.stated]
        claims = len(checked) if written else sum(len(c.quotes) for c in answer.citations)
        as_cited = sum(c.as_cited for c in checked) if written else claims
        judged.append(Judged(q.id, q.type or "untyped", q.answer, answer.text, judge(q.answer, answer),
                             answer.abstained, not (_UNANSWERABLE.match(q.answer) or not q.evidence), claims,
                             as_cited, len(answer.citations), sum(c.doc_id in evidence for c in answer.citations),
                             first or 0.0, _reason(answer.notice if answer.answerer != "generative" else None)))
    return AnswerReport(tuple(judged), name or type(answerer).__name__)


def stratified(questions: Sequence[GoldenQuestion], limit: int) -> list[GoldenQuestion]:
    """`limit` questions spread evenly over the types, each type's in the order of a hash of their ids
    (the same slice every run, whatever order the file is in)."""
    import hashlib

    by_type: dict[str, list[GoldenQuestion]] = {}
    for q in sorted(questions, key=lambda q: hashlib.sha1(q.id.encode()).hexdigest()):
        by_type.setdefault(q.type or "untyped", []).append(q)
    queues = [by_type[t] for t in sorted(by_type)]
    out: list[GoldenQuestion] = []
    while len(out) < limit and any(queues):
        for queue in queues:
            if queue and len(out) < limit:
                out.append(queue.pop(0))
    return out


def _reason(notice: str | None) -> str | None:
    """A fallback notice without the server's address, so the same failure counts as one reason."""
    if notice is None:
        return None
    return re.sub(r"\s*\(the model server at \S+ ", " (", notice.split(" Showing the built-in")[0])


def _said(yes_no: list[Judged]) -> dict:
    """How often the answer said Yes and No to the Yes/No questions, and how often each was right (the
    precision of Yes and of No: a set that is mostly Yes rewards a prior, so each is reported alone)."""
    out = {}
    for word in ("yes", "no"):
        said = [x for x in yes_no if _first_word(x.text) == word]
        out |= {f"said_{word}": len(said), f"precision_{word}": _share([x.correct for x in said])}
    return out


def _first_word(text: str) -> str:
    return (re.findall(r"[a-z]+", text.lower()) or [""])[0]


def _yes_no(gold: str) -> bool:
    return gold.strip().lower().rstrip(".") in ("yes", "no")


def _normal(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower().replace("’", "'").replace("'s ", " ")))


def _share(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 4) if flags else None
