"""Pacing answer text into the chat a few words at a time.

An answerer yields text pieces as it has them: a generative model a token at a
time, the extractive answerer a whole sentence at a time, all its sentences
within a millisecond once they are scored. Sent as they come, the extractive
answer would land in one piece. `paced` re-cuts each piece into a few words and
lets at least `step_s` pass between sends, and never holds back a piece that
arrives slower than that (a model's tokens): the first words go out the moment
they exist, so pacing costs no time to first text. Text is never changed: the
pieces it yields join to exactly what the answerer wrote. Nothing here imports
gradio or knows about HTML.
"""
from __future__ import annotations

import math
import re
import time
from typing import Callable, Iterable, Iterator, TypeVar

STEP_S = 0.03  # between two sends: ~30 updates a second reads as typing and keeps the browser's redraws cheap
WORDS = 2  # the fewest words per send
PIECE_S = 0.25  # the longest one piece may take to reveal: a long sentence goes in bigger steps, not slower

T = TypeVar("T")
_WORD = re.compile(r"\s*\S+\s*$|\s*\S+")


def paced(pieces: Iterable[str | T], step_s: float = STEP_S, words: int = WORDS, piece_s: float = PIECE_S,
          clock: Callable[[], float] = time.monotonic,
          sleep: Callable[[float], None] = time.sleep) -> Iterator[str | T]:
    """`pieces` with each text piece cut into runs of words, sent at most one run every `step_s`;
    anything that is not text (the finished `Answer`), or empty, passes through at once."""
    due = -math.inf
    for piece in pieces:
        if not isinstance(piece, str) or not piece:  # the Answer, or an empty marker (qa.answer.records.Thinking)
            yield piece
            continue
        parts = _WORD.findall(piece) or [piece]
        per = max(words, math.ceil(len(parts) * step_s / piece_s))
        for lo in range(0, len(parts), per):
            wait = due - clock()
            if wait > 0:
                sleep(wait)
            yield "".join(parts[lo : lo + per])
            due = clock() + step_s
