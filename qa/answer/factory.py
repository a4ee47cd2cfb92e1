"""Which `Answerer` composes the answers: the one place that picks an implementation.

Today there is one, the extractive answerer; another (a generative one) is one
more file in this package and one more branch here, so neither the records nor
`ask` import an answerer directly.
"""
from __future__ import annotations

from index.embed import Encoder
from qa.answer.records import Answerer


def default_answerer(encoder: Encoder) -> Answerer:
    """The built-in answerer: sentences quoted from the passages, scored with `encoder`'s model."""
    from qa.answer.extractive import ExtractiveAnswerer

    return ExtractiveAnswerer(encoder)
