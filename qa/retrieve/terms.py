"""Content words of a text, for keyword overlap between a question and a sentence, and the stop-word lists.

Deliberately crude (lower-casing, a stop-word list, a plural/verb-ending trim):
it only has to tell "Tencent" and "chips" apart from "what", "about" and "the".
This module knows nothing about the index or the model.
"""
from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")

# Words that carry no topic in a search: dropping them keeps the keyword query short (fast) and its BM25 scores
# clean (qa.retrieve.cues.keywords). It keeps "may" and "us", which a news question may mean as May and the US.
QUERY_STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below between both
but by can could did do does doing down during each either few for from further had has have having he her here hers
him his how i if in into is it its itself just me more most my no nor not now of off on once only or other our ours out
over own same she should so some such than that the their theirs them then there these they this those through to too
under until up very was we were what when where which while who whom whose why will with would you your yours
according article articles report reports reported reporting published news source sources mentioned
""".split())

# For sentence overlap (answers, follow-up questions) common verbs and quantifiers count as noise too. Adding
# these to the search list measured neutral on the dev set (recall@5 -0.07 points), so search keeps the shorter one.
STOPWORDS = QUERY_STOPWORDS | frozenset("""
across among aren't done else ever every herself himself isn't it's least less let like made make many may
mention mentions might much must myself near neither often one others ourselves per perhaps please rather really
said say says shall since tell that's themselves there's they're though thus toward towards upon us use used
using via wasn't weren't what's whatever whether within without yes yet yourself yourselves
""".split())


def words(text: str) -> list[str]:
    """Every word of `text`, lower-cased, in order."""
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


def stem(word: str) -> str:
    """A light suffix trim so "chips"/"chip" and "investing"/"invest" meet."""
    for suffix in ("'s", "ies", "ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            return base + "y" if suffix == "ies" else base
    return word


def content_terms(text: str) -> list[str]:
    """The stemmed content words of `text`, first occurrence order, without repeats."""
    seen: dict[str, None] = {}
    for word in words(text):
        if word not in STOPWORDS and (len(word) > 1 or word.isdigit()):
            seen.setdefault(stem(word), None)
    return list(seen)


def capitalised_terms(text: str) -> list[str]:
    """Stemmed words written with a capital inside a sentence: the names a question is about.

    The first word of each sentence is skipped, since it is capitalised anyway.
    """
    out: dict[str, None] = {}
    for sentence in re.split(r"(?<=[.!?])\s+", text.strip()):
        for n, match in enumerate(_WORD.finditer(sentence)):
            word = match.group()
            if n and word[:1].isupper() and word.lower() not in STOPWORDS:
                out.setdefault(stem(word.lower()), None)
    return list(out)
