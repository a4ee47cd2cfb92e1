"""What retrieval returns: a `Hit`, one cited passage (its text, exact span and its article's citation fields).

A record only: the retriever (qa.retrieve.retriever) makes them, answers and interfaces read them.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Hit:
    """One retrieved passage with everything needed to cite and highlight it.

    `text == document.text[start:end]` for the stored document `doc_id`. `score`
    is its article's fused relevance (about 0..1, plus cue boosts): comparable
    within one search, not across searches.
    """

    rank: int
    score: float
    chunk_id: int
    doc_id: str
    text: str
    start: int
    end: int
    title: str
    outlet: str | None
    published: str | None
    url: str | None
    source: str
    kind: str = "article"
    topics: tuple[str, ...] = ()

    @property
    def date(self) -> str | None:
        return self.published[:10] if self.published else None

    @property
    def citation(self) -> str:
        """`"Title", Outlet, 2024-02-21, https://...` (missing parts left out)."""
        parts = [f'"{self.title}"'] + [p for p in (self.outlet, self.date, self.url or self.source) if p]
        return ", ".join(parts)
