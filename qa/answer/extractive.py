"""The extractive answerer: the sentences of the retrieved passages that best answer the question.

Every retrieved passage is cut into sentences (the chunker's own splitter, so
spans line up with the stored text); each sentence is scored by the cosine of
its embedding with the question's plus how many of the question's content words
it contains (rarer words and the words the user just typed count more). The best
few are kept, near-copies (syndicated articles, overlapping chunks) dropped,
and they are quoted verbatim, grouped by source, each followed by its [n]. When
even the best sentence scores under `threshold`, the answerer abstains and the
closest passages are shown instead. A summary question ("What do the articles say
about X?") is scored against X alone and takes more sentences, from different
articles (`qa.answer.summary`), oldest article first. No text is generated here.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import Iterator, Sequence

import numpy as np

from index.chunk import split_sentences
from qa.retrieve.conversation import Query
from qa.answer.cite import cite
from qa.answer.lead import kind, lead_line, side_by_side
from qa.answer.records import ABSTAIN_TEXT, Answer, History
from qa.answer.settle import settle
from qa.answer.summary import pick_summary, summary_subject
from qa.retrieve.records import Hit
from qa.retrieve.terms import capitalised_terms, content_terms

# Calibrated with `python -m qa.answer.calibrate --answerable 300` on the 609-article MultiHop-RAG corpus (k=5): at 0.25,
# the widest gap, the answerer abstained on 93.4% of the 243 null questions and refused 5.7% of 300 answerable ones
# (0.24 gave 88.9% and 4.7%).
THRESHOLD = 0.25
COSINE_WEIGHT = 0.5  # embedding similarity catches paraphrase ...
KEYWORD_WEIGHT = 0.35  # ... keywords catch the names an embedding blurs ("Tencent" vs "Baidu") ...
PASSAGE_WEIGHT = 0.15  # ... and the retriever's rank of the passage brings in what it knows (outlet, date cues)
REDUNDANCY = 0.3  # how much a sentence's similarity to one already picked counts against it
FOCUS_WEIGHT = 2.0  # the words of the latest question weigh this much more than inherited ones
MISSING_NAME_PENALTY = 0.25  # taken off the confidence, times the share of the question's names no passage has
SENTENCE_BATCH = 8

_LIST_MARK = re.compile(r"(?:[•·▪◦*–—-]|\(?\d{1,2}[.)])\s+")
_BACK_REFERENCE = re.compile(r"(?:It|Its|They|Their|This|These|That|Those|He|She|His|Her|The company)\b")
_MARKER = re.compile(r"\[\d+\]")


@dataclass(frozen=True, slots=True)
class Sentence:
    """A candidate sentence: `hit.text[start:end]`."""

    hit: Hit
    start: int
    end: int
    index: int  # position among the hit's sentences

    @property
    def text(self) -> str:
        return self.hit.text[self.start : self.end]

    @property
    def doc_span(self) -> tuple[str, int, int]:
        return self.hit.doc_id, self.hit.start + self.start, self.hit.start + self.end


class ExtractiveAnswerer:
    """Quotes the best sentences of the retrieved passages, or abstains.

    `max_sentences` trades completeness for reading time (3 reads in seconds);
    `threshold` trades abstaining on unanswerable questions against refusing
    answerable ones; `margin` keeps only sentences scoring within it of the best;
    `max_candidates` caps the sentences embedded per question (the rest, with the
    fewest question words, are dropped first): fewer answer faster, more find paraphrases.
    """

    def __init__(self, encoder, max_sentences: int = 3, threshold: float = THRESHOLD, margin: float = 0.12,
                 max_candidates: int = 40) -> None:
        if not 1 <= max_sentences <= 10:
            raise ValueError(f"max_sentences={max_sentences} is out of range: use 1 to 10")
        self.encoder = encoder
        self.max_candidates = max_candidates
        self.max_sentences = max_sentences
        self.threshold = threshold
        self.margin = margin

    def stream(self, query: Query, hits: Sequence[Hit], history: History = ()) -> Iterator[str | Answer]:
        checked = settle(query, hits)  # a yes/no question its statements' checks decide
        if checked is not None:
            yield from (checked.text, checked)
            return
        subject = summary_subject(query.text)  # "Summarise what the articles say about X": X's key sentences
        picked, confidence, ranked = self._choose(replace(query, text=subject) if subject else query, hits,
                                                  summary=subject is not None)
        if not picked:
            yield ABSTAIN_TEXT
            yield Answer(query.asked, ABSTAIN_TEXT, (), True, tuple(hits), query.text, confidence)
            return
        question_kind = kind(query.text)
        picked = side_by_side(query.text, question_kind, picked, ranked)  # outlets' or options' evidence
        citations, ordered = cite(picked, by_date=question_kind == "summary")
        pieces = [lead_line(query.text, question_kind, ordered, ranked)]
        # Where the source matters (a yes/no about reports, a summary, a question about time) each source is
        # named with its date before its first quote: "TechCrunch (2023-11-02): ...".
        sourced = question_kind in ("yesno", "summary") or bool(query.time)
        labelled: set[int] = set()
        for sentence, n in ordered:
            label, hit = "", sentence.hit
            if sourced and n not in labelled and (hit.outlet or hit.date):
                label = f"{hit.outlet} ({hit.date}): " if hit.outlet and hit.date else f"{hit.outlet or hit.date}: "
                labelled.add(n)
            pieces.append(("" if not "".join(pieces) or pieces[-1].endswith("\n") else " ")
                          + f"{label}{sentence.text} [{n}]")
        pieces = [p for p in pieces if p]
        yield from pieces
        yield Answer(query.asked, "".join(pieces), citations, False, tuple(hits), query.text, confidence)

    def select(self, query: Query, hits: Sequence[Hit]) -> tuple[list[tuple[Sentence, float]], float]:
        """The sentences to quote with their scores (empty: abstain), and the confidence: the best
        evidence (cosine and keyword) score of any sentence, which `threshold` is compared with."""
        return self._choose(query, hits)[:2]

    def _choose(self, query: Query, hits: Sequence[Hit], summary: bool = False):
        """`select`'s sentences and confidence, and every candidate sentence with its score, best first
        (what the answer phrase is voted from and a named outlet's evidence is taken from). A `summary`
        picks its sentences by `qa.answer.summary.pick_summary` (more, from different articles)."""
        candidates = candidate_sentences(hits)
        if not candidates:
            return [], 0.0, []
        keyword = _keyword_scores(query, [c.text for c in candidates])
        top = max((h.score for h in hits), default=0.0)
        passage = np.array([c.hit.score / top if top > 0 else 0.0 for c in candidates], dtype=np.float32)
        if len(candidates) > self.max_candidates:  # embedding is the slow step: only the likeliest get it
            cheap = KEYWORD_WEIGHT * keyword + PASSAGE_WEIGHT * passage
            keep = sorted(np.argsort(-cheap, kind="stable")[: self.max_candidates])
            candidates, keyword, passage = [candidates[i] for i in keep], keyword[keep], passage[keep]
        vectors = self._embed([c.text for c in candidates])
        cosine = vectors @ np.asarray(self.encoder.encode_query(query.text))
        # The evidence a sentence carries on its own decides whether to answer at all; the passage's rank,
        # relative within this one search, only helps choose among sentences.
        evidence = COSINE_WEIGHT * cosine + KEYWORD_WEIGHT * keyword
        scores = evidence + PASSAGE_WEIGHT * passage
        about = _about_named(query, candidates, hits)  # the answer must be about whom the question names
        if not about.any():
            return [], float(evidence.max()) - MISSING_NAME_PENALTY, []
        order = sorted((i for i in range(len(candidates)) if about[i]), key=lambda i: -scores[i])
        ranked = [(candidates[i], float(scores[i])) for i in order]
        best = float(scores[order[0]])
        confidence = float(evidence[about].max()) - MISSING_NAME_PENALTY * _missing_names(query, hits)
        if confidence < self.threshold:
            return [], confidence, ranked
        if summary:
            picked = pick_summary(order, scores, [c.hit.outlet for c in candidates], [c.hit.doc_id for c in candidates],
                                  lambda i, j: float(vectors[i] @ vectors[j]),
                                  lambda i, j: _near_copy(candidates[i], candidates[j], vectors[i] @ vectors[j]))
            return _with_antecedents([(candidates[i], float(scores[i])) for i in picked], candidates), confidence, ranked
        # Maximal marginal relevance: each next sentence must add something the picked ones do not say.
        pool = [i for i in order if scores[i] >= best - self.margin]
        picked = [pool.pop(0)]
        while pool and len(picked) < self.max_sentences:
            pool = [i for i in pool if not any(_near_copy(candidates[i], candidates[j], vectors[i] @ vectors[j])
                                               for j in picked)]
            if not pool:
                break
            gain = [scores[i] - REDUNDANCY * max(float(vectors[i] @ vectors[j]) for j in picked) for i in pool]
            picked.append(pool.pop(int(np.argmax(gain))))
        chosen = [(candidates[i], float(scores[i])) for i in picked]
        return _with_antecedents(chosen, candidates), confidence, ranked

    def _embed(self, texts: list[str]) -> np.ndarray:
        """Sentence vectors, embedded shortest first in small batches: a batch is padded to its longest
        sentence, and on a CPU eight similar lengths at a time run about twice as fast as one big batch."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), 0), dtype=np.float32)
        for lo in range(0, len(order), SENTENCE_BATCH):
            part = order[lo : lo + SENTENCE_BATCH]
            vectors = np.asarray(self.encoder.encode([texts[i] for i in part]), dtype=np.float32)
            if not out.shape[1]:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[part] = vectors
        return out


def candidate_sentences(hits: Sequence[Hit]) -> list[Sentence]:
    """The quotable sentences of `hits`: list markers trimmed, headings, fragments and repeats left out."""
    seen: set[tuple[str, int, int]] = set()
    out = []
    for hit in hits:
        for index, (start, end) in enumerate(split_sentences(hit.text)):
            mark = _LIST_MARK.match(hit.text, start, end)
            if mark:
                start = mark.end()
            sentence = Sentence(hit, start, end, index)
            if sentence.doc_span in seen or not _quotable(sentence.text, hit.title):
                continue
            seen.add(sentence.doc_span)
            out.append(sentence)
    return out


def _quotable(text: str, title: str) -> bool:
    words = text.split()
    if not 5 <= len(words) <= 80 or len(text) > 600 or _MARKER.search(text):
        return False
    if text.strip().lower() == title.strip().lower():
        return False
    return text[-1] in ".!?\"'”’)…" or len(words) >= 12  # a short line without a full stop is a heading


def _keyword_scores(query: Query, texts: Sequence[str]) -> np.ndarray:
    """Share of the query's content words each text contains, words weighted by rarity among `texts`."""
    terms = content_terms(query.text)
    if not terms:
        return np.zeros(len(texts), dtype=np.float32)
    focus = set(query.focus)
    bags = [set(content_terms(t)) for t in texts]
    weights = {}
    for term in terms:
        df = sum(term in bag for bag in bags)
        weights[term] = (FOCUS_WEIGHT if term in focus else 1.0) * math.log(1 + (1 + len(texts)) / (1 + df))
    total = sum(weights.values())
    return np.array([sum(w for t, w in weights.items() if t in bag) / total for bag in bags], dtype=np.float32)


def _missing_names(query: Query, hits: Sequence[Hit]) -> float:
    """Share of the names in the question (capitalised words) found in no retrieved passage, title or outlet:
    a question about "Microsoft" is not answered by passages that never mention it, however close in topic."""
    names = capitalised_terms(query.text)
    if not names:
        return 0.0
    seen = set().union(*(content_terms(f"{h.title} {h.outlet or ''} {h.text}") for h in hits)) if hits else set()
    return sum(name not in seen for name in names) / len(names)


def _about_named(query: Query, candidates: Sequence[Sentence], hits: Sequence[Hit]) -> np.ndarray:
    """Which candidates are about the names the user asked about: for a follow-up the names it brings
    ("And Baidu?" is not answered by an Alibaba sentence of the same passage), else the question's one
    name that is not an outlet (outlets are matched by the source, not the text; a question naming several
    things is answered by sentences naming some of them). A sentence counts when it, or its article's
    title, names one of them; with no such names every candidate counts."""
    names = set(capitalised_terms(query.text))
    if query.follow_up:
        names &= set(query.focus)
    outlets = set().union(*(content_terms(h.outlet or "") for h in hits)) if hits else set()
    names -= outlets
    if not names or (len(names) > 1 and not query.follow_up):
        return np.ones(len(candidates), dtype=bool)
    return np.array([bool(names & set(content_terms(f"{c.hit.title} {c.text}"))) for c in candidates], dtype=bool)


def _near_copy(a: Sentence, b: Sentence, cosine: float) -> bool:
    """The same statement twice: overlapping spans of one document, or the same words elsewhere."""
    da, db = a.doc_span, b.doc_span
    if da[0] == db[0] and da[1] < db[2] and db[1] < da[2]:
        return True
    wa, wb = set(a.text.lower().split()), set(b.text.lower().split())
    same_story = a.hit.story is not None and a.hit.story == b.hit.story  # copies: a word edit must not let one repeat
    return cosine >= 0.95 or len(wa & wb) / max(1, len(wa | wb)) >= (0.5 if same_story else 0.7)


def _with_antecedents(chosen: list[tuple[Sentence, float]], candidates: list[Sentence]) -> list[tuple[Sentence, float]]:
    """Add the sentence before a chosen one that opens with "It"/"They"/..., so the quote reads on its own."""
    by_position = {(c.hit.chunk_id, c.index): c for c in candidates}
    spans = {s.doc_span for s, _ in chosen}
    out = list(chosen)
    for sentence, score in chosen:
        if not _BACK_REFERENCE.match(sentence.text):
            continue
        before = by_position.get((sentence.hit.chunk_id, sentence.index - 1))
        if before is not None and before.doc_span not in spans:
            spans.add(before.doc_span)
            out.append((before, score))
    return out
