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
need 2-4 of them. This module decides order only; it reads through the
index and store and never writes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from index.document import Filters
from index.engines.base import KeywordSearch
from index.storage.store import Store
from qa.config import RankPlan
from qa.retrieve.cues import Clause, Cues, keywords


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

DenseSearch = Callable[[int], list[tuple[int, float]]]  # limit -> [(chunk_id, cosine)]


def rank(question: str, k: int, plan: RankPlan, store: Store, dense: DenseSearch | None, cues: Cues,
         filters: Filters | None = None, parts: Sequence[Clause] = (),
         keyword: KeywordSearch | None = None) -> list[Ranked]:
    """The `k` passages to show for `question`, best article first.

    `parts` are the clauses of a multi-part question (see `qa.retrieve.cues.clauses`): each is
    searched on its own and the articles that best answer a part not yet covered are
    pulled up (see `_cover`). With fewer than two parts, or clause_weight 0, the
    ranking is the plain fused one.

    `keyword` is the index's keyword side (index.engines.base.KeywordSearch; None only in dense
    mode). The question and each part are one keyword query of one batch (`hits_many`): tantivy
    runs them side by side on a snapshot and joins their chunks to the store once;
    a part asks for `plan.clause_candidates` hits only. FTS5 runs them one by one, and
    each costs about as much as the question's own (it scores every row holding a word).
    """
    parts = tuple(parts) if plan.clause_weight > 0 and len(parts) > 1 else ()
    w = plan.dense_weight if plan.mode == "hybrid" else (1.0 if plan.mode == "dense" else 0.0)
    near = dense(plan.candidates) if plan.mode != "keyword" and dense is not None else []
    asked = [(keywords(question), plan.candidates)] + [(keywords(p.text), plan.clause_candidates) for p in parts]
    found = keyword.hits_many(asked, filters, (plan.title_weight, 1.0, plan.meta_weight)) \
        if w < 1.0 else [[] for _ in asked]
    scores, passages = _articles(found[0], near, w, plan, store, cues)
    aspects = []
    for part, part_found in zip(parts, found[1:]):  # keyword evidence only: a clause's names and figures set it apart
        part_scores, part_passages = _articles(part_found, [], w, plan, store, part.cues)
        aspects.append(part_scores)
        for doc_id, ps in part_passages.items():
            passages.setdefault(doc_id, ps)
    if plan.outlet_aspects and len(cues.outlets) > 1:  # "as reported by X and Y": each named outlet is a part too
        fields = store.doc_fields(list(scores))
        aspects += [{d: s for d, s in scores.items() if fields.get(d, (None,))[0] == o} for o in sorted(cues.outlets)]
    order = _cover(scores, aspects, plan.clause_weight, k) if aspects else sorted(scores, key=lambda d: (-scores[d], d))
    chosen: list[Ranked] = []
    for doc_id in order:  # first pass: at most per_article passages of each article
        chosen += [Ranked(c, doc_id, scores.get(doc_id, 0.0)) for _, c in passages[doc_id][: plan.per_article]]
        if len(chosen) >= k:
            return chosen[:k]
    for doc_id in order:  # few articles matched: fill up with their further passages
        chosen += [Ranked(c, doc_id, scores.get(doc_id, 0.0)) for _, c in passages[doc_id][plan.per_article :]]
    return chosen[:k]


def _articles(found: list[tuple[int, str, float]], near: list[tuple[int, float]], w: float, plan: RankPlan,
              store: Store, cues: Cues) -> tuple[dict[str, float], dict[str, list[tuple[float, int]]]]:
    """Fused article scores for one query's keyword hits `found` and nearest vectors `near`, and each
    article's passages, best first."""
    chunk_doc: dict[int, str] = {}
    kw: dict[int, float] = {}
    dn: dict[int, float] = {}
    if found:
        top = found[0][2] if found and found[0][2] > 0 else 1.0  # BM25 has a true zero: scale by the best
        for chunk_id, doc_id, score in found:
            chunk_doc[chunk_id] = doc_id
            kw[chunk_id] = max(score, 0.0) / top
    if near:  # cosines of unrelated text sit well above 0: scale from the weakest candidate to the best
        chunk_doc |= store.chunk_docs([i for i, _ in near if i not in chunk_doc])
        lo, hi = min(s for _, s in near), max(s for _, s in near)
        dn = {i: (s - lo) / (hi - lo) if hi > lo else 1.0 for i, s in near if i in chunk_doc}
    art_kw: dict[str, float] = {}
    art_dn: dict[str, float] = {}
    passages: dict[str, list[tuple[float, int]]] = {}
    for chunk_id, doc_id in chunk_doc.items():
        ck, cd = kw.get(chunk_id, 0.0), dn.get(chunk_id, 0.0)
        art_kw[doc_id] = max(art_kw.get(doc_id, 0.0), ck)
        art_dn[doc_id] = max(art_dn.get(doc_id, 0.0), cd)
        passages.setdefault(doc_id, []).append(((1 - w) * ck + w * cd, chunk_id))
    fields = store.doc_fields(list(passages)) if cues else {}
    scores: dict[str, float] = {}
    for doc_id, ps in passages.items():
        ps.sort(key=lambda p: (-p[0], p[1]))
        score = (1 - w) * art_kw[doc_id] + w * art_dn[doc_id]
        if cues:
            outlet, _, date = fields.get(doc_id, (None, None, None))
            if outlet in cues.outlets:
                score += plan.outlet_boost
            match = cues.date_match(date)
            score += plan.date_boost if match == "day" else plan.month_boost if match == "month" else 0.0
        scores[doc_id] = score
    return scores, passages


def _cover(scores: dict[str, float], aspects: list[dict[str, float]], weight: float, k: int) -> list[str]:
    """Articles in order, chosen greedily for relevance to the question and to its parts not yet covered.

    This is xQuAD (Santos et al., 2010) with the question's clauses as its aspects: an
    article gains `weight` times the share of each part it answers (its score for that
    part over the part's best) still uncovered by the articles chosen before it; each
    chosen article closes only COVER_CLOSES of a part it answers. Past the first `k`,
    articles follow in plain score order.
    """
    shares = []
    for part in aspects:
        top = max(part.values(), default=0.0)
        if top > 0:
            shares.append({d: (s / top) ** COVER_SHARPNESS for d, s in part.items()})
    plain = sorted(set(scores) | {d for part in aspects for d in part}, key=lambda d: (-scores.get(d, 0.0), d))
    if not shares:
        return plain
    pool = list(dict.fromkeys(plain[: max(COVER_POOL, k)]
                              + [d for part in shares for d in sorted(part, key=lambda d: (-part[d], d))[:COVER_PER_PART]]))
    uncovered = [1.0] * len(shares)
    chosen: list[str] = []
    while pool and len(chosen) < k:
        gain = {d: (1 - weight) * scores.get(d, 0.0)
                + weight * sum(u * part.get(d, 0.0) for u, part in zip(uncovered, shares)) / len(shares) for d in pool}
        best = min(pool, key=lambda d: (-gain[d], d))
        chosen.append(best)
        pool.remove(best)
        uncovered = [u * (1 - COVER_CLOSES * part.get(best, 0.0)) for u, part in zip(uncovered, shares)]
    taken = set(chosen)
    return chosen + [d for d in plain if d not in taken]
