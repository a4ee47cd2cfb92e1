"""Questions to ranked, citable passages.

`retriever` holds `Retriever` and `Hit`; `hybrid` the ranking (dense and keyword
candidates fused per article, clause coverage); `cues` what a question names
(outlets, dates, clauses); `terms` content words and stop words; `filters` user
values checked into `Filters`. Nothing here composes answers.
"""
from index.document import Filters
from qa.retrieve.retriever import Retriever, validate_question
from qa.retrieve.records import Hit

__all__ = ["Filters", "Hit", "Retriever", "validate_question"]
