"""Follow-up questions: turning "And what about Tencent?" into a question that stands alone.

The conversation is the usual chat message list ({"role": "user"|"assistant",
"content": ...}); only the user's turns matter here. A follow-up (it opens with
"and", "what about", ..., is a bare "why?", or leans on "it"/"that" without
naming anything) is resolved against the previous resolved question:

- a name it brings replaces the matching name of that question, a whole name
  with what the name owns ("Baidu" after "Alibaba's City Brain" replaces both:
  Baidu has no City Brain), never one word of a longer name;
- a date it brings ("what about in 2023?") replaces that question's date, or is added;
- a bare question word ("why?") takes the place of the old one ("What does ..." -> "Why does ...");
- anything else is appended to the previous question.

No model generates text here; `similarity` (an embedding cosine, when given)
only picks which old name a new one replaces.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

from qa.retrieve.terms import STOPWORDS, content_terms
from qa.retrieve.when import TimeReading

_LEAD_IN = re.compile(
    r"^\s*(?:(?:and|but|also|ok(?:ay)?)\b[\s,]*)*(?:(?:what|how)\s+about|what\s+of|same\s+for|and)?\b[\s,:]*",
    re.IGNORECASE)
_BACK_REFERENCE = frozenset("it its they them their theirs this that these those he she him her his there".split())
_WH = frozenset("what which who whom whose why when where how".split())
_AUX = frozenset("is are was were do does did has have had can could will would should may might".split())
_BARE_EXTRA = frozenset("so come exactly then again".split())  # "how so?", "how come?", "why exactly?"
_MONTHS = ("january february march april may june july august september october november december "
           "jan feb mar apr jun jul aug sep sept oct nov dec").split()
_DAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
_MONTH = r"(?:" + "|".join(m.capitalize() for m in _MONTHS) + r")\.?"
# A date a question can name: "in 2023", "in March 2024", "on March 6, 2024", "since 2024-03-06", "in March".
_DATE = re.compile(
    rf"\b(?:(?:in|on|during|since|before|after|by|from|until)\s+)?"
    rf"(?:\d{{4}}-\d{{2}}(?:-\d{{2}})?|(?:{_MONTH}\s+(?:\d{{1,2}}(?:st|nd|rd|th)?,?\s+)?)?(?:19|20)\d{{2}}"
    rf"|(?<=in\s){_MONTH}|\b(?:in|on)\s+{_MONTH})\b")
# One name: capitalised words in a row ("City Brain", "China Daily", "OpenAI"), acronyms, "U.S.".
_WORD = r"[A-Z](?:[\w&-]|\.(?=\w))*(?:['’]s\b)?"
_NAME = re.compile(rf"{_WORD}(?:\s+{_WORD})*")

Similarity = Callable[[str, Sequence[str]], Sequence[float]]  # (new name, old names) -> one score per old name


@dataclass(frozen=True, slots=True)
class Query:
    """What to search for: `text` stands alone; `focus` are the content terms the user just typed,
    which weigh more when sentences are picked (the new "Tencent" beats the inherited "AI")."""

    text: str
    focus: tuple[str, ...]
    asked: str  # the question as the user typed it
    follow_up: bool = False
    time: TimeReading | None = None  # what `text` says about time, once the retriever has read it


@dataclass(frozen=True, slots=True)
class _Name:
    """A name at `text[start:end]`; `head` is the name itself, the span may go on over what it owns
    ("Alibaba's City Brain": head "Alibaba")."""

    start: int
    end: int
    head: str


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
    """Opens with a lead-in ("And what about ..."), is a bare question word ("Why?"), or points back
    ("it", "that") without naming anything."""
    lead = _LEAD_IN.match(question)
    if lead and lead.group().strip():
        return True
    words = [w.lower() for w in re.findall(r"\w+", question)]
    if words and words[0] in _WH and all(w in _WH | _AUX | _BACK_REFERENCE | _BARE_EXTRA for w in words):
        return True
    return bool(set(words) & _BACK_REFERENCE) and not _names(question)


def _resolve_one(question: str, previous: str | None, similarity: Similarity | None) -> str:
    if previous is None or not is_follow_up(question):
        return question
    rest = _strip_lead_in(question)
    led = _LEAD_IN.match(question).group().strip() != ""  # then the first word of `rest` is a name, not a capital
    dates = [m for m in _DATE.finditer(rest)]
    undated = _DATE.sub(" ", rest)
    new = [n for n in _names(undated, skip_first=not led) if n.head.lower() not in previous.lower()]
    wh = _bare_question_word(rest)
    if not new and not dates:
        if wh and _opens_with_wh_and_aux(previous):
            return wh.capitalize() + previous[previous.index(" "):]
        return f"{previous} {rest}".strip()
    text = _replace_names(previous, [undated[n.start:n.end] for n in new], rest, similarity) if new else previous
    for date in dates:
        text = _set_date(text, date.group())
    taken = {w.lower() for n in new for w in re.findall(r"[\w'’-]+", undated[n.start:n.end])}
    leftover = " ".join(w for w in re.findall(r"[\w'’-]+", undated)
                        if w.lower() not in taken and w.lower() not in STOPWORDS)
    return _before_mark(text, leftover) if leftover else text


def _replace_names(previous: str, new: list[str], rest: str, similarity: Similarity | None) -> str:
    """`previous` with each new name in place of the old name it most likely replaces."""
    old = [n for n in _names(previous) if n.head.lower() not in rest.lower()]
    replaced: list[tuple[_Name, str]] = []
    for name in new:
        if not old:
            break
        target = _closest(name, old, similarity)
        old.remove(target)
        replaced.append((target, name))
    text = previous
    for target, name in sorted(replaced, key=lambda r: -r[0].start):  # from the end, so offsets hold
        text = text[: target.start] + name + text[target.end :]
    unplaced = [n for n in new if n not in {name for _, name in replaced}]
    return _before_mark(text, " ".join(unplaced)) if unplaced else text


def _set_date(text: str, date: str) -> str:
    """`text` with its date replaced by `date` ("in 2024" -> "in 2023"), or `date` added before the "?"."""
    old = _DATE.search(text)
    if old:
        return text[: old.start()] + date + text[old.end() :]
    return _before_mark(text, date if re.match(r"(?i)(?:in|on|during|since|before|after|by|from|until)\b", date)
                        else f"in {date}")


def _before_mark(text: str, words: str) -> str:
    stripped = text.rstrip()
    if stripped.endswith("?"):
        return f"{stripped[:-1].rstrip()} {words}?"
    return f"{stripped} {words}"


def _bare_question_word(rest: str) -> str | None:
    """"why" for "why?" or "why is that": a question word with nothing of its own to ask about."""
    words = [w.lower() for w in re.findall(r"\w+", rest)]
    if words and words[0] in _WH and all(w in _AUX | _BACK_REFERENCE | _BARE_EXTRA for w in words[1:]):
        return words[0] if words[1:2] != ["much"] else None
    return None


def _opens_with_wh_and_aux(question: str) -> bool:
    words = question.split()
    return len(words) > 2 and words[0].lower() in _WH and words[1].lower() in _AUX


def _strip_lead_in(question: str) -> str:
    lead = _LEAD_IN.match(question)
    rest = question[lead.end():] if lead else question
    return rest.strip().rstrip("?").strip()


def _names(text: str, skip_first: bool = True) -> list[_Name]:
    """The names in `text`: runs of capitalised words, without stop words, month and day names nor,
    with `skip_first`, the capitalised first word of a sentence. A name followed by 's and another name
    owns it: "Alibaba's City Brain" is one span whose head is "Alibaba"."""
    found: list[_Name] = []
    for match in _NAME.finditer(text):
        start, words = match.start(), match.group().split()
        first = not text[:start].strip() or text[:start].rstrip()[-1:] in ".!?"
        while words and ((first and skip_first) or _ignored(words[0])):
            start = text.index(words[1], start + len(words[0])) if len(words) > 1 else match.end()
            words, first = words[1:], False
        if not words:
            continue
        owner = next((i for i, w in enumerate(words) if _bare(w) != w), None)
        if owner is not None and any(_ignored(w) or w.isupper() for w in words[owner + 1 :]):
            words = words[: owner + 1]  # "China's AI industry": a generic acronym is not owned, Japan has AI too
        head = _bare(" ".join(words[: owner + 1])) if owner is not None else " ".join(words)
        end = start + len(" ".join(words)) if owner is None or owner + 1 < len(words) else start + len(head)
        if not any(n.head == head for n in found):
            found.append(_Name(start, end, head))
    return found


def _ignored(word: str) -> bool:
    """A capitalised word that is no name: a stop word ("What", but not "US"), a month or a day."""
    low = _bare(word).lower()
    return (low in STOPWORDS and not (word.isupper() and len(word) > 1)) or low in _MONTHS or low in _DAYS


def _bare(word: str) -> str:
    return re.sub(r"['’]s$", "", word)


def _closest(name: str, old: list[_Name], similarity: Similarity | None) -> _Name:
    """The old name `name` most likely replaces: one of the same shape (acronym for acronym: "EU" replaces
    "US", "Tencent" replaces "Baidu" rather than "AI"), the most similar of those, else the first (the
    subject of most questions)."""
    same = [o for o in old if o.head.isupper() == name.isupper()] or old
    if similarity is not None and len(same) > 1:
        scores = list(similarity(name, [o.head for o in same]))
        return same[max(range(len(same)), key=scores.__getitem__)]
    return same[0]
