"""HTML for the chat UI: answers with linked [n] markers, citation cards, the corpus summary.

Article text, titles, outlets and urls come from the corpus and are untrusted:
every one goes through `html.escape`, and only http(s) urls become links. The
markup relies on the class names styled in `ui/style.css`; nothing here imports
gradio, so it is unit-testable as plain strings.
"""
from __future__ import annotations

import html
import re
from typing import Sequence
from urllib.parse import urlsplit

from qa.answer import Answer, Citation
from qa.answer.records import paragraphs
from index.document import Filters
from qa.retrieve.records import Hit, also_reported
from ui.desk import CorpusSummary

CONTEXT_CHARS = 280  # passage text shown on each side of the quoted sentences
_MARKER = re.compile(r"\[(\d+)\]")
_FLAG = re.compile(r"\[(contradicted|unsupported)\]")  # grounding's verdict on a claim of a written answer
_FLAG_TITLE = {"contradicted": "a cited passage says otherwise: its quote is marked in red under Sources",
               "unsupported": "no passage backs this claim"}


def e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def safe_url(url: str | None) -> str | None:
    """`url` when it is an absolute http(s) url, else None (no javascript:, data:, relative or odd urls)."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def card_id(turn: int, n: int) -> str:
    return f"nd-src-{turn}-{n}"


def answer_html(text: str, turn: int, abstained: bool = False, note: str = "") -> str:
    """The answer (or the part streamed so far), escaped, each [n] a link to its card; its parts (the direct
    answer, a notice, the quotes) each on a line of their own. A quote may hold a line break of its article's
    hard-wrapped text; on screen it is a space. `note`, when given, says why
    nothing was found (the filters) and takes the place of the abstain text."""
    if note:
        return f'<div class="nd-answer nd-filtered">{e(note)}</div>'
    body = _MARKER.sub(lambda m: f'<a class="nd-cite" href="#{card_id(turn, int(m.group(1)))}">[{m.group(1)}]</a>',
                       "<br>".join(e(part) for part in paragraphs(text)))
    body = _FLAG.sub(lambda m: f'<span class="nd-flag nd-{m.group(1)}" title="{_FLAG_TITLE[m.group(1)]}">'
                               f'{m.group(1)}</span>', body)
    if abstained:
        body += '<br><span class="nd-note">The closest passages are listed under Sources.</span>'
    return f'<div class="nd-answer">{body}</div>'


def filters_note(filters: Filters, s: CorpusSummary,
                 fix: str = "Widen or clear the filters under Filters, then ask again.") -> str:
    """Why a question found no passage at all under `filters`, and how to widen them: one sentence for
    the chat and the Sources panel alike."""
    parts = []
    if filters.outlets:
        parts.append("outlet " + " or ".join(filters.outlets))
    if filters.topics:
        parts.append("topic " + " or ".join(filters.topics))
    if filters.date_from or filters.date_to:
        parts.append(f"{filters.date_from} to {filters.date_to}" if filters.date_from and filters.date_to
                     else f"from {filters.date_from}" if filters.date_from else f"until {filters.date_to}")
    span = f" The articles run from {s.date_from} to {s.date_to}." if s.date_from and s.date_to else ""
    return f"No article matches the filters ({'; '.join(parts)}).{span} {fix}"


def time_read_html(reading) -> str:
    """The dates the last question was read as asking for (a `TimeReading`), shown under the filters with how to
    turn the reading off; empty when it named no time."""
    if reading is None or not (reading.recency or reading.bounded or reading.timeline):
        return ""
    words = ", ".join(f"\u201c{html.escape(p)}\u201d" for p in reading.phrases[:3])
    said = f" (from {words})" if words else ""
    return (f'<div class="nd-note" role="status">Last question read as: {html.escape(reading.describe())}{said}. '
            "Untick \u201cRead dates in the question\u201d to ask without it.</div>")


def sources_html(turns: Sequence[tuple]) -> str:
    """Every turn's sources, newest first; older turns folded (a click on their [n] still opens them).
    A turn is (question, Answer) or (question, Answer, note) with the note of `filters_note`."""
    if not turns:
        return ('<div class="nd-sources-empty">Sources appear here: each answer sentence is quoted from one of them, '
                "and its [n] brings its card into view.</div>")
    parts = []
    for turn in range(len(turns), 0, -1):
        question, answer, *note = turns[turn - 1]
        section = _turn_html(question, answer, turn, note[0] if note else "")
        parts.append(section if turn == len(turns) else
                     f'<details class="nd-older"><summary>{e(question)}</summary>{section}</details>')
    return '<div class="nd-sources">' + "".join(parts) + "</div>"


def _turn_html(question: str, answer: Answer, turn: int, note: str = "") -> str:
    if note:
        head, cards = "No passages match the filters", f'<p class="nd-filtered">{e(note)}</p>'
    elif answer.abstained:
        head = "Closest passages (they do not answer the question)" if answer.hits else "No passages found"
        cards = "".join(hit_card_html(hit, turn) for hit in answer.hits)
    else:
        head = f"Sources ({len(answer.citations)})"
        cards = "".join(card_html(c, turn) for c in answer.citations)
    return (f'<section class="nd-turn"><h3 class="nd-turn-head">{e(head)}</h3>'
            f'<p class="nd-turn-q">{e(question)}</p>{cards}</section>')


def card_html(c: Citation, turn: int) -> str:
    """A citation card: linked title, outlet and date, the passage with the quoted sentences marked (a span
    that contradicts a claim of the answer marked as such)."""
    against = {(q.start - c.passage_start, q.end - c.passage_start) for q in c.quotes if q.contradicts}
    return _card(card_id(turn, c.n), f"[{c.n}]", c.title, c.url, c.outlet, c.date,
                 highlighted(c.passage, c.local_spans(), against=against), c.also)


def hit_card_html(hit: Hit, turn: int) -> str:
    return _card(f"nd-hit-{turn}-{hit.rank}", f"#{hit.rank}", hit.title, hit.url, hit.outlet, hit.date,
                 e(_clip(hit.text, 0, len(hit.text), CONTEXT_CHARS * 2)), hit.also_labels)


def _card(anchor: str, badge: str, title: str, url: str | None, outlet: str | None, date: str | None,
          passage_html: str, also: tuple[str, ...] = ()) -> str:
    """A source card; `also` names the story's other reports (syndicated copies shown once)."""
    link = safe_url(url)
    title_html = (f'<a href="{e(link)}" target="_blank" rel="noopener noreferrer nofollow">{e(title)}</a>'
                  if link else e(title))
    meta = " · ".join(e(p) for p in (outlet, date) if p)
    return (f'<article class="nd-card" id="{anchor}"><div class="nd-card-head"><span class="nd-badge">{e(badge)}</span>'
            f'<span class="nd-title">{title_html}</span></div>'
            + (f'<div class="nd-meta">{meta}</div>' if meta else "")
            + (f'<div class="nd-meta nd-also">{e(also_reported(also))}</div>' if also else "")
            + f'<blockquote class="nd-passage">{passage_html}</blockquote></article>')


def highlighted(passage: str, spans: Sequence[tuple[int, int]], context: int = CONTEXT_CHARS,
                against: set[tuple[int, int]] = frozenset()) -> str:
    """`passage` escaped, `spans` wrapped in <mark> (those in `against`, which contradict a claim, in
    <mark class="nd-against">), trimmed to `context` characters around them."""
    spans = sorted((max(0, s), min(len(passage), t)) for s, t in spans if t > s)
    if not spans:
        return e(_clip(passage, 0, len(passage), context * 2))
    lo, hi = _word_edge(passage, spans[0][0] - context, -1), _word_edge(passage, spans[-1][1] + context, 1)
    out = ["…" if lo > 0 else ""]
    pos = lo
    for s, t in spans:
        s = max(s, pos)
        tag = '<mark class="nd-against" title="says otherwise than the answer">' if (s, t) in against else "<mark>"
        out.append(e(passage[pos:s]) + f"{tag}{e(passage[s:t])}</mark>")
        pos = max(pos, t)
    out.append(e(passage[pos:hi]) + ("…" if hi < len(passage) else ""))
    return "".join(out)


def _word_edge(text: str, pos: int, direction: int) -> int:
    """`pos` clamped to the text and moved outward to a space, so no word is cut in half."""
    pos = min(max(pos, 0), len(text))
    while 0 < pos < len(text) and not text[pos].isspace():
        pos += direction
    return pos


def _clip(text: str, start: int, end: int, limit: int) -> str:
    text = text[start:end]
    if len(text) <= limit:
        return text
    return text[: _word_edge(text, limit, -1) or limit].rstrip() + "…"


def summary_html(s: CorpusSummary) -> str:
    """One line: documents, passages, outlets, the date span, when the index last changed, when each feed was read."""
    span = f"{s.date_from} – {s.date_to}" if s.date_from and s.date_to else "undated"
    updated = s.last_ingest.replace("T", " ").rstrip("Z") + " UTC" if s.last_ingest else "never"
    items = [f"<b>{s.documents:,}</b> articles", f"<b>{s.chunks:,}</b> passages", f"<b>{s.outlets:,}</b> outlets",
             f"published {e(span)}", f"last ingest {e(updated)}"]
    items += [f"feed {e(urlsplit(url).hostname or url)} " + (f"read {e(read.replace('T', ' ').rstrip('Z'))} UTC"
              if read else "not read yet") + (" (last read failed)" if error else "") for url, read, error in s.feeds]
    return '<div class="nd-summary">' + "".join(f"<span>{i}</span>" for i in items) + "</div>"


def status_html(message: str, ok: bool) -> str:
    return f'<div class="nd-status {"nd-ok" if ok else "nd-error"}">{e(message)}</div>'
