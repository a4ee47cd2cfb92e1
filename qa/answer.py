"""Cited answers: the `Answer` and `Citation` records, the `Answerer` interface, and `ask`.

`ask` resolves a follow-up against the conversation, retrieves passages, and
hands them to an `Answerer`, which composes the answer text with [n] markers.
The default answerer is extractive (`qa.extractive`): every sentence it writes
is quoted verbatim from a cited passage. A generative answerer (a chat model
behind an OpenAI-compatible endpoint, say) plugs in behind the same interface;
whatever it writes, its citations must still quote passages exactly, so the
UI can highlight them and `verify` can check them.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, Iterable, Iterator, Mapping, Protocol, Sequence

from index.store import Filters
from qa.conversation import Query, resolve
from qa.retriever import Hit, Retriever

ABSTAIN_TEXT = "The indexed articles don't answer this."
History = Iterable[Mapping[str, Any]]  # chat messages: {"role": "user" | "assistant", "content": ...}


@dataclass(frozen=True, slots=True)
class Quote:
    """A cited span: `text == document.text[start:end]` of the citation's document."""

    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Citation:
    """Source [n] of an answer: one passage of one article, and the sentences quoted from it.

    `passage == document.text[passage_start:passage_end]`; every quote lies inside it.
    """

    n: int
    doc_id: str
    title: str
    outlet: str | None
    date: str | None
    url: str | None
    passage: str
    passage_start: int
    passage_end: int
    quotes: tuple[Quote, ...]
    score: float = 0.0

    @property
    def label(self) -> str:
        """`"Title", Outlet, 2024-02-21` (missing parts left out)."""
        return ", ".join([f'"{self.title}"'] + [p for p in (self.outlet, self.date) if p])

    def local_spans(self) -> list[tuple[int, int]]:
        """The quotes' spans relative to `passage` (what a highlighter needs)."""
        return [(q.start - self.passage_start, q.end - self.passage_start) for q in self.quotes]


@dataclass(frozen=True, slots=True)
class Answer:
    """What `ask` returns. `text` carries [n] markers that point to `citations[n - 1]`.

    When `abstained` is true the evidence was too weak: `text` says so, `citations`
    is empty and `hits` holds the closest passages to show instead.
    """

    question: str
    text: str
    citations: tuple[Citation, ...]
    abstained: bool
    hits: tuple[Hit, ...]
    query: str = ""  # what was searched for (the standalone form of a follow-up)
    confidence: float = 0.0  # the answerer's own evidence score; compare with its threshold only

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what `newsdesk ask --json` prints)."""
        return {"question": self.question, "query": self.query, "text": self.text, "abstained": self.abstained,
                "confidence": round(self.confidence, 4),
                "citations": [asdict(c) | {"label": c.label} for c in self.citations],
                "hits": [asdict(h) | {"citation": h.citation} for h in self.hits]}


class Answerer(Protocol):
    """Composes an answer from retrieved passages.

    `stream` yields pieces of the answer text as they are ready and, last, the
    finished `Answer` (whose text is the pieces joined). An extractive answerer
    yields one sentence at a time; a generative one would yield model tokens and
    parse its [n] markers into citations at the end.
    """

    def stream(self, query: Query, hits: Sequence[Hit]) -> Iterator[str | Answer]: ...


def ask(question: str, history: History | None = None, retriever: Retriever | None = None,
        filters: Filters | None = None, k: int = 5, answerer: Answerer | None = None) -> Answer:
    """Answer `question` (asked after the chat `history`) from the index behind `retriever`."""
    answer = None
    for piece in ask_stream(question, history, retriever, filters, k, answerer):
        if isinstance(piece, Answer):
            answer = piece
    assert answer is not None, "an Answerer must end its stream with the Answer"
    return answer


def ask_stream(question: str, history: History | None = None, retriever: Retriever | None = None,
               filters: Filters | None = None, k: int = 5, answerer: Answerer | None = None) -> Iterator[str | Answer]:
    """Like `ask`, but yields the answer text piece by piece, then the `Answer`.

    `k` is how many passages the answer may draw on: more finds facts spread over
    several articles, and costs a little time to score their sentences.
    """
    from qa.extractive import ExtractiveAnswerer
    from qa.retriever import validate_question

    question = validate_question(question)
    retriever = retriever or Retriever.open()
    answerer = answerer or ExtractiveAnswerer(retriever.encoder)
    query = resolve(question, history, similarity=_name_similarity(retriever))
    hits = retriever.search(query.text, k=k, filters=filters)
    yield from answerer.stream(query, hits)


def _name_similarity(retriever: Retriever):
    """Which old name a follow-up's new name replaces: the one closest in embedding space."""
    encode = getattr(retriever.encoder, "encode", None)
    if encode is None:
        return None

    def similarity(name: str, old: Sequence[str]) -> list[float]:
        vectors = encode([name, *old])
        return [float(vectors[0] @ v) for v in vectors[1:]]

    return similarity


def verify(answer: Answer, documents: Mapping[str, str]) -> list[str]:
    """Problems with an answer's citations, given each cited document's stored text (empty: all good).

    Checks that every quote is verbatim at its offsets, lies inside its passage,
    and that every [n] in the text points to a citation whose quotes it repeats.
    """
    problems = []
    for c in answer.citations:
        text = documents.get(c.doc_id)
        if text is None:
            problems.append(f"[{c.n}] cites {c.doc_id}, which is not in the index")
            continue
        if text[c.passage_start : c.passage_end] != c.passage:
            problems.append(f"[{c.n}] passage is not at {c.passage_start}..{c.passage_end} of {c.doc_id}")
        for q in c.quotes:
            if text[q.start : q.end] != q.text or q.text not in c.passage:
                problems.append(f"[{c.n}] quote {q.text[:40]!r} is not at {q.start}..{q.end} of {c.doc_id}")
            if q.text not in answer.text:
                problems.append(f"[{c.n}] quote {q.text[:40]!r} does not appear in the answer")
    for n in sorted({int(m) for m in re.findall(r"\[(\d+)\]", answer.text)}):
        if not 1 <= n <= len(answer.citations):
            problems.append(f"[{n}] in the answer has no citation")
    return problems
