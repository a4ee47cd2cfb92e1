"""Questions in, cited passages out: the `Retriever` and its `Hit`s.

The retriever embeds the question with the same model the index was built with,
searches the index's two engine sides (index.engines: vectors and keywords, both
inside any metadata filter, whichever engines hold them), lets `qa.retrieve.hybrid`
fuse them per article with the question's news cues,
and joins each hit with its document's citation fields. It never writes to the index.
"""
from __future__ import annotations

import datetime as dt
import operator
import re
from pathlib import Path
from typing import Callable

from index.embed import Encoder
from index.errors import QueryError
from index.storage.layout import IndexDir
from index.document import Filters
from qa.config import Config, RankPlan, load_config
from qa.retrieve.cues import OutletMatcher, clauses, keywords, read_cues
from qa.retrieve.records import Hit
from qa.retrieve.gather import gather, overlaps
from qa.retrieve.hybrid import Ranked, rank
from qa.retrieve.recency import POOL, newest_first
from qa.retrieve.stories import by_story
from qa.retrieve.when import TimeReading, read_time

MAX_QUESTION_CHARS = 2000
MAX_K = 100
_SURROGATE = re.compile("[\ud800-\udfff]")


class Retriever:
    """Search an index: `Retriever.open("data/index").search("question", k=5)`."""

    def __init__(self, index: IndexDir, encoder: Encoder, plan: RankPlan | None = None) -> None:
        self.index = index
        self.encoder = encoder
        self.plan = plan or RankPlan()
        self._outlets: tuple[int, OutletMatcher] | None = None
        self._newest: tuple[int, str | None] | None = None

    @classmethod
    def open(cls, index_dir: str | Path | None = None, config: Config | None = None,
             per_story: int | None = None) -> "Retriever":
        """Open the index at `index_dir` (default: the config's) with the model it was built with; `per_story`
        overrides the config's (0: every syndicated copy shown as its own hit, see `qa.retrieve.stories`)."""
        config = (config or load_config()).with_overrides(per_story=per_story)
        encoder = config.encoder()
        index = IndexDir.open(index_dir or config.index_dir, encoder.model_id, config.index_settings().backend)
        return cls(index, encoder, config.rank_plan())

    def search(self, question: str, k: int = 5, filters: Filters | None = None,
               time: bool | TimeReading = True) -> list[Hit]:
        """The `k` passages most relevant to `question`, best first.

        `k` trades recall for reading: answers draw on at most these passages.
        `filters` (outlet, topic, date range) are applied inside both the vector and
        the keyword search. How passages are chosen is set by `self.plan` (see RankPlan).
        Time in the question is read (`read_time`) unless `time` is false: a date it bounds ("before
        October 20, 2023") narrows `filters`, "the latest" puts the newest articles about the subject first,
        and a question about the articles themselves ("What's new?") gets the newest ones. A caller that has
        read the time of this same question already (`read_time`) passes that reading as `time`.
        """
        question = validate_question(question)
        k = validate_k(k)
        if filters is not None and not isinstance(filters, Filters):
            raise QueryError(f"filters={filters!r} is not a Filters", "pass Filters(outlets=(...), date_from=...) or None")
        self.index.refresh()  # another process may have ingested since: see IndexDir.refresh
        reading = time if isinstance(time, TimeReading) else self.read_time(question) if time else TimeReading()
        filters = within(filters, reading)
        store = self.index.store
        matcher = self._outlet_matcher()
        text = (reading.subject or question) if reading else question
        if reading and not keywords(reading.subject):  # "What's new?": the articles themselves, newest first
            ranked = lambda n: [Ranked(c, d, 0.0) for c, d in store.newest_chunks(n, filters)]  # noqa: E731
        else:
            ranked = self._ranker(text, filters, matcher)
        # a story shown once, with its other reports (qa.retrieve.stories); "the latest" reorders a deeper pool
        found, stories = by_story(ranked, max(k, POOL) if reading.recency else k, store, self.plan.per_story)
        if reading.recency and reading.subject:
            rows = store.chunks([r.chunk_id for r in found])
            facts = {row.doc_id: (row.title, row.published and row.published[:10]) for row in rows.values()}
            found = newest_first(found, text, facts, k)
        rows = store.chunks([r.chunk_id for r in found])
        hits = []
        for chunk_id, score in ((r.chunk_id, r.score) for r in found):
            row = rows.get(chunk_id)
            if row is not None:
                hits.append(Hit(len(hits) + 1, score, chunk_id, row.doc_id, row.text, row.start, row.end, row.title,
                                row.outlet, row.published, row.url, row.source, row.kind, row.topics,
                                *stories.get(row.doc_id, (None, ()))))
        return hits

    def read_time(self, question: str) -> TimeReading:
        """What `question` says about time (qa.retrieve.when), relative words read against the plan's `now`:
        by default the newest publication date in the index."""
        matcher = self._outlet_matcher()
        return read_time(question, self.now(), len(matcher.find(question)))

    def now(self) -> str:
        """The date "latest", "yesterday" and "this week" are read against (RankPlan.now)."""
        if self.plan.now == "today":
            return dt.date.today().isoformat()
        if self.plan.now != "index":
            return self.plan.now
        generation = self.index.generation
        if self._newest is None or self._newest[0] != generation:
            self._newest = (generation, self.index.store.newest_date())
        return self._newest[1] or dt.date.today().isoformat()

    def _ranker(self, text: str, filters: Filters | None, matcher: OutletMatcher) -> Callable[[int], list[Ranked]]:
        """The ranker for `text` asked for n passages: the engines are searched once, here (qa.retrieve.gather),
        and each call only fuses (qa.retrieve.hybrid.rank)."""
        plan = self.plan
        engines = self.index.engines  # local FAISS + tantivy/FTS5, or one Milvus collection: the same two sides
        cues = read_cues(text, matcher)
        parts = clauses(text, matcher) if plan.clause_weight > 0 else ()
        parts = parts if len(parts) > 1 else ()
        keyword = engines.keywords(plan.keyword_engine) if plan.mode != "dense" else None
        dense = engines.dense() if plan.mode != "keyword" else None
        evidence = gather(text, plan, self.index.store, self.encoder.encode_query, dense, keyword, cues, parts, filters,
                          overlaps(self.encoder))
        return lambda n: rank(n, plan, evidence, cues, parts)

    def _outlet_matcher(self) -> OutletMatcher:
        """Matcher of the outlets stored now; rebuilt when an ingest has changed the index."""
        generation = self.index.generation
        if self._outlets is None or self._outlets[0] != generation:
            self._outlets = (generation, OutletMatcher(self.index.store.outlet_names()))
        return self._outlets[1]

    def close(self) -> None:
        self.index.close()


def within(filters: Filters | None, reading: TimeReading) -> Filters | None:
    """The user's `filters` narrowed to the dates the question bounds ("before October 20, 2023")."""
    if not reading.bounded:
        return filters
    base = filters or Filters()
    since = max(d for d in (base.date_from, reading.since) if d) if base.date_from or reading.since else None
    until = min(d for d in (base.date_to, reading.until) if d) if base.date_to or reading.until else None
    if since and until and since > until:
        raise QueryError(f"the question asks for articles {reading.describe().split(', ')[0]}, outside the dates set "
                         f"({base.date_from or '...'} to {base.date_to or '...'})",
                         "widen or clear the since/until dates, or ask about another time")
    return Filters(base.outlets, base.topics, since, until)


def validate_k(k: object) -> int:
    """`k` as an int between 1 and MAX_K, or a QueryError naming the bad value."""
    try:
        if isinstance(k, bool):
            raise TypeError
        k = operator.index(k)  # an int, or an integer type such as numpy's
    except TypeError:
        raise QueryError(f"k={k!r} is not a whole number", f"pass k as an int between 1 and {MAX_K}, e.g. k=5") from None
    if not 1 <= k <= MAX_K:
        raise QueryError(f"k={k} is out of range", f"use a k between 1 and {MAX_K}")
    return k


def validate_question(question: str) -> str:
    """The stripped question, or a QueryError saying what is wrong with it."""
    if isinstance(question, (bytes, bytearray)):
        raise QueryError("the question is bytes, not text", "decode it first, e.g. question.decode('utf-8')")
    if question is not None and not isinstance(question, str):
        raise QueryError(f"the question is a {type(question).__name__}, not text", "pass the question as a str")
    if not question or not question.strip():
        raise QueryError("the question is empty", "type a question about the indexed articles")
    if _SURROGATE.search(question):
        raise QueryError("the question holds a byte that is not UTF-8 text (a lone surrogate)",
                         "re-type the question, or decode its bytes as UTF-8 with errors='replace'")
    question = question.strip()
    if len(question) > MAX_QUESTION_CHARS:
        raise QueryError(f"the question is {len(question):,} characters long, the limit is {MAX_QUESTION_CHARS:,}",
                         "ask a shorter question")
    return question
