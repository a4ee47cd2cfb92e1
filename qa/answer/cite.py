"""Citations of quoted sentences: the picked sentences grouped by passage, numbered, and in reading order.

Overlapping passages of one document merge into one citation; every quote is a verbatim span of its
passage, so a citation can always be traced back and highlighted. This module must not pick sentences.
"""
from __future__ import annotations

from qa.answer.records import Citation, Quote
from qa.retrieve.records import Hit


def hit_citation(n: int, hit: Hit, quotes: tuple[Quote, ...]) -> Citation:
    """Source [n]: the whole passage of `hit` with `quotes` in it, and the story's other reports."""
    return Citation(n, hit.doc_id, hit.title, hit.outlet, hit.date, hit.url, hit.text, hit.start, hit.end, quotes,
                    round(hit.score, 4), hit.also_labels)


def cite(picked: list, by_date: bool = False) -> tuple[tuple[Citation, ...], list]:
    """Group the picked (sentence, score) pairs by passage (merging overlapping passages of one document),
    number the passages by their best sentence, and order sentences by passage, then best first (an added
    antecedent shares its sentence's score, so it comes right before it). `by_date` (a summary) numbers
    the passages oldest article first and keeps each passage's sentences in the article's order, so the
    quotes read as the story went. Returns the citations and the (sentence, n) pairs in order."""
    scores = {sentence.doc_span: score for sentence, score in picked}
    groups: list[dict] = []
    for sentence, score in sorted(picked, key=lambda p: -p[1]):
        hit = sentence.hit
        group = next((g for g in groups if g["doc_id"] == hit.doc_id
                      and hit.start <= g["end"] and g["start"] <= hit.end), None)
        if group is None:
            group = {"doc_id": hit.doc_id, "hit": hit, "start": hit.start, "end": hit.end, "text": hit.text,
                     "sentences": [], "score": score}
            groups.append(group)
        elif hit.start != group["start"] or hit.end != group["end"]:
            _merge(group, hit)
        group["sentences"].append(sentence)
    if by_date:
        groups.sort(key=lambda g: g["hit"].date or "")  # stable: undated and same-day passages best first
    citations, ordered = [], []
    for n, g in enumerate(groups, start=1):
        sentences = sorted(g["sentences"], key=lambda s: (0 if by_date else -scores[s.doc_span], s.doc_span[1]))
        quotes = tuple(Quote(s.text, s.doc_span[1], s.doc_span[2]) for s in sentences)
        hit = g["hit"]
        citations.append(Citation(n, hit.doc_id, hit.title, hit.outlet, hit.date, hit.url, g["text"], g["start"],
                                  g["end"], quotes, round(g["score"], 4), hit.also_labels))
        ordered += [(s, n) for s in sentences]
    return tuple(citations), ordered


def _merge(group: dict, hit: Hit) -> None:
    """Widen a group's passage to cover an overlapping passage of the same document."""
    start, end = min(group["start"], hit.start), max(group["end"], hit.end)
    text = [" "] * (end - start)
    for s, t in ((group["start"], group["text"]), (hit.start, hit.text)):
        text[s - start : s - start + len(t)] = t
    group.update(start=start, end=end, text="".join(text))
