"""What retrieval returns: a `Hit`, one cited passage (its text, exact span and its article's citation fields).

A record only: the retriever (qa.retrieve.retriever) makes them, answers and interfaces read them.
"""
from __future__ import annotations

from dataclasses import dataclass

from index.storage.stories import Report


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
    story: str | None = None  # the story (syndicated copies grouped at ingest, index.storage.stories) it belongs to
    also: tuple[Report, ...] = ()  # the story's other documents, canonical first, when search shows it once

    @property
    def date(self) -> str | None:
        return self.published[:10] if self.published else None

    @property
    def also_labels(self) -> tuple[str, ...]:
        """`Outlet (2023-09-27)` for each other report of the story."""
        return tuple(r.label for r in self.also)

    @property
    def also_reported(self) -> str:
        """`also reported by Outlet (2023-09-27), ...`, or "" when the story has no other document shown."""
        return also_reported(self.also_labels)

    @property
    def citation(self) -> str:
        """`"Title", Outlet, 2024-02-21, https://...; also reported by ...` (missing parts left out)."""
        parts = [f'"{self.title}"'] + [p for p in (self.outlet, self.date, self.url or self.source) if p]
        return ", ".join(parts) + (f"; {self.also_reported}" if self.also else "")


def also_reported(labels: tuple[str, ...]) -> str:
    """`also reported by A (date), B (date)`, or "" for none: what a citation and a source card say."""
    return "also reported by " + ", ".join(labels) if labels else ""
