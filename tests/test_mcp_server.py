"""`newsdesk mcp`, driven over stdio by the MCP SDK's own client, as an MCP host would.

The server is `python -m ui.cli mcp --index DIR` in its own process over a seed index with the real
model. The session lists the tools, calls each (structured content with the CLI's `--json` fields,
and a readable text), asks a follow-up, and sends bad arguments, which must come back as tool errors
in plain words while the server keeps answering.
"""
from __future__ import annotations

import json
import subprocess
import sys

import anyio
import pytest

from index.ingest import ingest
from index.settings import IndexSettings
from tests.conftest import ROOT, SEEDS
from tests.test_ui import SORA, SORA_QUESTION

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory, real_encoder):
    folder = tmp_path_factory.mktemp("mcp") / "idx"
    ingest([SEEDS], folder, real_encoder, IndexSettings())
    return folder


def _session(index_dir, script):
    """Run `script(session)` in a client session with a fresh `newsdesk mcp` over stdio."""
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    server = StdioServerParameters(command=sys.executable, args=["-m", "ui.cli", "mcp", "--index", str(index_dir)],
                                   env={"PYTHONPATH": str(ROOT)}, cwd=str(index_dir.parent))

    async def main():
        async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            return await script(session)

    return anyio.run(main)


def _text(result) -> str:
    return "".join(part.text for part in result.content)


def test_lists_its_tools_and_answers_each_with_text_and_structured_content(index_dir):
    async def script(session):
        tools = {t.name: t for t in (await session.list_tools()).tools}
        found = await session.call_tool("search", {"question": SORA_QUESTION, "k": 3})
        asked = await session.call_tool("ask", {"question": "What does Alibaba's City Brain try to optimize?"})
        history = [{"role": "user", "content": "What does Alibaba's City Brain try to optimize?"},
                   {"role": "assistant", "content": _text(asked)}]
        follow = await session.call_tool("ask", {"question": "And what about Baidu?", "history": history})
        checked = await session.call_tool("check_claim", {"claim": "Sora was developed by Google."})
        empty = await session.call_tool("ask", {"question": SORA_QUESTION, "since": "2030-01-01"})
        dated = await session.call_tool("timeline", {"query": "Sora"})
        return tools, found, asked, follow, checked, empty, dated

    tools, found, asked, follow, checked, empty, dated = _session(index_dir, script)
    assert sorted(tools) == ["ask", "check_claim", "search", "timeline"]
    assert not dated.is_error and dated.structured_content["events"], _text(dated)
    assert set(dated.structured_content["events"][0]) >= {"date", "text", "url", "doc_id", "outlet"}
    assert _text(dated).startswith("Timeline, oldest first")
    assert tools["search"].input_schema["properties"]["k"]["maximum"] == 100
    assert tools["ask"].input_schema["required"] == ["question"] and tools["ask"].description
    for result in (found, asked, follow, checked, empty):
        assert not result.is_error, _text(result)
    hits = found.structured_content["hits"]
    assert len(hits) == 3 and hits[0]["url"] == SORA
    assert set(hits[0]) >= {"rank", "score", "text", "doc_id", "title", "outlet", "published", "url", "citation"}
    assert _text(found).startswith(f"[1] {hits[0]['citation']}\n")
    answer = asked.structured_content
    assert set(answer) >= {"question", "query", "text", "abstained", "citations", "hits"} and not answer["abstained"]
    assert _text(asked).startswith(answer["text"]) and "\n\nSources:\n- [1] " in _text(asked)
    assert _text(follow).startswith("Baidu: Known as China’s “Google,” Baidu has focused heavily on autonomous driving")
    assert "Baidu" in follow.structured_content["query"]
    verdict = checked.structured_content
    assert verdict["verdict"] == "contradicted" and verdict["citations"][0]["url"] == SORA
    assert _text(checked).splitlines()[0] == "Contradicted: the passage says OpenAI, not Google"
    assert "No article matches the filters (from 2030-01-01)." in _text(empty)
    assert empty.structured_content["abstained"] and empty.structured_content["citations"] == []
    print("\n" + json.dumps({"tools": sorted(tools), "search": _text(found)[:160], "ask": _text(asked)[:200],
                             "follow-up": _text(follow)[:120], "check_claim": _text(checked)}, indent=1,
                            ensure_ascii=False))


BAD = [
    ("search", {"question": SORA_QUESTION, "k": 0}, "greater than or equal to 1"),
    ("search", {"question": SORA_QUESTION, "k": "five"}, "valid integer"),
    ("search", {"k": 3}, "question"),
    ("ask", {"question": SORA_QUESTION, "since": "last tuesday"}, "since date 'last tuesday' is not a date"),
    ("ask", {"question": SORA_QUESTION, "history": [{"role": "wizard", "content": "hi"}]}, "role"),
    ("ask", {"question": "   "}, "the question is empty"),
    ("check_claim", {"claim": "x" * 2001}, "at most 2000 characters"),
    ("timeline", {"question": SORA_QUESTION}, "timeline"),
]


def test_bad_arguments_are_tool_errors_and_the_server_keeps_answering(index_dir):
    async def script(session):
        bad = [await session.call_tool(tool, arguments) for tool, arguments, _ in BAD]
        return bad, await session.call_tool("search", {"question": SORA_QUESTION, "k": 1})

    bad, good = _session(index_dir, script)
    for (tool, arguments, words), result in zip(BAD, bad):
        assert result.is_error and words in _text(result), (tool, arguments, _text(result))
        assert "Traceback" not in _text(result) and str(index_dir) not in _text(result)
    assert not good.is_error and good.structured_content["hits"][0]["url"] == SORA
    print("\n" + "\n".join(f"{tool} {json.dumps(arguments)[:60]} -> {_text(r)[:150]}"
                           for (tool, arguments, _), r in zip(BAD, bad)))


def test_a_missing_index_is_one_line_before_any_protocol(tmp_path):
    done = subprocess.run([sys.executable, "-m", "ui.cli", "mcp", "--index", str(tmp_path / "none")],
                          capture_output=True, text=True, env={"PYTHONPATH": str(ROOT)}, cwd=tmp_path, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("newsdesk: error: no index at") and len(done.stderr.splitlines()) == 1
