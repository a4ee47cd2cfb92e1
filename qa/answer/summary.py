"""Summaries: "Summarise what the articles say about X" and "What do the articles say about X?" get the
few key sentences about X from different articles and outlets, not the one best sentence.

`summary_subject` reads such a question and returns X (the answerer scores sentences against X alone,
and the retriever searches for it). `pick_summary` chooses up to SUMMARY_SENTENCES sentences by
maximal marginal relevance over a wider margin than an answer's: one sentence per article while other
articles still have one to give, a new outlet preferred, and a sentence that restates one already
picked dropped. The extractive answerer then cites them oldest article first (`qa.answer.cite`), each
named with its outlet and date. Nothing is generated; this module never retrieves nor embeds.
"""
from __future__ import annotations

import re
from typing import Callable, Sequence

SUMMARY_SENTENCES = 5  # enough for the main points of a few articles, short enough to read in a minute
SUMMARY_K = 10  # passages a summary searches: more articles and outlets to draw from
SUMMARY_MARGIN = 0.3  # sentences scoring within this of the best may enter a summary
RESTATES = 0.8  # a sentence this close (cosine) to one already picked says the same thing
NEW_OUTLET = 0.05  # what a sentence from an outlet not yet quoted gains

_WHO = r"(?:the\s+|these\s+|those\s+|my\s+|your\s+)?(?:articles?|sources?|reports?|outlets?|news(?:\s+(?:stories|articles|reports))?|coverage|press|media|papers?|documents?|stories)"
_SUMMARY = re.compile(
    rf"^\s*(?:please,?\s+)?(?:(?:can|could|would) you\s+)?(?:"
    rf"(?:summari[sz]e|sum up|give (?:me )?(?:a |an )?(?:summary|overview|rundown|recap) of)\s+(?:(?:what|everything)\s+{_WHO}\s+"
    rf"(?:say|said|says|report|reported|write|wrote)\s+(?:about|on|regarding)\s+|{_WHO}\s+(?:about|on|regarding)\s+|"
    rf"(?:the\s+)?(?:news|coverage|reporting)\s+(?:about|on|of|regarding)\s+)?"
    rf"|what\s+(?:do|did|does)\s+{_WHO}\s+(?:say|report|write|tell us)\s+(?:about|on|regarding)\s+"
    rf"|what\s+(?:is|was|are|were)\s+(?:being\s+)?(?:said|reported|written)\s+(?:about|on)\s+)"
    rf"(?P<subject>.+?)[\s?.!]*$", re.IGNORECASE | re.DOTALL)


def summary_subject(question: str) -> str | None:
    """X of "Summarise what the articles say about X" (and its other forms), or None for other questions."""
    m = _SUMMARY.match(question)
    if m is None:
        return None
    subject = re.sub(r"^(?:the\s+)?(?:topic|subject|issue|story)\s+of\s+", "", m.group("subject").strip(), flags=re.I)
    return subject if re.search(r"\w", subject) else None


def pick_summary(order: Sequence[int], scores, outlets: Sequence[str | None], articles: Sequence[str],
                 similarity: Callable[[int, int], float], redundant: Callable[[int, int], bool],
                 limit: int = SUMMARY_SENTENCES) -> list[int]:
    """Indexes (into the candidates) of a summary's sentences, from `order` (candidates best first, about X).
    `similarity(i, j)` is the cosine of two candidates; `redundant(i, j)` says they are copies."""
    best = float(scores[order[0]])
    pool = [i for i in order if scores[i] >= best - SUMMARY_MARGIN]
    picked = [pool.pop(0)]
    while pool and len(picked) < limit:
        pool = [i for i in pool if not any(redundant(i, j) or similarity(i, j) >= RESTATES for j in picked)]
        fresh = [i for i in pool if articles[i] not in {articles[j] for j in picked}]
        choices = fresh or pool  # a second sentence of one article only when no other article has one left
        if not choices:
            break
        quoted = {outlets[j] for j in picked}
        gain = [float(scores[i]) - 0.3 * max(similarity(i, j) for j in picked)
                + (NEW_OUTLET if outlets[i] not in quoted else 0.0) for i in choices]
        pick = choices[max(range(len(choices)), key=gain.__getitem__)]
        picked.append(pick)
        pool.remove(pick)
    return picked
