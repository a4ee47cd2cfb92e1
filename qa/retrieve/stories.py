"""A story shown once: the ranked passages collapsed by story, each with its other reports.

Syndicated copies are grouped into stories at ingest (index.storage.stories). Search shows at
most `per_story` documents of a story (RankPlan.per_story, 1 by default; 0 shows every copy):
the best-ranked passage of the story, the other documents of the story named on its hit
("also reported by Outlet (date), ..."). To still return `k` hits the ranker is asked for more
and asked again, wider, while collapsing leaves fewer than `k`. An index without any story of
two documents (or written before stories) is ranked exactly as before.
"""
from __future__ import annotations

from typing import Callable

from index.storage.store import Store
from index.storage.stories import Report
from qa.retrieve.hybrid import Ranked

WIDEN = 3  # the ranker is asked for WIDEN * k passages, then WIDEN times more while that is not enough
MAX_ASKED = 1000

StoryOf = dict[str, tuple[str | None, tuple[Report, ...]]]  # doc_id -> (story id, its other reports)
_shared: dict[tuple[str, str], bool] = {}  # (store path, generation/format) -> any story of two documents


def by_story(ranked: Callable[[int], list[Ranked]], k: int, store: Store, per_story: int) -> tuple[list[Ranked], StoryOf]:
    """The best `k` passages of `ranked(n)` (the ranker, asked for `n` passages), at most `per_story`
    documents per story (0: no limit), and for each hit's document its story and its story's other reports."""
    if per_story < 1 or not _any_shared(store):
        found = ranked(k)
        stories = store.stories.story_of(list(dict.fromkeys(r.doc_id for r in found)))
        return found, {d: (s, ()) for d, s in stories.items()}
    asked = min(MAX_ASKED, WIDEN * k)
    while True:
        found = ranked(asked)
        kept, shown = _collapse(found, store.stories.story_of(list(dict.fromkeys(r.doc_id for r in found))), k,
                                per_story)
        if len(kept) >= k or len(found) < asked or asked >= MAX_ASKED:
            break
        asked = min(MAX_ASKED, asked * WIDEN)
    members = store.stories.members(list({s for s, _ in shown.values()}))
    out: StoryOf = {}
    for doc_id, (story, docs) in shown.items():
        out[doc_id] = (story, tuple(r for r in members.get(story, ()) if r.doc_id not in docs))
    return kept, out


def _collapse(found: list[Ranked], story: dict[str, str], k: int, per_story: int):
    kept: list[Ranked] = []
    docs: dict[str, list[str]] = {}  # story -> its documents shown, best first
    for r in found:
        s = story.get(r.doc_id, r.doc_id)
        shown = docs.setdefault(s, [])
        if r.doc_id not in shown:
            if len(shown) >= per_story:
                continue
            shown.append(r.doc_id)
        kept.append(r)
        if len(kept) == k:
            break
    return kept, {d: (s, set(ds)) for s, ds in docs.items() for d in ds}


def _any_shared(store: Store) -> bool:
    meta = store.meta()  # a format upgrade fills the stories without a new generation
    key = (str(store.path), meta.get("generation", "0") + "/" + meta.get("format_version", ""))
    if key not in _shared:
        _shared.clear()  # only the index now served matters
        _shared[key] = store.stories.any_shared()
    return _shared[key]
