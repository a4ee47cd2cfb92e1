"""The ranking settings (`RankPlan`), checked on construction: what `qa.retrieve.hybrid` ranks by.

Part of the config (qa.config builds one from a `Config`); it imports nothing of qa/.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from index.errors import ConfigError

MODES = ("hybrid", "dense", "keyword")


@dataclass(frozen=True, slots=True)
class RankPlan:
    """Ranking settings, each with what it trades (defaults chosen on the MultiHop-RAG dev set).

    mode:          "hybrid" (both signals), "dense" (vectors only) or "keyword" (BM25 only).
    candidates:    passages fetched from each side before fusion: more finds articles that rank
                   low on one side, at a small cost in latency (BM25 and the join grow with it;
                   on the dev set 300 against 200: MRR@10 +0.1 points with tantivy).
    dense_weight:  share of the dense score in an article's fused score (keyword gets the rest):
                   higher helps paraphrased questions, lower helps questions full of names and figures.
    outlet_boost:  added to articles from an outlet the question names: helps "as reported by X";
                   too high lets any article from X beat the right article from elsewhere.
    date_boost:    added to articles published on a day the question names ("on November 9, 2023").
    month_boost:   added to articles published in a month the question names ("in October 2023").
    per_article:   passages of one article before the next article is shown: 1 covers the most
                   articles in the top k (best recall for multi-article questions); more gives an
                   answer more context from the top article.
    title_weight:  BM25 weight of a match in the title, relative to the passage text (FTS5 reads it
                   per query; tantivy has the default, 2, built in: the title is indexed twice).
    meta_weight:   BM25 weight of a match in the outlet/author/date line (likewise; tantivy: 1).
    clause_weight: share of the ranking given to covering every part of a multi-part question
                   (each part searched on its own, see `_cover`): higher brings an article for
                   each clause into the top k, at some cost to the rank of the single best
                   article (MRR); 0 turns part searches off. A plain question has one part and is
                   ranked the same either way. Each part costs one more BM25 query.
    clause_candidates: BM25 passages fetched per part (fewer than for the question: only the best
                   few articles of a part matter; 100 measured +0.1 points of recall@10 over 50). Parts are searched by keyword only: embedding
                   each clause doubled latency and measured slightly worse.
    outlet_aspects: when the question names two or more outlets, treat each as a part to cover,
                   so the best article of every named outlet gets a place.
    keyword_engine: "tantivy" or "fts5" (see Config), or None for the one the index was written with.
    now:           the date "latest", "yesterday", "this week" and dates without a year are read against:
                   "index" (the newest publication date in the index: an archive's latest is its newest
                   article), "today" (the clock) or a date YYYY-MM-DD.
    per_story:     documents shown of one story (syndicated copies grouped at ingest): 1 shows a story
                   once, its other outlets named on the hit ("also reported by"), leaving room for other
                   articles; 0 shows every copy as its own hit.
    """

    mode: str = "hybrid"
    candidates: int = 300
    dense_weight: float = 0.3
    outlet_boost: float = 0.4
    date_boost: float = 0.2
    month_boost: float = 0.05
    per_article: int = 1
    title_weight: float = 2.0
    meta_weight: float = 1.0
    clause_weight: float = 0.65
    clause_candidates: int = 100
    outlet_aspects: bool = True
    keyword_engine: str | None = None
    now: str = "index"
    per_story: int = 1

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"search mode {self.mode!r} is not one of {', '.join(MODES)}", "use search_mode: hybrid")
        if not 0.0 <= self.dense_weight <= 1.0:
            raise ConfigError(f"dense_weight {self.dense_weight} is outside 0..1", "use a share such as 0.3")
        if not 0.0 <= self.clause_weight <= 1.0:
            raise ConfigError(f"clause_weight {self.clause_weight} is outside 0..1", "use a share such as 0.65")
        if not is_now(self.now):
            raise ConfigError(f"now: {self.now!r} is not index, today or a date", "use now: index, now: today or now: 2023-12-25")
        if isinstance(self.per_story, bool) or not isinstance(self.per_story, int) or self.per_story < 0:
            raise ConfigError(f"per_story={self.per_story!r} is not a whole number of at least 0",
                              "use per_story: 1 (a story once) or 0 (every copy)")
        if self.candidates < 1 or self.per_article < 1:
            raise ConfigError(f"candidates={self.candidates} and per_article={self.per_article} must be at least 1",
                              "use candidates: 300, per_article: 1")

    @property
    def dense_share(self) -> float:
        """The dense score's share of a fused score in this mode: `dense_weight` in hybrid, all or nothing else."""
        return self.dense_weight if self.mode == "hybrid" else (1.0 if self.mode == "dense" else 0.0)


def is_now(value: object) -> bool:
    """Whether `value` is a valid `now`: "index", "today" or an ISO date YYYY-MM-DD."""
    if value in ("index", "today"):
        return True
    try:
        return isinstance(value, str) and len(value) == 10 and dt.date.fromisoformat(value).isoformat() == value
    except ValueError:
        return False
