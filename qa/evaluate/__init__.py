"""How good is retrieval: golden question files, metrics, and the `newsdesk eval` logic.

`golden` reads question files (JSON lines or YAML); `metrics` scores a retriever
on them (recall@k, hit@k, MRR@10, nDCG@10 by question type); `command` runs and
formats the eval command; `testing` holds the assertion helpers re-exported as
`qa.testing`.
"""
from qa.evaluate.golden import GoldenError, GoldenQuestion, load_golden
from qa.evaluate.metrics import MRR_DEPTH, NDCG_DEPTH, Report, Scores, evaluate

__all__ = ["GoldenError", "GoldenQuestion", "MRR_DEPTH", "NDCG_DEPTH", "Report", "Scores", "evaluate", "load_golden"]
