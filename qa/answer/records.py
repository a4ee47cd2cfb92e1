"""Cited answers as records: `Answer`, `Citation`, `Quote`, the `Answerer` interface, and `verify`.

An `Answerer` composes the answer text with [n] markers from retrieved passages.
The default one is extractive (`qa.answer.extractive`): every sentence it writes
is quoted verbatim from a cited passage. A generative answerer (a chat model
behind an OpenAI-compatible endpoint, `qa.answer.generative`) plugs in behind
the same interface; whatever it writes, its citations must still quote passages
exactly (the spans that back each claim), so the UI can highlight them and
`verify` can check them. This module imports no answerer: answerers import it.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, Iterable, Iterator, Mapping, Protocol, Sequence

from qa.retrieve.conversation import Query
from qa.retrieve.records import Hit, also_reported

ABSTAIN_TEXT = "The indexed articles don't answer this."
PARAGRAPH = "\n\n"  # between an answer's parts (the direct answer, a notice, the quotes); a single line break is
#                    a quote's own hard wrap, shown as a space


def paragraphs(text: str) -> list[str]:
    """An answer's parts as a reader sees them: split at blank lines, each on one line."""
    return [" ".join(part.split()) for part in re.split(r"\n[ \t]*\n", text) if part.strip()]
History = Iterable[Mapping[str, Any]]  # chat messages: {"role": "user" | "assistant", "content": ...}


@dataclass(frozen=True, slots=True)
class Quote:
    """A cited span: `text == document.text[start:end]` of the citation's document.

    `contradicts` is true for a span quoted because it says otherwise than a claim of a written answer.
    """

    text: str
    start: int
    end: int
    contradicts: bool = False


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
    also: tuple[str, ...] = ()  # the story's other reports, `Outlet (date)` (syndicated copies, shown once)

    @property
    def label(self) -> str:
        """`"Title", Outlet, 2024-02-21; also reported by Other (2024-02-22)` (missing parts left out)."""
        own = ", ".join([f'"{self.title}"'] + [p for p in (self.outlet, self.date) if p])
        return f"{own}; {also_reported(self.also)}" if self.also else own

    def local_spans(self) -> list[tuple[int, int]]:
        """The quotes' spans relative to `passage` (what a highlighter needs)."""
        return [(q.start - self.passage_start, q.end - self.passage_start) for q in self.quotes]


@dataclass(frozen=True, slots=True)
class Claim:
    """One sentence of a written answer and how it is grounded.

    `cited` are the passage numbers the model wrote after it; `cites` the citations it ends up
    with (renumbered; empty when nothing backs it); `supported` is false for a claim no passage
    backs (flagged in the text); `as_cited` is true when a passage the model cited backs it (what
    citation precision counts); `support` is 1.0 for a supported claim, else 0.0; `stated` is false
    for the bare direct answer ("Yes", "OpenAI"), which the claims after it back. `verdict` is the
    checker's ("supported", "contradicted", "unsupported") and `reason` its one line.
    """

    text: str
    cited: tuple[int, ...]
    cites: tuple[int, ...]
    supported: bool
    support: float
    as_cited: bool
    stated: bool = True
    verdict: str = "supported"
    reason: str = ""


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
    answerer: str = "extractive"  # who wrote `text`: "extractive" (quotes) or "generative" (a model)
    notice: str | None = None  # one line for the user: why the model's answer is not the one shown
    claims: tuple[Claim, ...] = ()  # a written answer's sentences and their grounding

    @property
    def unsupported(self) -> int:
        """Claims of a written answer that no passage backs (flagged in the text)."""
        return sum(not c.supported for c in self.claims)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what `newsdesk ask --json` prints)."""
        return {"question": self.question, "query": self.query, "text": self.text, "abstained": self.abstained,
                "confidence": round(self.confidence, 4), "answerer": self.answerer, "notice": self.notice,
                "unsupported": self.unsupported, "claims": [asdict(c) for c in self.claims],
                "citations": [asdict(c) | {"label": c.label} for c in self.citations],
                "hits": [asdict(h) | {"citation": h.citation} for h in self.hits]}


class Thinking(str):
    """An empty piece of an answer stream saying a model is thinking before it answers (a chat may show
    so); being an empty string, it adds nothing to the text of whoever joins the pieces."""

    def __new__(cls) -> "Thinking":
        return super().__new__(cls, "")


class Answerer(Protocol):
    """Composes an answer from retrieved passages.

    `stream` yields pieces of the answer text as they are ready and, last, the
    finished `Answer`. An extractive answerer yields one sentence at a time and
    its text is the pieces joined; a generative one yields model tokens as they
    arrive and grounds its [n] markers at the end, so its `Answer.text` (markers
    renumbered, unsupported claims flagged) is the one to show once it comes.
    `history` is the chat so far, for answerers that give a model the context.
    A `Thinking` piece (an empty string) may come while a model reasons.
    """

    def stream(self, query: Query, hits: Sequence[Hit], history: History = ()) -> Iterator[str | Answer]: ...


def verify(answer: Answer, documents: Mapping[str, str]) -> list[str]:
    """Problems with an answer's citations, given each cited document's stored text (empty: all good).

    Checks that every quote is verbatim at its offsets and lies inside its passage,
    and that every [n] in the text points to a citation. An extractive answer must
    repeat its quotes; a written (generative) one must cite each citation it lists.
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
            if answer.answerer != "generative" and q.text not in answer.text:
                problems.append(f"[{c.n}] quote {q.text[:40]!r} does not appear in the answer")
        if answer.answerer == "generative" and f"[{c.n}]" not in answer.text:
            problems.append(f"[{c.n}] is listed but no sentence of the answer cites it")
    for n in sorted({int(m) for m in re.findall(r"\[(\d+)\]", answer.text)}):
        if not 1 <= n <= len(answer.citations):
            problems.append(f"[{n}] in the answer has no citation")
    return problems
