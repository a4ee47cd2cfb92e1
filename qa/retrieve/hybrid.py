"""Ranking for news questions: keyword and dense evidence fused per article, plus news cues.

Two candidate lists of passages are fetched inside the same metadata filter: the
nearest vectors (meaning) and the best BM25 matches (names, numbers, rare words,
which the small embedding model blurs). Each side's scores are scaled to 0..1 and
folded into articles (an article scores as its best passage), then fused with a
weighted sum. Outlets and dates the question names add a boost to matching
articles. A multi-part question ("..., as reported by The Verge, and is accused
of ...") is also searched clause by clause, and the articles are chosen so that
each clause, and each outlet named, is answered by one of the first (xQuAD-style
coverage): the facts such a question joins usually live in different articles.
Passages are returned one (or `per_article`) per article before any article
repeats, so the top k spans several articles: questions that compare reports
need 2-4 of them. This module decides order only, from what qa.retrieve.gather
found: it reads neither the engines nor the store.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from index.engines.base import KeywordHits
from qa.config import RankPlan
from qa.retrieve.cues import Clause, Cues
from qa.retrieve.gather import Evidence


@dataclass(frozen=True, slots=True)
class Ranked:
    """A passage chosen by the ranker: its chunk, its article and the article's fused score."""

    chunk_id: int
    doc_id: str
    score: float


# How `_cover` reads parts: a part's share of an article is (score / part's best) ** COVER_SHARPNESS, so only
# articles close to a part's best count as answering it (on the dev set 8 measured best of 4, 6, 8, 12; with
# COVER_CLOSES 1.0 it had been 4 of 1, 2, 4, 8, 16);
# it considers the COVER_POOL best articles overall plus the COVER_PER_PART best of each part. An article
# that answers a part closes COVER_CLOSES of what is still open of it, so the part keeps some pull for its
# next articles: a clause is often backed by several reports, and a part's best article is not always the
# one meant. On the dev set (sharpness 4) 1.0, a part done after one article, gave recall@10 0.9248; 0.75, 0.5,
# 0.35 and 0.2 gave 0.928, 0.931, 0.933, 0.933; 0 (no diversity: each part's share simply added) 0.932.
COVER_SHARPNESS = 8.0
COVER_CLOSES = 0.35
COVER_POOL = 50
COVER_PER_PART = 3

def rank(k: int, plan: RankPlan, evidence: Evidence, cues: Cues, parts: Sequence[Clause] = ()) -> list[Ranked]:
    """The `k` passages to show for a question, best article first, from what the engines found for it
    (`evidence`, qa.retrieve.gather: the question's and each part's keyword hits, its nearest vectors).

    `parts` are the clauses of a multi-part question (see `qa.retrieve.cues.clauses`), the same the
    evidence holds keyword hits of: the articles that best answer a part not yet covered are pulled
    up (see `_cover`). With no parts the ranking is the plain fused one. Fusion reads nothing: it
    runs again, cheaply, whenever a caller asks for more passages (qa.retrieve.stories).
    """
    w = plan.dense_share
    scores, passages = _articles(evidence.found[0], evidence.near, w, plan, evidence, cues)
    aspects = []
    for part, part_found in zip(parts, evidence.found[1:]):  # keyword evidence only: a part's names and figures
        part_scores, part_passages = _articles(part_found, [], w, plan, evidence, part.cues)
        aspects.append(part_scores)
        for doc_id, ps in part_passages.items():
            passages.setdefault(doc_id, ps)
    if plan.outlet_aspects and len(cues.outlets) > 1:  # "as reported by X and Y": each named outlet is a part too
        outlet = {d: evidence.fields.get(d, (None,))[0] for d in scores}
        aspects += [{d: s for d, s in scores.items() if outlet[d] == o} for o in sorted(cues.outlets)]
    order = _cover(scores, aspects, plan.clause_weight, k) if aspects else sorted(scores, key=lambda d: (-scores[d], d))
    chosen: list[Ranked] = []
    for doc_id in order:  # first pass: at most per_article passages of each article
        chosen += [Ranked(c, doc_id, scores.get(doc_id, 0.0)) for _, c in passages[doc_id][: plan.per_article]]
        if len(chosen) >= k:
            return chosen[:k]
    for doc_id in order:  # few articles matched: fill up with their further passages
        chosen += [Ranked(c, doc_id, scores.get(doc_id, 0.0)) for _, c in passages[doc_id][plan.per_article :]]
    return chosen[:k]


def _articles(found: KeywordHits, near: list[tuple[int, float]], w: float, plan: RankPlan, evidence: Evidence,
              cues: Cues) -> tuple[dict[str, float], dict[str, list[tuple[float, int]]]]:
    """Fused article scores for one query's keyword hits `found` and nearest vectors `near`, and each
    article's passages, best first."""
    chunks: dict[int, list] = {}  # chunk_id -> [doc_id, keyword share, dense share]
    if found:
        top = found[0][2] if found[0][2] > 0 else 1.0  # BM25 has a true zero: scale by the best
        for chunk_id, doc_id, score in found:
            chunks[chunk_id] = [doc_id, max(score, 0.0) / top, 0.0]
    if near:  # cosines of unrelated text sit well above 0: scale from the weakest candidate to the best
        docs = evidence.docs
        lo, hi = min(s for _, s in near), max(s for _, s in near)
        for chunk_id, s in near:
            entry = chunks.get(chunk_id)
            if entry is None:
                if chunk_id not in docs:
                    continue  # no longer stored
                entry = chunks[chunk_id] = [docs[chunk_id], 0.0, 0.0]
            entry[2] = (s - lo) / (hi - lo) if hi > lo else 1.0
    v = 1 - w
    best: dict[str, list] = {}  # doc_id -> [best keyword share, best dense share, passages]
    for chunk_id, (doc_id, ck, cd) in chunks.items():
        article = best.get(doc_id)
        if article is None:
            best[doc_id] = [ck, cd, [(v * ck + w * cd, chunk_id)]]
            continue
        if ck > article[0]:
            article[0] = ck
        if cd > article[1]:
            article[1] = cd
        article[2].append((v * ck + w * cd, chunk_id))
    fields, dated = evidence.fields, {}
    scores: dict[str, float] = {}
    passages: dict[str, list[tuple[float, int]]] = {}
    for doc_id, (ck, cd, ps) in best.items():
        if len(ps) > 1:
            ps.sort(key=lambda p: (-p[0], p[1]))
        passages[doc_id] = ps
        score = v * ck + w * cd
        if cues:
            outlet, _, date = fields.get(doc_id, (None, None, None))
            if outlet in cues.outlets:
                score += plan.outlet_boost
            match = dated[date] if date in dated else dated.setdefault(date, cues.date_match(date))
            score += plan.date_boost if match == "day" else plan.month_boost if match == "month" else 0.0
        scores[doc_id] = score
    return scores, passages


def _cover(scores: dict[str, float], aspects: list[dict[str, float]], weight: float, k: int) -> list[str]:
    """Articles in order, chosen greedily for relevance to the question and to its parts not yet covered.

    This is xQuAD (Santos et al., 2010) with the question's clauses as its aspects: an
    article gains `weight` times the share of each part it answers (its score for that
    part over the part's best) still uncovered by the articles chosen before it; each
    chosen article closes only COVER_CLOSES of a part it answers. The greedy choice runs
    over a fixed pool (the COVER_POOL best articles and each part's COVER_PER_PART best), so
    its cost does not grow with `k` and the first articles are the same however many are
    asked for (qa.retrieve.stories asks again for more); past the first `k`, or past the
    pool, articles follow in plain score order.
    """
    shares = []
    for part in aspects:
        top = max(part.values(), default=0.0)
        if top > 0:
            shares.append({d: (s / top) ** COVER_SHARPNESS for d, s in part.items()})
    plain = sorted(set(scores) | {d for part in aspects for d in part}, key=lambda d: (-scores.get(d, 0.0), d))
    if not shares:
        return plain
    pool = sorted(set(plain[:COVER_POOL]) | {d for part in shares for d in sorted(part, key=lambda d: (-part[d], d))[:COVER_PER_PART]})
    # The greedy gains of the whole pool at once (pool sorted by id: argmax takes the smallest id of a tie), added
    # up part by part in the order a plain sum would, so the choices are the same to the last bit.
    base = np.array([scores.get(d, 0.0) for d in pool]) * (1 - weight)
    share = [np.array([part.get(d, 0.0) for d in pool]) for part in shares]
    uncovered = [1.0] * len(shares)
    open_ = np.ones(len(pool), dtype=bool)
    chosen: list[str] = []
    while len(chosen) < min(k, len(pool)):
        covered = np.zeros(len(pool))
        for u, part in zip(uncovered, share):
            covered += u * part
        gain = np.where(open_, base + weight * covered / len(shares), -np.inf)
        best = int(np.argmax(gain))
        chosen.append(pool[best])
        open_[best] = False
        uncovered = [u * (1 - COVER_CLOSES * part[best]) for u, part in zip(uncovered, share)]
    taken = set(chosen)
    return chosen + [d for d in plain if d not in taken]
