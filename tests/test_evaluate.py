"""Metrics on hand-computed cases, golden-file reading and its errors, the eval CLI on a fake index (no model)."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass

import pytest

from qa.evaluate.golden import GoldenError, GoldenQuestion, load_golden
from qa.evaluate.metrics import evaluate, ndcg_at, ranked_documents, recall_at, reciprocal_rank


@dataclass
class FakeHit:
    doc_id: str
    url: str | None = None


class ListRetriever:
    """Answers each question with a fixed list of document ids (one passage each, repeats allowed)."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, int]] = []

    def search(self, question: str, k: int = 5, filters=None):
        self.asked.append((question, k))
        return [FakeHit(d) for d in self.answers.get(question, [])][:k]


def docs(*ids: str):
    return ranked_documents(FakeHit(i) for i in ids)


def test_recall_counts_each_evidence_document_once_among_the_first_k_documents():
    ranked = docs("a", "x", "b", "y", "c")
    assert recall_at(ranked, ["a", "b", "c", "d"], 1) == 0.25
    assert recall_at(ranked, ["a", "b", "c", "d"], 3) == 0.5
    assert recall_at(ranked, ["a", "b", "c", "d"], 10) == 0.75
    assert recall_at(docs(), ["a"], 5) == 0.0


def test_repeated_passages_of_one_article_count_as_one_document():
    ranked = docs("x", "x", "x", "a")
    assert [sorted(d) for d in ranked] == [["x"], ["a"]]
    assert recall_at(ranked, ["a"], 2) == 1.0
    assert reciprocal_rank(ranked, ["a"]) == 0.5


def test_a_document_matches_evidence_by_id_or_by_url():
    ranked = ranked_documents([FakeHit("local/path.txt", "https://example.com/a")])
    assert recall_at(ranked, ["https://example.com/a"], 1) == 1.0
    assert recall_at(ranked, ["local/path.txt"], 1) == 1.0


def test_reciprocal_rank_uses_the_first_evidence_document_within_depth():
    assert reciprocal_rank(docs("x", "y", "a", "b"), ["b", "a"]) == pytest.approx(1 / 3)
    assert reciprocal_rank(docs(*[f"x{i}" for i in range(10)], "a"), ["a"]) == 0.0  # rank 11 > depth 10


def test_ndcg_by_hand():
    # evidence {a, b}; ranked x, a, y, b -> DCG = 1/log2(3) + 1/log2(5); ideal = 1 + 1/log2(3)
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at(docs("x", "a", "y", "b"), ["a", "b"]) == pytest.approx(expected)
    assert ndcg_at(docs("a", "b"), ["a", "b"]) == pytest.approx(1.0)
    assert ndcg_at(docs("x"), ["a"]) == 0.0


def test_evaluate_averages_over_questions_with_evidence_and_breaks_down_by_type():
    questions = [
        GoldenQuestion("1", "q1", ("a", "b"), type="comparison"),
        GoldenQuestion("2", "q2", ("c",), type="inference"),
        GoldenQuestion("3", "q3", (), type="null"),
    ]
    retriever = ListRetriever({"q1": ["a", "x", "b"], "q2": ["y", "y", "c"], "q3": ["a"]})
    report = evaluate(retriever, questions, ks=(1, 5))
    assert report.overall.questions == 2 and report.no_evidence == 1
    assert report.overall.recall == {1: pytest.approx(0.25), 5: pytest.approx(1.0)}
    assert report.overall.hit[1] == pytest.approx(0.5)
    assert report.overall.mrr == pytest.approx((1 + 1 / 2) / 2)  # c is the 2nd distinct document for q2
    assert set(report.by_type) == {"comparison", "inference"}
    assert report.by_type["comparison"].recall[1] == pytest.approx(0.5)
    assert all(k == 10 for _, k in retriever.asked)  # searched deep enough for MRR@10 / nDCG@10
    out = report.to_dict()
    assert {"questions", "recall@1", "recall@5", "mrr@10", "ndcg@10", "by_type", "latency_p50_ms"} <= set(out)
    assert [m.id for m in report.misses(1)] == ["2", "1"]


def test_golden_jsonl_and_yaml_load_the_same_questions(tmp_path):
    jsonl = tmp_path / "g.jsonl"
    jsonl.write_text(json.dumps({"id": "q1", "question": " Who? ", "evidence": ["u1", "u1"], "facts": ["ignored"]})
                     + "\n\n" + json.dumps({"id": 2, "question": "What?", "evidence": [], "type": "null_query"}) + "\n")
    yml = tmp_path / "g.yaml"
    yml.write_text("- id: q1\n  question: Who?\n  evidence: [u1]\n- id: 2\n  question: What?\n  type: null_query\n")
    expected = [GoldenQuestion("q1", "Who?", ("u1",)), GoldenQuestion("2", "What?", (), type="null_query")]
    assert load_golden(jsonl) == expected
    assert load_golden(yml) == expected


@pytest.mark.parametrize("name,content,message", [
    ("g.jsonl", '{"id": "a", "question": "x"}\n{"id": "b", "question": "y"\n', "g.jsonl:2: not valid JSON"),
    ("g.jsonl", '{"id": "a", "question": "x", "evidence": [3]}\n', "g.jsonl:1: evidence must be a list"),
    ("g.jsonl", '{"id": "a"}\n', "g.jsonl:1: the question has no question"),
    ("g.jsonl", '["a"]\n', "g.jsonl:1: a question must be a mapping"),
    ("g.jsonl", '{"id": "a", "question": "x"}\n{"id": "a", "question": "y"}\n', "g.jsonl:2: question id 'a' repeats"),
    ("g.jsonl", "\n", "holds no questions"),
    ("g.yaml", "- id: a\n  question: x\n- id: b\n  question: [unclosed\n", "g.yaml:5: not valid YAML"),
    ("g.yaml", "- id: a\n  question: x\n- just text\n", "g.yaml:3: a question must be a mapping"),
    ("g.yaml", "id: a\nquestion: x\n", "g.yaml:1: a YAML golden file must be a list"),
])
def test_a_malformed_golden_file_names_file_and_line(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(GoldenError, match=None) as err:
        load_golden(path)
    assert message in str(err.value) and str(tmp_path) in str(err.value)
    assert "\n" not in str(err.value)


def test_a_missing_golden_file_is_one_clear_error(tmp_path):
    with pytest.raises(GoldenError, match="does not exist"):
        load_golden(tmp_path / "nope.jsonl")
