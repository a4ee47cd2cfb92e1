"""Ordering by time: the newest articles about the subject first, for "the latest on X".

The ranker (qa.retrieve.hybrid) orders articles by relevance, and relevance alone
cannot say which articles are *about* a subject: a weekly round-up that names it in
passing can score nearly as high as a report about it. Headlines help: an article is
about the subject when it clears a floor of relevance and either its title carries the
subject's words (names count double) about as well as the best headlines do, or it is
close to the best article's score. Among those the newest comes first (a day's ties by
relevance); the rest follow in relevance order, so an article that only mentions the
subject, however new, does not beat the newest one about it. This module decides order only.
"""
from __future__ import annotations

import re
from typing import Sequence

from qa.retrieve.hybrid import Ranked
from qa.retrieve.terms import QUERY_STOPWORDS

# Measured on time-dev's latest and as_of questions (docs/TIME.md has the sweep). An article is about the
# subject when it is at least FLOOR_SHARE as relevant as the best one, and either its headline carries at least
# TITLE_SHARE of what the best headline among the first TITLE_POOL carries, or it is CLOSE_SHARE as relevant.
FLOOR_SHARE = 0.45
TITLE_SHARE = 0.3
TITLE_POOL = 5
CLOSE_SHARE = 0.6
POOL = 40           # articles the ranker is asked for before reordering: a story rarely fits in the first k

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_GENERIC = frozenset("news latest recent report reports update updates story stories coverage article articles "
                     "happened happening going new".split())


def subject_terms(subject: str) -> dict[str, float]:
    """The subject's words and their weights: 2 for a name (capitalised or with a digit), else 1."""
    terms: dict[str, float] = {}
    for raw in _TOKEN.findall(subject.replace("’s", "").replace("'s", "")):
        word = _norm(raw)
        if len(word) < 2 or word in QUERY_STOPWORDS or word in _GENERIC:
            continue
        weight = 2.0 if raw[0].isupper() or any(c.isdigit() for c in raw) else 1.0
        terms[word] = max(terms.get(word, 0.0), weight)
    return terms


def headline_share(terms: dict[str, float], title: str) -> float:
    """The weighted share of `terms` found in `title`."""
    total = sum(terms.values())
    if not total:
        return 0.0
    words = {_norm(w) for w in _TOKEN.findall(title.replace("’s", "").replace("'s", ""))}
    return sum(w for t, w in terms.items() if t in words) / total


def newest_first(found: Sequence[Ranked], subject: str, facts: dict[str, tuple[str, str | None]], k: int) -> list[Ranked]:
    """The `k` passages of `found` (ranker order) with the articles about `subject` newest first.

    `facts` maps a doc_id to its (title, ISO date or None).
    """
    docs = list(dict.fromkeys(r.doc_id for r in found))
    position = {d: i for i, d in enumerate(docs)}
    chosen = sorted(about_subject(found, subject, facts), key=lambda d: (facts[d][1], -position[d]), reverse=True)
    taken = set(chosen)
    return _passages(found, chosen + [d for d in docs if d not in taken], k)


def about_subject(found: Sequence[Ranked], subject: str, facts: dict[str, tuple[str, str | None]]) -> list[str]:
    """The dated articles of `found` that are about `subject` (see the module's docstring), in ranker order."""
    docs = list(dict.fromkeys(r.doc_id for r in found))
    if not docs:
        return []
    best: dict[str, float] = {}
    for r in found:
        best[r.doc_id] = max(best.get(r.doc_id, r.score), r.score)
    top = max(best.values())
    terms = subject_terms(subject)
    headline = {d: headline_share(terms, facts.get(d, ("", None))[0]) for d in docs}
    best_headline = max(headline[d] for d in docs[:TITLE_POOL]) or 1.0

    def about(d: str) -> bool:
        if not facts.get(d, ("", None))[1] or best[d] < FLOOR_SHARE * top:
            return False
        return best[d] >= CLOSE_SHARE * top or headline[d] >= TITLE_SHARE * best_headline

    return [d for d in docs if about(d)]


def _norm(word: str) -> str:
    word = word.lower()
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _passages(found: Sequence[Ranked], order: list[str], k: int) -> list[Ranked]:
    """Each article's first passage in `order`, then their further passages, up to `k`."""
    by_doc: dict[str, list[Ranked]] = {}
    for r in found:
        by_doc.setdefault(r.doc_id, []).append(r)
    chosen = [by_doc[d][0] for d in order]
    chosen += [r for d in order for r in by_doc[d][1:]]
    return chosen[:k]
