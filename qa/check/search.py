"""A claim checked against the index: retrieve the passages it is about, check it, cite what decided it.

`check_in_index(claim, retriever, filters, k)` searches with the claim itself (the same ranking and
filters as a question), checks it with `check_claim`, and returns a `FactCheck`: the verdict, reason
and quotes, with each quoted passage as a numbered citation (title, outlet, date, url) and each
quote's offsets in its article. This is what `newsdesk check` prints and the chat shows for "Is it
true that ...?". It never writes the index.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from index.document import Filters
from qa.check.claim import ClaimCheck, check_claim
from qa.retrieve.records import Hit
from qa.retrieve.retriever import Retriever, validate_question


@dataclass(frozen=True, slots=True)
class FactCheck:
    """A claim's check and the passages it was checked against (`check.quotes[i].passage` indexes `hits`)."""

    check: ClaimCheck
    hits: tuple[Hit, ...]

    def cited(self) -> list[Hit]:
        """The passages the quotes come from, in the order of their first quote ([1], [2], ...)."""
        return [self.hits[p] for p in dict.fromkeys(q.passage for q in self.check.quotes)]

    def to_dict(self) -> dict[str, Any]:
        """One JSON-ready object: claim, verdict, reason, quotes (with [n] and article offsets), citations."""
        cited = self.cited()
        number = {id(h): n for n, h in enumerate(cited, start=1)}
        quotes = [{"n": number[id(self.hits[q.passage])], "text": q.text,
                   "start": self.hits[q.passage].start + q.start, "end": self.hits[q.passage].start + q.end}
                  for q in self.check.quotes]
        citations = [{"n": n, "doc_id": h.doc_id, "title": h.title, "outlet": h.outlet, "date": h.date,
                      "url": h.url, "label": h.citation} for n, h in enumerate(cited, start=1)]
        return {"claim": self.check.claim, "verdict": self.check.verdict, "reason": self.check.reason,
                "quotes": quotes, "citations": citations}


def check_in_index(claim: str, retriever: Retriever, filters: Filters | None = None, k: int = 5) -> FactCheck:
    """Check `claim` against the `k` passages the index finds for it (`k`: more passages find a fact
    reported in fewer words elsewhere, and each costs a few ms of parsing)."""
    claim = validate_question(claim)
    hits = retriever.search(claim, k=k, filters=filters)
    return FactCheck(check_claim(claim, hits), tuple(hits))
