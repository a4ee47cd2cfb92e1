"""`ask`: a question (and the chat so far) to a cited `Answer`.

It resolves a follow-up against the conversation, retrieves passages, and hands
them to an `Answerer` (the extractive one unless another is given), which
composes the answer text with [n] markers.
"""
from __future__ import annotations

from typing import Iterator, Sequence

from index.document import Filters
from qa.retrieve.conversation import Query, resolve
from qa.answer.factory import default_answerer
from qa.answer.records import Answer, Answerer, History
from qa.retrieve.retriever import Retriever, validate_question
from qa.retrieve.records import Hit


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
    retriever = retriever or Retriever.open()
    answerer = answerer or default_answerer(retriever.encoder)
    query, hits, history = retrieve(question, history, retriever, filters, k)
    yield from answerer.stream(query, hits, history)


def retrieve(question: str, history: History | None, retriever: Retriever, filters: Filters | None,
             k: int) -> tuple[Query, list[Hit], list]:
    """The first half of `ask`: the standalone question, its passages, and the history as a list.

    The only half that reads the index: a server that shares one index between
    chats locks around this and lets the answerer (a model may take seconds) run unlocked.
    """
    question = validate_question(question)
    history = list(history or ())  # read twice: for the standalone rewrite, and as context for a model
    query = resolve(question, history, similarity=_name_similarity(retriever))
    return query, retriever.search(query.text, k=k, filters=filters), history


def _name_similarity(retriever: Retriever):
    """Which old name a follow-up's new name replaces: the one closest in embedding space."""
    encode = getattr(retriever.encoder, "encode", None)
    if encode is None:
        return None

    def similarity(name: str, old: Sequence[str]) -> list[float]:
        vectors = encode([name, *old])
        return [float(vectors[0] @ v) for v in vectors[1:]]

    return similarity
