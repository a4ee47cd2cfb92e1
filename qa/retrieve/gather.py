"""What the engines find for one question: the `Evidence` the ranker fuses.

A question costs one query encode, one vector search and the keyword searches of the
question and of its parts. The keyword side needs no vector, so it could run on a second
thread while the model encodes the question (tantivy's search and torch's matrix products
both release the interpreter lock). Whether that pays depends on where the model runs:
on the CPU the model already keeps every core busy, and measured on 2 cores the overlap
was slower (37.5 against 30.9 ms at a million chunks, 22.0 against 21.2 at 7k); with the
model on a GPU the cores are free while it encodes. So `overlap` is the caller's choice (the
retriever overlaps when the model is not on the CPU); docs/SCALING.md has the figures.
The store is then read once for what fusion needs: the article of every passage the
vector side found, and, only when the question has news cues, those articles' outlets
and dates. The passages' texts are read later, for the final k only
(qa.retrieve.retriever). This module searches; it decides no order.
"""
from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from index.document import Filters
from index.engines.base import KeywordHits, KeywordSearch, VectorSearch
from index.storage.store import Store
from qa.config import RankPlan
from qa.retrieve.cues import Clause, Cues, keywords

DocFields = dict[str, tuple[str | None, str | None, str | None]]  # doc_id -> (outlet, domain, ISO date)


@dataclass(frozen=True, slots=True)
class Evidence:
    """The engines' answers to one question: `near` (chunk id, cosine) from the vectors, `found` the keyword hits
    of the question then of each part, `docs` the article of every passage in either, `fields` the outlet, domain
    and date of each article (filled only when the question or a part has cues)."""

    near: list[tuple[int, float]] = field(default_factory=list)
    found: list[KeywordHits] = field(default_factory=lambda: [[]])
    docs: dict[int, str] = field(default_factory=dict)
    fields: DocFields = field(default_factory=dict)


@functools.lru_cache(maxsize=1)
def _side() -> ThreadPoolExecutor:
    """The threads the keyword side runs on while the callers encode (a server answers a few questions at once;
    tantivy fans a question's clause searches out on threads of its own)."""
    return ThreadPoolExecutor(4, thread_name_prefix="newsdesk-keyword-side")


def overlaps(encoder: object) -> bool:
    """Whether a search should overlap the keyword side with `encoder`'s encode: only when the model runs off
    the CPU (see the module's docstring)."""
    return getattr(encoder, "device", "cpu") != "cpu"


def gather(text: str, plan: RankPlan, store: Store, encode: Callable[[str], np.ndarray] | None,
           dense: VectorSearch | None, keyword: KeywordSearch | None, cues: Cues, parts: Sequence[Clause],
           filters: Filters | None = None, overlap: bool = False) -> Evidence:
    """Search both sides for `text` and its `parts` (already cut to those the plan searches); with `overlap`
    the keyword side runs on another thread while `encode` runs on this one."""
    w = plan.dense_share
    asked = [(keywords(text), plan.candidates)] + [(keywords(p.text), plan.clause_candidates) for p in parts]
    search_keywords = keyword is not None and w < 1.0
    use_dense = plan.mode != "keyword" and encode is not None and dense is not None
    weights = (plan.title_weight, 1.0, plan.meta_weight)
    pending = None
    if overlap and search_keywords and use_dense:
        pending = _side().submit(keyword.hits_many, asked, filters, weights)
    try:
        near = dense.search(encode(text), plan.candidates, filters) if use_dense else []
    except BaseException:
        if pending is not None:
            wait([pending])  # no search is left running behind a raise
        raise
    if pending is not None:
        found = pending.result()
    else:
        found = keyword.hits_many(asked, filters, weights) if search_keywords else [[] for _ in asked]
    docs = {chunk_id: doc_id for hits in found for chunk_id, doc_id, _ in hits}
    missing = [i for i, _ in near if i not in docs]
    if missing:
        docs |= store.chunk_docs(missing)
    wants_fields = bool(cues) or any(p.cues for p in parts)  # outlets or dates named: boosts and outlet aspects
    fields = store.doc_fields(list(dict.fromkeys(docs.values()))) if wants_fields else {}
    return Evidence(near, found, docs, fields)
