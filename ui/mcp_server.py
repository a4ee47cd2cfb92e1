"""`newsdesk mcp`: the indexed articles as Model Context Protocol tools, over stdio (the only mcp importer).

An MCP host (Claude Desktop, an IDE, an agent framework) starts `newsdesk mcp --index DIR` and calls
its tools: `search` (passages with their citations), `ask` (a cited answer, follow-ups resolved from
the history as in the web chat), `timeline` (dated events, oldest first) and `check_claim` (is a sentence supported, contradicted or not settled
by the articles). Each answers with structured content, the same fields as the CLI's `--json`, and a
readable text. A bad argument, or a question the index refuses, is a tool error with the one-line
message the CLI would print; the server keeps running. Every tool goes through the `Desk` the web chat
uses. A tool is a method of `NewsTools` named in `TOOLS` with its description: adding one (the timeline)
is a method and a line. Nothing is printed on stdout but the protocol.
"""
from __future__ import annotations

import contextlib
import functools
import logging
import sys
from dataclasses import asdict
from typing import Annotated, Any, Callable, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel, Field

from index.document import Filters
from index.errors import NewsdeskError
from qa.answer import Answer
from qa.answer.records import PARAGRAPH
from qa.retrieve.filters import parse_filters
from ui.check_command import result_lines
from ui.cited import sources_markdown
from ui.desk import Desk
from ui.render import filters_note

log = logging.getLogger("newsdesk.mcp")
INSTRUCTIONS = ("Search, ask and fact-check a collection of news articles. Answers quote the articles and cite "
                "them [n]; the citations give title, outlet, date and url. Filter by outlet, topic or dates.")

Question = Annotated[str, Field(description="the question, in plain words", min_length=1, max_length=2000)]
K = Annotated[int, Field(ge=1, le=100, description="how many passages, 1 to 100 (more finds facts spread over "
                         "more articles, and takes a little longer)")]
Outlets = Annotated[list[str] | None, Field(description="only these outlets (names or domains)")]
Topics = Annotated[list[str] | None, Field(description="only articles with one of these topics")]
Since = Annotated[str | None, Field(description="only articles published on or after this date, YYYY-MM-DD or YYYY-MM")]
Until = Annotated[str | None, Field(description="only articles published on or before this date, YYYY-MM-DD or YYYY-MM")]


class Turn(BaseModel):
    """One earlier message of the conversation."""

    role: Literal["user", "assistant"]
    content: str = Field(max_length=100_000)


History = Annotated[list[Turn] | None, Field(description="the conversation so far, oldest first: a follow-up "
                                             "('And what about Baidu?') is read against the earlier questions")]


class NewsTools:
    """The tools' logic over one `Desk`; each returns a `CallToolResult` (readable text + structured content)."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    def search(self, question: Question, k: K = 5, outlets: Outlets = None, topics: Topics = None,
               since: Since = None, until: Until = None) -> CallToolResult:
        hits = self.desk.search(question, k, _filters(outlets, topics, since, until))
        lines = [f"[{h.rank}] {h.citation}\n{' '.join(h.text.split())}" for h in hits]
        data = {"question": question, "hits": [asdict(h) | {"citation": h.citation} for h in hits]}
        return _result("\n\n".join(lines) or "No passages found (is the filter too narrow?).", data)

    def ask(self, question: Question, history: History = None, outlets: Outlets = None, topics: Topics = None,
            since: Since = None, until: Until = None) -> CallToolResult:
        filters = _filters(outlets, topics, since, until)
        answer = [p for p in self.desk.ask_stream(question, [t.model_dump() for t in history or ()], filters) if isinstance(p, Answer)][-1]
        if answer.abstained and not answer.hits and filters:
            text = answer.text + PARAGRAPH + filters_note(filters, self.desk.summary(), "Widen or drop the filters.")
        else:
            text = answer.text + sources_markdown(answer)
        return _result(text, answer.to_dict())

    def check_claim(self, claim: Annotated[str, Field(description="the sentence to check", min_length=1,
                                                      max_length=2000)],
                    k: K = 5, outlets: Outlets = None, topics: Topics = None, since: Since = None,
                    until: Until = None) -> CallToolResult:
        result = self.desk.check(claim, k, _filters(outlets, topics, since, until))
        return _result("\n".join(result_lines(result)), result.to_dict())


    def timeline(self, query: Annotated[str, Field(description="a subject ('Sam Bankman-Fried') or a question "
                                                   "('How did the FTX trial unfold?')", min_length=1, max_length=2000)],
                 k: Annotated[int, Field(ge=1, le=100, description="articles to search, 1 to 100")] = 40,
                 outlets: Outlets = None, topics: Topics = None, since: Since = None,
                 until: Until = None) -> CallToolResult:
        found = self.desk.timeline(query, k, _filters(outlets, topics, since, until))
        data = {"query": query, "subject": found.subject, "events": [e.to_dict() for e in found.events]}
        return _result(found.answer.text + sources_markdown(found.answer), data)


# name -> what the host's model reads about it. A tool is a NewsTools method of the same name.
TOOLS: dict[str, str] = {
    "search": "Find the passages of the news articles most relevant to a question, each with its citation "
              "(title, outlet, date, url) and score. Use it to read what the articles say.",
    "ask": "Answer a question from the news articles: sentences quoted from them, each cited [n], with the "
           "sources listed. Pass the earlier turns as history for a follow-up. Says so when the articles don't answer.",
    "timeline": "A dated list of what happened about a subject, oldest first: one event a line (its date, the "
                "sentence that tells it, quoted, and its source); copies of one report become one line. Bound it "
                "with since/until.",
    "check_claim": "Fact-check one sentence against the news articles: supported, contradicted (a passage says "
                   "otherwise: another number, date, name or the opposite) or not settled, with the quotes.",
}


def build(desk: Desk) -> MCPServer:
    """The MCP server with every tool of `TOOLS` (not started)."""
    server = MCPServer("newsdesk", instructions=INSTRUCTIONS)
    tools = NewsTools(desk)
    for name, description in TOOLS.items():
        server.add_tool(_plain_errors(getattr(tools, name)), name=name, description=description,
                        structured_output=False)
    return server


def serve(desk: Desk) -> None:
    """`newsdesk mcp`: load the model (on stderr's side of the pipe), then serve stdio until the host hangs up."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    with contextlib.redirect_stdout(sys.stderr):  # stdout is the protocol's: a stray print would corrupt it
        desk.warm_up()
    build(desk).run("stdio")


def _plain_errors(tool: Callable[..., CallToolResult]) -> Callable[..., CallToolResult]:
    """`tool` with a user's mistake answered as a tool error in the CLI's words, and anything else as a
    short error whose details stay in the server's log."""
    @functools.wraps(tool)
    def run(*args: Any, **kwargs: Any) -> CallToolResult:
        try:
            return tool(*args, **kwargs)
        except NewsdeskError as exc:
            raise ToolError(tool.__self__.desk.public(exc)) from None
        except Exception:
            log.exception("tool %s failed", tool.__name__)
            raise ToolError("something went wrong on the server (its log has the details)") from None

    return run


def _filters(outlets: list[str] | None, topics: list[str] | None, since: str | None, until: str | None) -> Filters | None:
    return parse_filters(outlets or (), topics or (), since, until) or None


def _result(text: str, data: dict[str, Any]) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=data)
