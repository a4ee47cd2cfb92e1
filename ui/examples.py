"""Example questions for the chat, read from the articles' own sentences.

A question is offered only where an article states its answer in a shape a
reader would ask about: "Sora, a new text-to-video AI model developed by
OpenAI" gives "What is Sora?" and "Who developed Sora?"; "Baidu: Known as
China's Google" gives "What is Baidu known for?"; "..., said Jane Roe" gives
"What did Jane Roe say?". Titles are never quoted (a scraped page's title can
be junk), and a name counts only where a full sentence uses it. This module
reads text it is given; it never touches the index or the model.
"""
from __future__ import annotations

import re
from typing import Iterable, Sequence

from index.chunk import split_sentences
from qa.retrieve.terms import STOPWORDS

_WORD = r"(?:[A-Z][\w&.-]*[\w&]|[A-Z])"
_NAME = rf"(?:{_WORD})(?:\s+(?:{_WORD}))*"  # "Sora", "City Brain", "OpenAI", "Jane Roe"
_PERSON = ("chief", "ceo", "president", "minister", "founder", "director", "professor", "analyst", "spokes",
           "head of", "executive", "chairman", "economist", "researcher", "scientist", "officer", "secretary")
_THING = ("model", "company", "startup", "platform", "app", "tool", "service", "device", "firm", "giant", "maker",
          "system", "chip", "project", "programme", "program", "agency", "bank", "brand", "network", "technology")
_DID = {"announced": "announce", "unveiled": "unveil", "launched": "launch", "released": "release",
        "introduced": "introduce", "acquired": "acquire", "bought": "buy", "invested in": "invest in"}
_FORMS: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(rf"(?P<name>{_NAME}),? (?:a|an)\b[^,.;]*?\b(?P<verb>developed|created|built|made|founded|launched)"
                r" by\b"), "Who {verb} {name}?"),
    (re.compile(rf"(?P<name>{_NAME}):?,? (?:is |was )?(?:[Bb]est |[Ww]idely |also )?[Kk]nown (?:as|for)\b"),
     "What is {name} known for?"),
    (re.compile(rf"(?P<name>{_NAME}), (?:(?:a|an|the) )?(?P<what>[^,.;]{{4,80}}?),"), "{who} is {name}?"),
    (re.compile(rf"(?P<name>{_NAME}) (?:has |have |had )?(?P<did>{'|'.join(_DID)})\b"), "What did {name} {did}?"),
    (re.compile(rf"\bsaid (?P<name>{_WORD} {_WORD})[,.]|(?P<name2>{_WORD} {_WORD}) said\b"), "What did {name} say?"),
)
_NOT_NAMES = frozenset("""best widely known the a an this that these those it its he she they we i in on at as by for from of to and but or
if when while with after before according however meanwhile also his her their our one some many most china us
monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
september october november december""".split())


def example_questions(articles: Iterable[tuple[str | None, str]], n: int = 4) -> list[str]:
    """Up to `n` questions from `articles` ((outlet, text), newest first): one per article while
    articles last, then the others' second questions."""
    per_article = [questions_from(text, outlet) for outlet, text in articles]
    picked: list[str] = []
    for round_ in range(max((len(q) for q in per_article), default=0)):
        for questions in per_article:
            if round_ < len(questions) and questions[round_] not in picked and len(picked) < n:
                picked.append(questions[round_])
    return picked


def questions_from(text: str, outlet: str | None = None) -> list[str]:
    """The questions `text` answers in its own sentences, best first, without repeats."""
    found: list[tuple[int, str]] = []
    for start, end in split_sentences(text):
        sentence = " ".join(text[start:end].split())
        if len(sentence.split()) < 8 or sentence[-1] not in ".!?\"'”’)":
            continue  # headings, captions and fragments state nothing to ask about
        for rank, (pattern, form) in enumerate(_FORMS):
            for m in pattern.finditer(sentence):
                question = _question(m, form, outlet, text)
                if question and question not in (q for _, q in found):
                    found.append((rank, question))
    return [q for _, q in sorted(found, key=lambda f: f[0])]  # stable: by form, then where the text says it


def _question(m: re.Match, form: str, outlet: str | None, text: str) -> str | None:
    name = _trim(m.group("name") if "name" in m.groupdict() and m.group("name") else m.group("name2"))
    if not name or len(name) < 3 or len(name.split()) > 3 or (outlet and name.lower() in outlet.lower()):
        return None
    if not re.search(rf"[\w,;:“”\"] {re.escape(name)}\b", text):
        return None  # capitalised only where a sentence starts ("Initially, ..."): not a name
    groups = m.groupdict()
    what = (groups.get("what") or "").lower()
    if "{who}" in form:
        who = "Who" if any(p in what for p in _PERSON) else "What" if any(t in what for t in _THING) else None
        if who is None:
            return None  # "X, a ... ," that is neither a person nor a thing a reader asks about
        return form.format(who=who, name=name)
    return form.format(name=name, verb=groups.get("verb") or "", did=_DID.get(groups.get("did") or "", ""))


def _trim(name: str | None) -> str:
    """The name without leading words that are not part of one ("The", "Then", "China's")."""
    words = (name or "").split()
    while words and (words[0].lower() in _NOT_NAMES or words[0].lower() in STOPWORDS
                     or words[0].lower().endswith(("'s", "’s"))):
        words = words[1:]
    return " ".join(words) if words and not any(w.lower() in STOPWORDS for w in words) else ""


def from_rows(rows: Sequence[tuple[str, str | None, str]], n: int = 4) -> list[str]:
    """`example_questions` over the store's (title, outlet, opening text) rows; titles are left out."""
    return example_questions(((outlet, text) for _title, outlet, text in rows), n)
