"""The `newsdesk` command end to end in a temporary folder, with the real model."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, SEEDS


def _run(*args: str, cwd, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), **(env_extra or {}))
    env.pop("NEWSDESK_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "ui.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.model
def test_ingest_then_search(tmp_path):
    idx = str(tmp_path / "idx")
    first = _run("ingest", str(SEEDS), "--index", idx, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "5 added, 0 updated, 0 unchanged, 0 removed" in first.stdout
    again = _run("ingest", str(SEEDS), "--index", idx, "-q", cwd=tmp_path)
    assert "0 added, 0 updated, 5 unchanged" in again.stdout
    found = _run("search", "Sora text-to-video model from OpenAI", "-k", "2", "--index", idx, "--json", cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    hits = [json.loads(line) for line in found.stdout.splitlines()]
    assert len(hits) == 2 and hits[0]["title"] == "AI industrial chain spurred on by Sora"
    assert hits[0]["citation"].startswith('"AI industrial chain spurred on by Sora", 中国日报网, 2024-03-06')
    human = _run("search", "Sora", "--index", idx, "--outlet", "chinadaily.com.cn", cwd=tmp_path)
    assert "[1]" in human.stdout and "Forbes" not in human.stdout


@pytest.mark.parametrize("args,message", [
    (("search", "anything", "--index", "nowhere"), "no index at nowhere"),
    (("search", "   ", "--index", "nowhere"), "the question is empty"),
    (("ingest", "does-not-exist", "--index", "idx"), "does-not-exist"),
    (("--config", "bad.yaml", "search", "x"), "unknown key 'top_kk'"),
    (("search", "x", "--since", "last tuesday"), "not a date"),
])
def test_user_mistakes_are_one_clear_line(tmp_path, args, message):
    (tmp_path / "bad.yaml").write_text("top_kk: 3\n")
    result = _run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_help_lists_commands(tmp_path):
    out = _run("--help", cwd=tmp_path).stdout
    assert "ingest" in out and "search" in out
