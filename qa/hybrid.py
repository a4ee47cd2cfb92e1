"""Ranking for news questions: keyword and dense evidence fused per article, plus news cues.

Two candidate lists of passages are fetched inside the same metadata filter: the
nearest vectors (meaning) and the best BM25 matches (names, numbers, rare words,
which the small embedding model blurs). Each side's scores are scaled to 0..1 and
folded into articles (an article scores as its best passage), then fused with a
weighted sum. Outlets and dates the question names add a boost to matching
articles. Passages are returned one (or `per_article`) per article before any
article repeats, so the top k spans several articles: questions that compare
reports need 2-4 of them. This module decides order only; it reads through the
index and store and never writes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from index.errors import ConfigError
from index.store import Filters, Store
from qa.cues import Cues, keywords

MODES = ("hybrid", "dense", "keyword")


@dataclass(frozen=True, slots=True)
class RankPlan:
    """Ranking settings, each with what it trades (defaults chosen on the MultiHop-RAG dev set).

    mode:          "hybrid" (both signals), "dense" (vectors only) or "keyword" (BM25 only).
    candidates:    passages fetched from each side before fusion: more finds articles that rank
                   low on one side, at a small cost in latency (BM25 and the join grow with it).
    dense_weight:  share of the dense score in an article's fused score (keyword gets the rest):
                   higher helps paraphrased questions, lower helps questions full of names and figures.
    outlet_boost:  added to articles from an outlet the question names: helps "as reported by X";
                   too high lets any article from X beat the right article from elsewhere.
    date_boost:    added to articles published on a day the question names ("on November 9, 2023").
    month_boost:   added to articles published in a month the question names ("in October 2023").
    per_article:   passages of one article before the next article is shown: 1 covers the most
                   articles in the top k (best recall for multi-article questions); more gives an
                   answer more context from the top article.
    title_weight:  BM25 weight of a match in the title, relative to the passage text.
    meta_weight:   BM25 weight of a match in the outlet/author/date line.
    """

    mode: str = "hybrid"
    candidates: int = 200
    dense_weight: float = 0.3
    outlet_boost: float = 0.3
    date_boost: float = 0.2
    month_boost: float = 0.05
    per_article: int = 1
    title_weight: float = 2.0
    meta_weight: float = 1.0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"search mode {self.mode!r} is not one of {', '.join(MODES)}", "use search_mode: hybrid")
        if not 0.0 <= self.dense_weight <= 1.0:
            raise ConfigError(f"dense_weight {self.dense_weight} is outside 0..1", "use a share such as 0.3")
        if self.candidates < 1 or self.per_article < 1:
            raise ConfigError(f"candidates={self.candidates} and per_article={self.per_article} must be at least 1",
                              "use candidates: 200, per_article: 1")


@dataclass(frozen=True, slots=True)
class Ranked:
    """A passage chosen by the ranker: its chunk, its article and the article's fused score."""

    chunk_id: int
    doc_id: str
    score: float


DenseSearch = Callable[[int], list[tuple[int, float]]]  # limit -> [(chunk_id, cosine)]


def rank(question: str, k: int, plan: RankPlan, store: Store, dense: DenseSearch | None, cues: Cues,
         filters: Filters | None = None) -> list[Ranked]:
    """The `k` passages to show for `question`, best article first."""
    chunk_doc: dict[int, str] = {}
    kw: dict[int, float] = {}
    dn: dict[int, float] = {}
    if plan.mode != "dense":
        found = store.keyword_search(keywords(question), plan.candidates, filters,
                                     (plan.title_weight, 1.0, plan.meta_weight))
        top = found[0][2] if found and found[0][2] > 0 else 1.0  # BM25 has a true zero: scale by the best
        for chunk_id, doc_id, score in found:
            chunk_doc[chunk_id] = doc_id
            kw[chunk_id] = max(score, 0.0) / top
    if plan.mode != "keyword" and dense is not None:
        found = dense(plan.candidates)
        missing = [i for i, _ in found if i not in chunk_doc]
        chunk_doc |= store.chunk_docs(missing)
        if found:  # cosines of unrelated text sit well above 0: scale from the weakest candidate to the best
            lo, hi = min(s for _, s in found), max(s for _, s in found)
            dn = {i: (s - lo) / (hi - lo) if hi > lo else 1.0 for i, s in found if i in chunk_doc}
    w = plan.dense_weight if plan.mode == "hybrid" else (1.0 if plan.mode == "dense" else 0.0)
    return _fuse(chunk_doc, kw, dn, w, k, plan, store, cues)


def _fuse(chunk_doc: dict[int, str], kw: dict[int, float], dn: dict[int, float], w: float, k: int, plan: RankPlan,
          store: Store, cues: Cues) -> list[Ranked]:
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
    for doc_id in passages:
        score = (1 - w) * art_kw[doc_id] + w * art_dn[doc_id]
        if cues:
            outlet, _, date = fields.get(doc_id, (None, None, None))
            if outlet in cues.outlets:
                score += plan.outlet_boost
            match = cues.date_match(date)
            score += plan.date_boost if match == "day" else plan.month_boost if match == "month" else 0.0
        scores[doc_id] = score
    order = sorted(scores, key=lambda d: (-scores[d], d))
    for doc_id in order:
        passages[doc_id].sort(key=lambda p: (-p[0], p[1]))
    chosen: list[Ranked] = []
    for doc_id in order:  # first pass: at most per_article passages of each article
        chosen += [Ranked(c, doc_id, scores[doc_id]) for _, c in passages[doc_id][: plan.per_article]]
        if len(chosen) >= k:
            return chosen[:k]
    for doc_id in order:  # few articles matched: fill up with their further passages
        chosen += [Ranked(c, doc_id, scores[doc_id]) for _, c in passages[doc_id][plan.per_article :]]
    return chosen[:k]

