"""A tiny deterministic stand-in for the embedding model, for fast exact unit tests.

Words are hashed into buckets, so texts sharing words get similar vectors.
It counts what it was asked to embed, so tests can check what was (not) re-embedded.
"""
from __future__ import annotations

import hashlib
import re
from typing import Callable, Sequence

import numpy as np

from index.embed import normalize

_WORD = re.compile(r"\w+|[^\w\s]")


class WordTokenizer:
    def count(self, texts: Sequence[str]) -> list[int]:
        return [len(_WORD.findall(t)) for t in texts]

    def offsets(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in _WORD.finditer(text)]


class HashingEncoder:
    model_id = "fake-hashing"
    dim = 64
    max_tokens = 64
    device = "cpu"

    def __init__(self) -> None:
        self.tokenizer = WordTokenizer()
        self.encoded: list[str] = []

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        self.encoded.extend(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        if progress:
            progress(len(texts))
        return normalize(out + 1e-6)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]
