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
