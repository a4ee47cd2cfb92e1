"""Grounding a written answer: every claim checked against the passages its [n] markers name.

A model's answer is cut into claims (its first line, the direct answer, then one
claim per sentence). A claim's content words (and, with an encoder, its meaning)
are compared with each sentence of every passage it cites; the one or two
sentences that cover it best become the citation's quotes, as exact spans with
document offsets, so the UI highlights what backs each claim and `verify` can
check them. A marker naming no passage, or a passage that does not back its
claim, is removed; a claim that cites nothing (or nothing that backs it) is
re-cited to the passage that does back it when one does, and otherwise flagged
and counted. Citation precision counts the model's own markers: the share of
its cited claims (the bare direct answer aside) whose cited passage backs them.
This module never calls a model.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from index.chunk import split_sentences
from qa.answer.records import Citation, Claim, Quote
from qa.retrieve.records import Hit
from qa.retrieve.terms import content_terms

SUPPORT = 0.5  # a claim is backed when its support score reaches this (overlap, blended with cosine when embedded)
COSINE_SHARE = 0.4  # the share of the support score given to embedding similarity
SECOND_SPAN = 0.2  # a second sentence is quoted when it adds at least this share of the claim's words
DIRECT_WORDS = 6  # a first sentence this short is the direct answer ("Yes", "OpenAI"), which the claims back
UNSUPPORTED = "[unsupported]"
_MARKERS = re.compile(r"\s*(?:\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])+")
_NUMBER = re.compile(r"\d+")
_CLAIM_END = re.compile(r"(?<=[.!?])(?:\s*\[[\d,;\s]+\])*\s+(?=[A-Z0-9\"“(])|(?<=\])\s+(?=[A-Z\"“(])")


@dataclass(frozen=True, slots=True)
class Grounded:
    """An answer text with its markers renumbered to `citations`, the claims, and the counts."""

    text: str
    citations: tuple[Citation, ...]
    claims: tuple[Claim, ...]

    @property
    def unsupported(self) -> int:
        return sum(not c.supported for c in self.claims)


def split_claims(text: str) -> list[str]:
    """The lines of `text`, each cut into sentences (a sentence ends after its markers)."""
    claims = []
    for line in text.splitlines():
        line = re.sub(r"^\s*(?:[-*•]|\d+[.)])\s+", "", line).strip()
        claims += [part.strip() for part in _CLAIM_END.split(line) if part.strip()]
    return claims


def markers_of(claim: str) -> list[int]:
    """The passage numbers a claim cites, in order, without repeats."""
    return list(dict.fromkeys(int(n) for m in _MARKERS.finditer(claim) for n in _NUMBER.findall(m.group())))


def strip_markers(claim: str) -> str:
    return _MARKERS.sub("", claim).strip()


def ground(text: str, hits: Sequence[Hit], encoder=None) -> Grounded:
    """Ground the model's `text`, whose [n] markers name `hits[n - 1]`."""
    passages = [_Passage(hit) for hit in hits]
    claims = split_claims(text)
    bare = [strip_markers(c) for c in claims]
    vectors = _embed(encoder, bare, passages)
    quoted: dict[int, set[tuple[int, int]]] = {}  # passage index -> the sentence spans quoted from it
    rows = []
    for i, (claim, words) in enumerate(zip(claims, bare)):
        cited = markers_of(claim)
        stated = i > 0 or len(words.split()) > DIRECT_WORDS
        support = {n - 1: passages[n - 1].support(words, vectors, i) for n in cited if 1 <= n <= len(passages)}
        backing = [p for p, (score, _) in support.items() if score >= SUPPORT]
        as_cited = bool(backing)
        if not backing and stated:  # the model cited the wrong passage, or none: look in all of them
            everywhere = {p: passage.support(words, vectors, i) for p, passage in enumerate(passages)}
            best = max(everywhere, key=lambda p: everywhere[p][0], default=None)
            if best is not None and everywhere[best][0] >= SUPPORT:
                backing, support[best] = [best], everywhere[best]
        for p in backing:
            quoted.setdefault(p, set()).update(support[p][1])
        score = max((s for s, _ in support.values()), default=0.0)
        rows.append((words, tuple(cited), backing, bool(backing) or not stated, score, as_cited, stated))
    number = {p: n for n, p in enumerate(quoted, start=1)}  # numbered in order of first citation
    out, records = [], []
    for words, cited, backing, supported, score, as_cited, stated in rows:
        cites = tuple(number[p] for p in backing)
        out.append(_marked(words, "".join(f" [{n}]" for n in cites) + ("" if supported else f" {UNSUPPORTED}")))
        records.append(Claim(words, cited, cites, supported, round(score, 4), as_cited, stated))
    citations = tuple(passages[p].citation(n, quoted[p]) for p, n in number.items())
    return Grounded(_join(out, text), citations, tuple(records))


def _marked(words: str, marks: str) -> str:
    """`words` with `marks` before its closing full stop, as the prompt asked the model to write them."""
    end = re.search(r"[.!?]+[\"”’')]*$", words)
    return words + marks if end is None else words[: end.start()] + marks + words[end.start():]


def _join(claims: list[str], text: str) -> str:
    """The claims as the model laid them out: its first line on its own, the rest as one paragraph."""
    lines = [line for line in text.splitlines() if line.strip()]
    first = len(split_claims(lines[0])) if lines else 0
    head, rest = claims[:first], claims[first:]
    return "\n".join(part for part in (" ".join(head), " ".join(rest)) if part)


def _embed(encoder, claims: list[str], passages: list["_Passage"]):
    if encoder is None or not claims:
        return None
    texts = claims + [s for p in passages for s in p.sentences]
    vectors = np.asarray(encoder.encode(texts), dtype=np.float32)
    claim_vectors, offset = vectors[: len(claims)], len(claims)
    for p in passages:
        p.vectors, offset = vectors[offset : offset + len(p.sentences)], offset + len(p.sentences)
    return claim_vectors


class _Passage:
    """A retrieved passage, its sentences and their content words (the title and outlet count as said)."""

    def __init__(self, hit: Hit) -> None:
        self.hit = hit
        self.spans = split_sentences(hit.text)
        self.sentences = [hit.text[a:b] for a, b in self.spans]
        self.terms = [set(content_terms(s)) for s in self.sentences]
        self.context = set(content_terms(f"{hit.title} {hit.outlet or ''} {hit.date or ''}"))
        self.vectors = None

    def support(self, claim: str, claim_vectors, i: int) -> tuple[float, tuple[tuple[int, int], ...]]:
        """How well this passage backs `claim` (0..1), and the sentence spans that back it."""
        terms = set(content_terms(claim)) - self.context
        if not self.sentences:
            return 0.0, ()
        if not terms:
            return 0.0, ()
        cover = [len(terms & t) / len(terms) for t in self.terms]
        cosine = (self.vectors @ claim_vectors[i]) if claim_vectors is not None and self.vectors is not None else None
        score = [c if cosine is None else (1 - COSINE_SHARE) * c + COSINE_SHARE * float(cosine[j])
                 for j, c in enumerate(cover)]
        best = int(np.argmax(score))
        chosen = [best]
        rest = terms - self.terms[best]
        second = max((j for j in range(len(self.sentences)) if j != best),
                     key=lambda j: len(rest & self.terms[j]), default=None)
        if second is not None and rest and len(rest & self.terms[second]) / len(terms) >= SECOND_SPAN:
            chosen.append(second)
        together = len(terms & set().union(*(self.terms[j] for j in chosen))) / len(terms)
        total = together if cosine is None else (1 - COSINE_SHARE) * together + COSINE_SHARE * float(cosine[best])
        return total, tuple(self.spans[j] for j in sorted(chosen))

    def citation(self, n: int, spans: set[tuple[int, int]]) -> Citation:
        h = self.hit
        quotes = tuple(Quote(h.text[a:b], h.start + a, h.start + b) for a, b in sorted(spans))
        return Citation(n, h.doc_id, h.title, h.outlet, h.date, h.url, h.text, h.start, h.end, quotes, round(h.score, 4))
