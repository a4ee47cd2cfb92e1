"""Helpers for your own retrieval tests (pytest or plain asserts): does this question find that article?

    from qa.testing import assert_retrieves, assert_recall, build_retriever

    def test_sora_question(tmp_path):
        retriever = build_retriever(["articles/"], tmp_path / "index")
        assert_retrieves(retriever, "What is OpenAI's text-to-video model?", "https://example.com/sora", k=3)
        assert_recall(retriever, "tests/golden/my-questions.yaml", k=5, at_least=1.0)

A failure is an AssertionError whose message lists what came back instead, so a
regression reads like a search result, not like a boolean. Nothing here needs
pytest; nothing here writes to an index except `build_retriever`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from index.document import untagged
from index.document import Filters
from qa.config import Config
from qa.evaluate.golden import GoldenQuestion, load_golden
from qa.evaluate.metrics import Report, evaluate
from qa.retrieve.retriever import Retriever
from qa.retrieve.records import Hit


def build_retriever(paths: Sequence[str | Path], index_dir: str | Path, config: Config | None = None) -> Retriever:
    """Ingest `paths` into `index_dir` with the configured model and open a Retriever on it.

    Embedding is the slow part (about 1 s per 10 articles on a laptop CPU): in a
    test suite build once per module (a module-scoped fixture) and reuse it.
    """
    from index.ingest import ingest
    from index.storage.layout import IndexDir

    config = config or Config()
    encoder = config.encoder()
    settings = config.index_settings()
    report = ingest(paths, index_dir, encoder, settings)
    if report.errors:
        raise AssertionError("some article files could not be indexed:\n" + "\n".join(f"  {e}" for e in report.errors))
    return Retriever(IndexDir.open(index_dir, encoder.model_id, settings.backend), encoder, config.rank_plan())


def assert_retrieves(retriever: Retriever, question: str, doc_id: str, k: int = 5,
                     filters: Filters | None = None) -> Hit:
    """Fail unless a passage of document `doc_id` (its id, url, or for a url-less file its id without the tag,
    `story.md`) is among the top `k`; returns that hit."""
    hits = retriever.search(question, k=k, filters=filters)
    for hit in hits:
        if doc_id in (hit.doc_id, untagged(hit.doc_id), hit.url):
            return hit
    raise AssertionError(f"{question!r} did not retrieve {doc_id} in the top {k}; it got:\n{_listing(hits)}")


def assert_recall(retriever: Retriever, golden: str | Path | Sequence[GoldenQuestion], k: int = 5,
                  at_least: float = 1.0) -> Report:
    """Fail unless article recall@k over a golden file (or loaded questions) reaches `at_least`.

    The message names every question that missed evidence, with what it got instead.
    """
    questions = load_golden(golden) if isinstance(golden, (str, Path)) else list(golden)
    report = evaluate(retriever, questions, ks=(k,))
    recall = report.overall.recall[k]
    if recall + 1e-9 < at_least:
        lines = [f"recall@{k} is {recall:.3f} over {report.overall.questions} questions, expected at least {at_least}"]
        for miss in report.misses(k):
            got = list(dict.fromkeys(miss.returned))[:k]
            lost = [e for e in miss.evidence if e not in got]
            lines.append(f"- {miss.id}: missed {', '.join(lost)}; got {', '.join(got) or 'nothing'}")
        raise AssertionError("\n".join(lines))
    return report


def _listing(hits: Sequence[Hit]) -> str:
    if not hits:
        return "  (nothing: is the index empty, or the filter too narrow?)"
    return "\n".join(f"  {h.rank}. {h.doc_id}  score {h.score:.3f}  \"{h.title}\"" for h in hits)
