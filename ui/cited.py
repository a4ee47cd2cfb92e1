"""An answer's sources for clients that read text or JSON, not the web chat's HTML.

The OpenAI-compatible API (`ui.openai_api`) and the MCP server (`ui.mcp_server`) hand an answer to
programs and chat front ends that show plain text or Markdown. The answer text keeps its [n] markers;
`sources_markdown` is the list they point to, appended after it, and `citation_records` the same
sources as data (n, title, outlet, date, url and the quoted spans), so a client that drops the text's
tail still has them. Article strings are escaped for Markdown and only http(s) urls become links.
"""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from qa.answer.records import Answer, Citation

_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|~])")
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"


def citation_records(answer: Answer) -> list[dict[str, Any]]:
    """The sources [n] of `answer` as JSON-ready dicts: n, title, outlet, date, url, doc_id, quotes
    (each quoted span: its text and its offsets in the article, and whether it contradicts a claim)."""
    return [citation_record(c) for c in answer.citations]


def citation_record(c: Citation) -> dict[str, Any]:
    return {"n": c.n, "title": c.title, "outlet": c.outlet, "date": c.date, "url": c.url, "doc_id": c.doc_id,
            "quotes": [{"text": q.text, "start": q.start, "end": q.end, "contradicts": q.contradicts}
                       for q in c.quotes]}


def sources_markdown(answer: Answer) -> str:
    """`"\\n\\nSources:\\n[1] [Title](url), Outlet, 2024-03-06\\n..."`, or "" for an answer without sources."""
    if not answer.citations:
        return ""
    return "\n\nSources:\n" + "\n".join(f"- {source_line(c)}" for c in answer.citations)


def source_line(c: Citation) -> str:
    """`[n] [Title](url), Outlet, date`: the title a link only when the url is http(s)."""
    title = _escaped(c.title) or "Untitled"
    if c.url and re.match(r"https?://", c.url, re.IGNORECASE):
        title = f"[{title}](<{quote(''.join(c.url.split()), safe=_URL_SAFE)}>)"  # <, > and spaces encoded
    return ", ".join([f"[{c.n}] {title}"] + [_escaped(p) for p in (c.outlet, c.date) if p])


def _escaped(text: str | None) -> str:
    """One line of article text that Markdown shows as written (no link, emphasis or HTML of its own)."""
    return _MARKDOWN.sub(r"\\\1", " ".join((text or "").split()))
