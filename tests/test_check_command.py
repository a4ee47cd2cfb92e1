"""`newsdesk check "CLAIM"` end to end on the seed articles (fake encoder, real spaCy checker)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, SEEDS


def _run(*args: str, cwd) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("NEWSDESK_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "tests.fake_cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("check")
    done = _run("ingest", str(SEEDS), "--index", str(folder / "idx"), "-q", cwd=folder)
    assert done.returncode == 0, done.stderr
    return folder


def test_a_wrong_name_is_contradicted_with_the_quote_and_its_citation(seeded):
    out = _run("check", "Sora was developed by Google.", "--index", "idx", cwd=seeded)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "Contradicted: the passage says OpenAI, not Google"
    assert lines[1].startswith('  [1] "') and "developed by US-based research company OpenAI" in lines[1]
    assert lines[2].startswith('[1] "AI industrial chain spurred on by Sora"')


def test_json_is_one_object_with_verdict_quotes_and_urls(seeded):
    out = _run("check", "Sora was developed by OpenAI.", "--index", "idx", "--json", cwd=seeded)
    assert out.returncode == 0, out.stderr
    (line,) = out.stdout.splitlines()
    data = json.loads(line)
    assert data["verdict"] == "supported" and data["reason"] == "passage 1 says so"
    assert data["quotes"][0]["n"] == 1 and "OpenAI" in data["quotes"][0]["text"]
    assert data["citations"][0]["url"].startswith("http") and data["citations"][0]["n"] == 1


def test_filters_apply_and_bad_input_is_one_line(seeded):
    out = _run("check", "Sora was developed by OpenAI.", "--index", "idx", "--outlet", "no-such-outlet.example",
               cwd=seeded)
    assert out.returncode in (0, 2)
    assert "Supported" not in out.stdout
    empty = _run("check", "   ", "--index", "idx", cwd=seeded)
    assert empty.returncode == 2 and "the question is empty" in empty.stderr
    assert len(empty.stderr.strip().splitlines()) == 1


def test_ask_tells_contradicted_sentences_from_unsupported_ones(monkeypatch, capsys):
    """`newsdesk ask` under a written answer: a sentence a passage contradicts is counted as such, apart from
    the ones nothing backs."""
    import argparse

    import qa.answer
    import qa.answer.factory
    import qa.retrieve.retriever
    from qa.answer.records import Answer, Claim
    from qa.config import Config
    from ui.commands import ask_command

    claims = (Claim("It cost $20 billion. [contradicted]", (1,), (1,), False, 0.0, False, verdict="contradicted"),
              Claim("It was cheap. [unsupported]", (), (), False, 0.0, False, verdict="unsupported"),
              Claim("It was announced. [1]", (1,), (1,), True, 1.0, True))
    answer = Answer("q", "It cost $20 billion. [contradicted] It was cheap. [unsupported] It was announced. [1]",
                    (), False, (), "q", 0.0, "generative", None, claims)
    monkeypatch.setattr(qa.retrieve.retriever.Retriever, "open", staticmethod(lambda *a, **k: argparse.Namespace(encoder=None)))
    monkeypatch.setattr(qa.answer.factory, "make_answerer", lambda *a: None)
    monkeypatch.setattr(qa.answer.factory, "check_answerer", lambda *a: None)
    monkeypatch.setattr(qa.answer, "ask", lambda *a, **k: answer)
    args = argparse.Namespace(question="How much did it cost?", outlet=[], topic=[], since=None, until=None,
                              answerer=None, k=None, json=False)
    assert ask_command(args, Config()) == 0
    out = capsys.readouterr().out
    assert "1 sentence marked [contradicted]: a retrieved passage says otherwise" in out
    assert "1 sentence marked [unsupported]: no retrieved passage backs it" in out
