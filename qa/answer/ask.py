"""`ask`: a question (and the chat so far) to a cited `Answer`.

It resolves a follow-up against the conversation, retrieves passages, and hands
them to an `Answerer` (the extractive one unless another is given), which
composes the answer text with [n] markers.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Iterator, Sequence

from index.document import Filters
from qa.retrieve.conversation import Query, resolve
from qa.answer.factory import default_answerer
from qa.answer.digest import DIGEST_K, digest, time_note
from qa.answer.records import PARAGRAPH, Answer, Answerer, History
from qa.answer.summary import SUMMARY_K, summary_subject
from qa.answer.timeline import TIMELINE_K, from_hits
from qa.answer.timing import newer_note, order_of_reports
from qa.retrieve.retriever import Retriever, validate_question
from qa.retrieve.records import Hit
from qa.retrieve.when import TimeReading


def ask(question: str, history: History | None = None, retriever: Retriever | None = None,
        filters: Filters | None = None, k: int = 5, answerer: Answerer | None = None, time: bool = True) -> Answer:
    """Answer `question` (asked after the chat `history`) from the index behind `retriever`; `time=False`
    leaves its time words unread (no date bounds, no newest first)."""
    answer = None
    for piece in ask_stream(question, history, retriever, filters, k, answerer, time):
        if isinstance(piece, Answer):
            answer = piece
    assert answer is not None, "an Answerer must end its stream with the Answer"
    return answer


def ask_stream(question: str, history: History | None = None, retriever: Retriever | None = None,
               filters: Filters | None = None, k: int = 5, answerer: Answerer | None = None,
               time: bool = True) -> Iterator[str | Answer]:
    """Like `ask`, but yields the answer text piece by piece, then the `Answer`.

    `k` is how many passages the answer may draw on: more finds facts spread over
    several articles, and costs a little time to score their sentences.
    """
    retriever = retriever or Retriever.open()
    answerer = answerer or default_answerer(retriever.encoder)
    query, hits, history = retrieve(question, history, retriever, filters, k, time)
    yield from answer_stream(answerer, query, hits, history)


def retrieve(question: str, history: History | None, retriever: Retriever, filters: Filters | None,
             k: int, time: bool = True) -> tuple[Query, list[Hit], list]:
    """The first half of `ask`: the standalone question, its passages, and the history as a list.

    The only half that reads the index: a server that shares one index between
    chats locks around this and lets the answerer (a model may take seconds) run unlocked.
    A question about the articles themselves ("What is the latest news in these articles?") is
    never read as a follow-up; a timeline question searches TIMELINE_K articles, a summary SUMMARY_K.
    """
    question = validate_question(question)
    history = list(history or ())  # read twice: for the standalone rewrite, and as context for a model
    own = retriever.read_time(question) if time else TimeReading()
    query = resolve(question, None if own and not own.subject else history, similarity=_name_similarity(retriever))
    reading = own if query.text == question or not time else retriever.read_time(query.text)
    query = replace(query, time=reading)
    depth = max(k, TIMELINE_K) if reading.timeline else max(k, DIGEST_K) if reading and not reading.subject else k
    subject = summary_subject(query.text)  # a summary searches for its subject alone, in more articles
    depth = max(depth, SUMMARY_K) if subject else depth
    searched = subject or query.text
    known = reading if time and searched == query.text else time  # the question's time is read once
    return query, retriever.search(searched, k=depth, filters=filters, time=known), history


def answer_stream(answerer: Answerer, query: Query, hits: Sequence[Hit], history: History = ()) -> Iterator[str | Answer]:
    """The second half of `ask`: `answerer`'s answer, or for a question about time the answer its reading
    calls for: a timeline (qa.answer.timeline), the newest articles (qa.answer.digest), or the answerer's
    answer opened by what the question was read as ("Newest first, as of 2023-12-25."); a question about the
    order of two reports is answered from their dates (qa.answer.timing)."""
    reading = query.time
    if reading is not None and reading.timeline:
        answer = from_hits(query.asked, reading.subject or query.text, hits).answer
        yield from (answer.text, replace(answer, query=query.text))
        return
    if reading is not None and (reading.recency or reading.bounded) and not reading.subject:
        answer = digest(query, hits)
        yield from (answer.text, answer)
        return
    ordered = order_of_reports(query, hits)  # "Did A report X before B reported Y?": their dates settle it
    if ordered is not None:
        yield from (ordered.text, ordered)
        return
    note = time_note(reading)
    if note and not hits and reading.bounded:  # the question's own dates leave nothing
        answer = Answer(query.asked, f"No indexed article was {reading.describe().split(', ')[0]}.", (), True, (),
                        query.text)
        yield from (answer.text, answer)
        return
    if note:
        yield note + PARAGRAPH
    for piece in answerer.stream(query, hits, history):
        if isinstance(piece, Answer):
            newer = newer_note(piece)  # sources that disagree: which report is the newer one
            if newer:
                yield PARAGRAPH + newer
            text = PARAGRAPH.join(p for p in (note, piece.text, newer) if p)
            piece = replace(piece, text=text) if text != piece.text else piece
        yield piece


def _name_similarity(retriever: Retriever):
    """Which old name a follow-up's new name replaces: the one closest in embedding space."""
    encode = getattr(retriever.encoder, "encode", None)
    if encode is None:
        return None

    def similarity(name: str, old: Sequence[str]) -> list[float]:
        vectors = encode([name, *old])
        return [float(vectors[0] @ v) for v in vectors[1:]]

    return similarity
