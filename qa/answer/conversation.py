"""Follow-up questions: turning "And what about Tencent?" into a question that stands alone.

The conversation is the usual chat message list ({"role": "user"|"assistant",
"content": ...}); only the user's turns matter here. A follow-up (it opens with
"and", "what about", ... or leans on "it"/"they" without naming anything) is
resolved against the previous resolved question: names it brings replace the
closest names of that question ("Baidu" -> "Tencent"), otherwise it is appended
to it. No model generates text here; `similarity` (an embedding cosine, when
given) only picks which old name a new one replaces.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

from qa.retrieve.terms import STOPWORDS, content_terms

_LEAD_IN = re.compile(
    r"^\s*(?:(?:and|but|also|ok(?:ay)?)\b[\s,]*)*(?:(?:what|how)\s+about|what\s+of|same\s+for|and)?\b[\s,:]*",
    re.IGNORECASE)
_BACK_REFERENCE = frozenset("it its they them their theirs this that these those he she him her his there".split())
_NAME = re.compile(r"\b[A-Z](?:[\w&-]|\.(?=\w))*(?:['’]s)?")

Similarity = Callable[[str, Sequence[str]], Sequence[float]]  # (new name, old names) -> one score per old name


@dataclass(frozen=True, slots=True)
class Query:
    """What to search for: `text` stands alone; `focus` are the content terms the user just typed,
    which weigh more when sentences are picked (the new "Tencent" beats the inherited "AI")."""

    text: str
    focus: tuple[str, ...]
    asked: str  # the question as the user typed it
    follow_up: bool = False


def user_turns(history: Iterable[Mapping[str, Any]] | None) -> list[str]:
    """The text of each user message of a chat history (content as a string or a list of text parts)."""
    turns = []
    for message in history or ():
        if message.get("role") != "user":
            continue
        text = message_text(message.get("content"))
        if text.strip():
            turns.append(text.strip())
    return turns


def message_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, Mapping):
        return str(content.get("text") or "")
    if isinstance(content, (list, tuple)):
        return " ".join(message_text(part) for part in content)
    return ""


def resolve(question: str, history: Iterable[Mapping[str, Any]] | None = None,
            similarity: Similarity | None = None) -> Query:
    """The standalone query for `question` asked after the user turns of `history`."""
    previous: str | None = None
    for turn in user_turns(history):
        previous = _resolve_one(turn, previous, similarity)
    text = _resolve_one(question, previous, similarity)
    own = _strip_lead_in(question) or question
    return Query(text, tuple(content_terms(own)), question, text != question)


def is_follow_up(question: str) -> bool:
    """Opens with a lead-in ("And what about ...") or points back ("it", "they") without naming anything."""
    lead = _LEAD_IN.match(question)
    if lead and lead.group().strip():
        return True
    words = {w.lower() for w in re.findall(r"\w+", question)}
    return bool(words & _BACK_REFERENCE) and not _names(question)


def _resolve_one(question: str, previous: str | None, similarity: Similarity | None) -> str:
    if previous is None or not is_follow_up(question):
        return question
    rest = _strip_lead_in(question)
    led = _LEAD_IN.match(question).group().strip() != ""  # then the first word of `rest` is a name, not a capital
    new = [n for n in _names(rest, skip_first=not led) if n.lower() not in previous.lower()]
    if not new:
        return f"{previous} {rest}".strip()
    old = [n for n in _names(previous) if n.lower() not in rest.lower()]
    text = previous
    for name in new:
        if not old:
            break
        target = _closest(name, old, similarity)
        old.remove(target)
        text = re.sub(rf"(?<!\w){re.escape(target)}(?!\w)", name, text)
    leftover = " ".join(w for w in re.findall(r"[\w'’-]+", rest) if _bare(w) not in new and w.lower() not in STOPWORDS)
    return f"{text} {leftover}".strip() if leftover else text


def _strip_lead_in(question: str) -> str:
    lead = _LEAD_IN.match(question)
    rest = question[lead.end():] if lead else question
    return rest.strip().rstrip("?").strip()


def _names(text: str, skip_first: bool = True) -> list[str]:
    """Capitalised words (without a possessive 's) that are not stop words nor, with `skip_first`,
    the first word of a sentence."""
    found: dict[str, None] = {}
    for match in _NAME.finditer(text):
        word = match.group()
        first = not text[: match.start()].strip() or text[: match.start()].rstrip()[-1:] in ".!?"
        if not (first and skip_first) and _bare(word).lower() not in STOPWORDS:
            found.setdefault(_bare(word), None)
    return list(found)


def _bare(word: str) -> str:
    return re.sub(r"['’]s$", "", word)


def _closest(name: str, old: list[str], similarity: Similarity | None) -> str:
    """The old name `name` most likely replaces: one of the same shape (acronym for acronym: "EU" replaces
    "US", "Tencent" replaces "Baidu" rather than "AI"), the most similar of those, else the last."""
    same = [o for o in old if o.isupper() == name.isupper()] or old
    if similarity is not None and len(same) > 1:
        scores = list(similarity(name, same))
        return same[max(range(len(same)), key=scores.__getitem__)]
    return same[-1]
