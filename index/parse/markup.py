"""Markdown and HTML articles.

Markdown is stored nearly as written: only the YAML front matter and a leading
`# Title` heading (when it is the title) are taken off, because the stored text
is what chunks cite and highlight. HTML goes through trafilatura, the only
module that imports it (lazily: importing it takes about a second), which
keeps the main text and drops menus, footers and comments; `html_text` reduces
the HTML fragments of feed items (index/parse/feed.py) the same way. Neither parser may
fetch anything from the network: a page's links and canonical url are metadata.
"""
from __future__ import annotations

import html
import re
from collections.abc import Mapping

from index.document import Document
from index.parse import fields
from index.parse.records import documents_from_record
from index.parse.source import Source
from index.parse.yamlsafe import load_documents

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL | re.MULTILINE)
_LEADING_H1 = re.compile(r"\s*#[ \t]+(.+?)[ \t#]*(?:\r?\n|\Z)")
_TITLE_TAG = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)


def parse_markdown(source: Source) -> list[Document]:
    """One Document; front matter fields (title, url, date, source, author, topics) become metadata.

    The title is the front matter `title`, else a leading `# ` heading; that
    heading is removed from the body only when it is the title (a different
    first heading is part of the text). Without either, the first line is used.
    """
    meta, body = _split_front_matter(source)
    title = fields.as_line(meta.get("title"))
    heading = _LEADING_H1.match(body)
    if heading:
        text = heading.group(1).strip()
        if not title or text.casefold() == title.casefold():
            title = title or text
            body = body[heading.end():]
    record = {**meta, "title": title} if title else meta
    return documents_from_record(record, source, fallback_id=source.id_base, text=body)


def _split_front_matter(source: Source) -> tuple[Mapping, str]:
    match = _FRONT_MATTER.match(source.text)
    if not match:
        return {}, source.text
    documents = load_documents(match.group(1), source, first_line=2)
    data = documents[0].data if documents else None
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise source.error(f"front matter is a YAML {type(data).__name__}, not field: value lines",
                           "write it as lines such as 'title: ...' between two '---' lines", line=2)
    return data, source.text[match.end():]


def parse_html(source: Source) -> list[Document]:
    """One Document from the page's main text; raises `ParseError` when no article text is found."""
    import trafilatura  # lazy: slow to import, and only HTML files need it

    try:
        result = trafilatura.bare_extraction(
            source.text, with_metadata=True, include_comments=False,
            date_extraction_params={"extensive_search": False, "original_date": True})
    except Exception as exc:  # lxml and trafilatura raise many types on hostile markup; one page must not stop ingest
        raise source.error(f"HTML could not be read ({type(exc).__name__}: {' '.join(str(exc).split())[:120]})",
                           "check that it is a saved web page, or convert it to .txt or .md") from exc
    text = (getattr(result, "text", None) or "").strip()
    if not text:
        raise source.error("no article text found", "save the article page itself (not an index or script-only page), "
                           "or convert it to .txt or .md")
    title = fields.as_line(result.title) or _title_tag(source.text)
    if title and text.splitlines()[0].strip().casefold() == title.casefold():
        text = text.split("\n", 1)[1].strip() if "\n" in text else text  # the headline is kept as the title
    record = {
        "title": title,
        "url": result.url,
        "date": result.date,
        "outlet": result.sitename,
        "author": result.author,
        "category": (result.categories or [None])[0],
        "tags": result.tags,
    }
    return documents_from_record(record, source, fallback_id=source.id_base, text=text)


def html_text(fragment: str) -> str:
    """The text of an HTML fragment (a feed item's content or summary), through the same extractor as pages.

    The fragment is wrapped as a page's article so that the extractor keeps short
    items whole; when it still finds nothing, the fragment's plain text is used.
    """
    import trafilatura  # lazy, as above

    page = f"<html><body><article>{fragment}</article></body></html>"
    try:
        text = trafilatura.extract(page, include_comments=False, favor_recall=True) or trafilatura.html2txt(page)
    except Exception:  # hostile markup: the fragment stays findable as plain text
        text = html.unescape(re.sub(r"<[^>]*>", " ", fragment))
    return (text or "").strip()


def _title_tag(markup: str) -> str | None:
    match = _TITLE_TAG.search(markup)
    return fields.as_line(html.unescape(match.group(1))) if match else None
