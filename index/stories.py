"""Stories: how newsdesk tells a syndicated copy from a different article on the same subject.

A wire article republished elsewhere keeps its opening: outlets add a dateline ("LONDON
(Reuters) - "), a new title or a footer, cut the end or run only the first half, and edit
a few words. So a document is sketched (`signature`) by a MinHash of the word 4-grams of its
first LEAD_WORDS words (the title left out), a MinHash of all its 4-grams, and their count.
Two documents are copies (`same_story`) when the openings agree on at least SAME_STORY of
their PERMUTATIONS values (the estimated Jaccard of those 4-grams) and the shorter text lies
at least CONTAINED inside the longer. On the syndication dev set (../shared/eval/syndication)
the copies' openings share at least 0.69 of their 4-grams (whole texts as little as 0.35: a
copy may be half the article), the near misses at most 0.03; the containment check keeps
apart articles that share only an opening (a site's sign-up banner, a weekly column's intro).

Candidates are found by locality-sensitive hashing: the opening's MinHash cut into BANDS
bands of ROWS values, each band hashed to one integer; documents sharing a band key are
compared. Pairs at 0.69 become candidates with probability 1 - (1 - 0.69^4)^32 > 0.999,
pairs at 0.1 with about 0.3%. This module is the method only (pure functions, no SQL);
the tables that keep stories are `index.storage.stories`.
"""
from __future__ import annotations

import hashlib
import re

import numpy as np

LEAD_WORDS = 300  # the opening a copy keeps: covers "first half only" and trimmed ends alike
SHINGLE = 4  # words per shingle: 3 lets same-subject articles share more, 5 loses copies to word edits
MIN_WORDS = 40  # shorter texts (stubs, captions) are too little to tell a copy from boilerplate
PERMUTATIONS = 128
BANDS, ROWS = 32, 4
SAME_STORY = 0.4  # estimated Jaccard of the openings at or above which two documents may be one story
CONTAINED = 0.6  # and the share of the shorter text's shingles found in the longer one

_WORD = re.compile(r"\w+")
_rng = np.random.default_rng(29)
_SALT = _rng.integers(0, 1 << 63, PERMUTATIONS, dtype=np.uint64)
_ODD = _rng.integers(0, 1 << 63, PERMUTATIONS, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
_POSITION = _rng.integers(0, 1 << 63, SHINGLE, dtype=np.uint64) * np.uint64(2) + np.uint64(1)


def signature(text: str) -> np.ndarray | None:
    """A document's sketch: the MinHash of its opening's shingles, the MinHash of all its shingles, and their
    count (2 * PERMUTATIONS + 1 uint32 values), or None when the text is too short to judge."""
    words = _WORD.findall(text.lower())
    if len(words) < MIN_WORDS:
        return None
    shingles = _shingle_hashes(words)
    every = np.unique(shingles)
    return np.concatenate([_minhash(np.unique(shingles[: LEAD_WORDS - SHINGLE + 1])), _minhash(every),
                           np.array([min(len(every), 0xFFFFFFFF)], dtype=np.uint32)])


def _shingle_hashes(words: list[str]) -> np.ndarray:
    """A 64-bit hash of each run of SHINGLE words, in text order: each distinct word hashed once (blake2b, the
    same in every process), the runs combined and mixed in numpy (a splitmix64 finaliser)."""
    ids: dict[str, int] = {}
    for w in words:
        if w not in ids:
            ids[w] = int.from_bytes(hashlib.blake2b(w.encode("utf-8"), digest_size=8).digest(), "little")
    h = np.fromiter((ids[w] for w in words), dtype=np.uint64, count=len(words))
    n = len(words) - SHINGLE + 1
    x = np.zeros(n, dtype=np.uint64)
    for k in range(SHINGLE):
        x = (x ^ h[k : k + n]) * _POSITION[k]  # wrapping mod 2^64: order-sensitive
    x ^= x >> np.uint64(31)
    x *= np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(29))


def _minhash(hashes: np.ndarray) -> np.ndarray:
    # one permutation per (salt, odd multiplier): multiply-shift hashing, wrapping mod 2^64, high 32 bits kept
    # (a linear (a*h + b) mod p over 32-bit hashes is not min-wise: the smallest h wins every permutation)
    mixed = ((hashes[None, :] ^ _SALT[:, None]) * _ODD[:, None]) >> np.uint64(32)
    return mixed.min(axis=1).astype(np.uint32)


def band_keys(sig: np.ndarray) -> list[int]:
    """The BANDS locality-sensitive keys of a sketch's opening (signed 64-bit, as SQLite stores integers)."""
    raw = sig[:PERMUTATIONS].astype("<u4").tobytes()
    width = ROWS * 4
    return [int.from_bytes(hashlib.blake2b(bytes([b]) + raw[b * width : (b + 1) * width], digest_size=8).digest(),
                           "little", signed=True) for b in range(BANDS)]


def same_story(a: np.ndarray, others: np.ndarray) -> np.ndarray:
    """For each sketch of `others` (one or a matrix of rows), whether it is a copy of `a`: the openings'
    estimated Jaccard at least SAME_STORY and the smaller text at least CONTAINED inside the larger (estimated
    from the whole-text MinHash and the shingle counts; a shared opening over different bodies, a site's
    sign-up banner or a weekly column's fixed intro, fails this)."""
    others = np.atleast_2d(others)
    n = PERMUTATIONS
    lead = (others[:, :n] == a[:n]).mean(axis=1)
    jaccard = (others[:, n : 2 * n] == a[n : 2 * n]).mean(axis=1)
    size_a, size_b = float(a[-1]), others[:, -1].astype(np.float64)
    shared = jaccard * (size_a + size_b) / (1 + jaccard)
    return (lead >= SAME_STORY) & (shared / np.maximum(1.0, np.minimum(size_a, size_b)) >= CONTAINED)


def components(sigs: dict[str, np.ndarray]) -> list[list[str]]:
    """The documents of `sigs` split into groups linked by `same_story` pairs (largest first, then by id)."""
    ids = sorted(sigs)
    if not ids:
        return []
    matrix = np.stack([sigs[i] for i in ids])
    parent = list(range(len(ids)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(ids)):
        for j in np.nonzero(same_story(matrix[i], matrix[i + 1 :]))[0] + i + 1 if i + 1 < len(ids) else ():
            parent[root(int(j))] = root(i)
    groups: dict[int, list[str]] = {}
    for i, doc_id in enumerate(ids):
        groups.setdefault(root(i), []).append(doc_id)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))


def story_id(doc_id: str) -> str:
    """A story's id, made from the document that founded it (stable across a rebuild in the same order)."""
    return hashlib.blake2b(doc_id.encode("utf-8"), digest_size=8).hexdigest()


def canonical_key(published: str | None, text_len: int, doc_id: str) -> tuple:
    """Sort key of a story's documents: the earliest first, then the one with the most text, then by id."""
    return (published is None, published or "", -text_len, doc_id)
