"""Measuring retrieval against a golden file: article-level recall@k, hit@k, MRR@10, nDCG@10, latency.

Metrics are keyed by document, not by chunk: a question's evidence is a set of
document ids, and a ranked list of passages is read as the documents of those
passages in order of first appearance. So re-chunking never breaks a golden
file, and an article returned twice counts once. Questions without evidence are
counted apart (they measure nothing about recall). This module only calls
`retriever.search`; it never changes the index.

    report = evaluate(Retriever.open("data/index"), load_golden("golden.jsonl"))
    print(report.to_dict()["recall@10"])
"""
from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Protocol, Sequence

from index.document import untagged
from qa.evaluate.golden import GoldenQuestion

MRR_DEPTH = NDCG_DEPTH = 10


class _Searcher(Protocol):
    def search(self, question: str, k: int = 5, filters=None) -> list: ...


def ranked_documents(hits: Iterable[object]) -> list[frozenset[str]]:
    """The distinct documents of ranked hits, best first; each as the set of names it answers to (id, url, and
    for a url-less document its id without the file tag, the path a golden file names; a story shown once also
    answers to its other reports, which the hit names: `Hit.also`)."""
    out: list[frozenset[str]] = []
    seen: set[str] = set()
    for hit in hits:
        if hit.doc_id in seen:
            continue
        seen.add(hit.doc_id)
        also = [n for r in getattr(hit, "also", ()) for n in (r.doc_id, untagged(r.doc_id), r.url)]
        out.append(frozenset(n for n in (hit.doc_id, untagged(hit.doc_id), getattr(hit, "url", None), *also) if n))
    return out


def _found(docs: Sequence[frozenset[str]], evidence: Sequence[str]) -> list[bool]:
    """Per document: does it match one of the evidence ids?"""
    wanted = set(evidence)
    return [bool(names & wanted) for names in docs]


def recall_at(docs: Sequence[frozenset[str]], evidence: Sequence[str], k: int) -> float:
    """Share of the evidence documents among the first `k` documents."""
    names = set().union(*docs[:k]) if docs[:k] else set()
    return sum(e in names for e in set(evidence)) / len(set(evidence))


def reciprocal_rank(docs: Sequence[frozenset[str]], evidence: Sequence[str], depth: int = MRR_DEPTH) -> float:
    """1 / rank of the first evidence document within `depth`, else 0."""
    for rank, ok in enumerate(_found(docs[:depth], evidence), 1):
        if ok:
            return 1.0 / rank
    return 0.0


def ndcg_at(docs: Sequence[frozenset[str]], evidence: Sequence[str], depth: int = NDCG_DEPTH) -> float:
    """Binary-relevance nDCG: evidence found early scores more; 1.0 means all evidence ranked first."""
    dcg = sum(1.0 / math.log2(rank + 1) for rank, ok in enumerate(_found(docs[:depth], evidence), 1) if ok)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(set(evidence)), depth) + 1))
    return dcg / ideal


@dataclass(frozen=True, slots=True)
class QuestionResult:
    """How one question fared: the documents returned (ids, url-less ones untagged as golden files name them)
    and its scores."""

    id: str
    type: str | None
    evidence: tuple[str, ...]
    returned: tuple[str, ...]
    recall: dict[int, float]
    mrr: float
    ndcg: float
    seconds: float


@dataclass(frozen=True, slots=True)
class Scores:
    """Averages over a group of questions with evidence."""

    questions: int
    recall: dict[int, float]
    hit: dict[int, float]
    mrr: float
    ndcg: float

    def to_dict(self) -> dict[str, float | int]:
        out: dict[str, float | int] = {"questions": self.questions}
        out |= {f"recall@{k}": round(v, 4) for k, v in self.recall.items()}
        out |= {f"hit@{k}": round(v, 4) for k, v in self.hit.items()}
        return out | {f"mrr@{MRR_DEPTH}": round(self.mrr, 4), f"ndcg@{NDCG_DEPTH}": round(self.ndcg, 4)}


@dataclass(frozen=True, slots=True)
class Report:
    """The outcome of `evaluate`: overall and per-type scores, questions without evidence, latency."""

    overall: Scores
    by_type: dict[str, Scores]
    no_evidence: int
    latency_p50_ms: float
    latency_p95_ms: float
    results: tuple[QuestionResult, ...]

    def to_dict(self) -> dict[str, object]:
        """Flat JSON-ready figures: `questions`, `recall@5`, ..., `mrr@10`, `ndcg@10`, `by_type`, latency."""
        return self.overall.to_dict() | {
            "no_evidence": self.no_evidence,
            "latency_p50_ms": round(self.latency_p50_ms, 1),
            "latency_p95_ms": round(self.latency_p95_ms, 1),
            "by_type": {t: s.to_dict() for t, s in self.by_type.items()},
        }

    def misses(self, k: int = 10) -> list[QuestionResult]:
        """Questions whose evidence was not all found in the top `k` (worst first)."""
        return sorted((r for r in self.results if r.recall.get(k, 1.0) < 1.0), key=lambda r: r.recall.get(k, 0.0))


def evaluate(retriever: _Searcher, questions: Sequence[GoldenQuestion], ks: Sequence[int] = (5, 10, 20)) -> Report:
    """Ask every question and score the documents of the returned passages.

    `ks` are the cut-offs for recall@k and hit@k; the search asks for
    max(ks, 10) passages, so larger ks cost a little latency per question.
    """
    ks = tuple(sorted(set(int(k) for k in ks)))
    if not ks or ks[0] < 1 or ks[-1] > 100:
        raise ValueError(f"ks={ks} must be cut-offs between 1 and 100, e.g. (5, 10, 20)")
    depth = max(ks[-1], MRR_DEPTH, NDCG_DEPTH)
    results: list[QuestionResult] = []
    timings: list[float] = []
    no_evidence = 0
    for q in questions:
        t0 = time.perf_counter()
        hits = retriever.search(q.question, k=depth)
        seconds = time.perf_counter() - t0
        timings.append(seconds)
        if not q.evidence:
            no_evidence += 1
            continue
        docs = ranked_documents(hits)
        results.append(QuestionResult(q.id, q.type, q.evidence, tuple(untagged(h.doc_id) for h in hits),
                                      {k: recall_at(docs, q.evidence, k) for k in ks},
                                      reciprocal_rank(docs, q.evidence), ndcg_at(docs, q.evidence), seconds))
    groups: dict[str, list[QuestionResult]] = defaultdict(list)
    for r in results:
        groups[r.type or "untyped"].append(r)
    return Report(_average(results, ks), {t: _average(rs, ks) for t, rs in sorted(groups.items())}, no_evidence,
                  _percentile(timings, 50) * 1000, _percentile(timings, 95) * 1000, tuple(results))


def _average(results: Sequence[QuestionResult], ks: Sequence[int]) -> Scores:
    n = len(results)
    if not n:
        return Scores(0, {k: 0.0 for k in ks}, {k: 0.0 for k in ks}, 0.0, 0.0)
    return Scores(n, {k: sum(r.recall[k] for r in results) / n for k in ks},
                  {k: sum(r.recall[k] > 0 for r in results) / n for k in ks},
                  sum(r.mrr for r in results) / n, sum(r.ndcg for r in results) / n)


def _percentile(values: Sequence[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * pct / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)
