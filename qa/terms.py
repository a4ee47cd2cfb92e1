"""Content words of a text, for keyword overlap between a question and a sentence.

Deliberately crude (lower-casing, a stop-word list, a plural/verb-ending trim):
it only has to tell "Tencent" and "chips" apart from "what", "about" and "the".
This module knows nothing about the index or the model.
"""
from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")

STOPWORDS = frozenset("""
a about above according across after again against all also am among an and any are aren't as at be because been
before being below between both but by can could did do does doing done down during each either else ever every
few for from further had has have having he her here hers herself him himself his how i if in into is isn't it
it's its itself just least less let like made make many may me might more most much must my myself near neither
no nor not now of off often on once one only or other others our ours ourselves out over own per perhaps please
rather really same say said says shall she should since so some such tell than that that's the their theirs them
themselves then there there's these they they're this those though through thus to too toward towards under
until up upon us use used using very via was wasn't we were weren't what what's whatever when where whether which
while who whom whose why will with within without would yes yet you your yours yourself yourselves
article articles report reported reports news according mention mentioned mentions
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
