"""Reading a model's reply: server-sent events or one JSON body, reasoning kept apart from the answer.

Servers differ in how they send a reply and where they put a reasoning model's
thinking: `delta.reasoning_content` (vLLM, DeepSeek), `delta.reasoning` (Ollama,
OpenRouter), or inline in the text as `<think>…</think>` (also a lone `</think>`,
when the chat template opened the block), or gpt-oss's channels. Here a reply
becomes `Delta`s (answer text or thinking) and one `Ending`; `ReplyReader` keeps
the answer apart from the thinking and says what may be shown while it streams:
nothing that could still turn out to be thinking. This module does no I/O beyond
iterating what it is given and knows nothing of passages or prompts.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Iterable, Iterator

from qa.answer.citations import has_citation

_TAGS = "think|thinking|thought|reasoning|reflection"
_OPEN = re.compile(rf"<(?:{_TAGS})>|<\|channel\|>\s*analysis", re.IGNORECASE)
_CLOSE = re.compile(rf"</(?:{_TAGS})>|<\|channel\|>\s*final\s*(?:<\|message\|>)?", re.IGNORECASE)
_SPECIAL = re.compile(r"<\|(?:start|end|return|message|channel)\|>(?:assistant)?", re.IGNORECASE)
SURE_CHARS = 32  # text held back, at most, before it is shown as the answer (unless it opens like thinking)
# How thinking starts. Taking an answer for thinking only holds it back until the reply ends.
_MUSING = re.compile(r"^\W*(?:okay|ok|alright|all right|right,|hmm+|well,|let me|let's|so,|so i|so the|first,|firstly|"
                     r"i need|i should|i'll|i will|i think|i see|i recall|i must|i have to|i'm|i am|we need|we are|we're|"
                     r"we have|the user|the question|the passages?|the task|the query|to answer|looking|considering|"
                     r"thinking|reasoning|analy[sz]|step \d|wait|now,|given)\b", re.IGNORECASE)
_PARTIAL = re.compile(r"<(?:/?[a-z]{0,12}|\|[a-z|]*)$", re.IGNORECASE)  # a tag still arriving: "</thi", "<|chan"


@dataclass(frozen=True, slots=True)
class Delta:
    """A piece of the reply as the server sent it: answer text, or the model's thinking."""

    text: str
    thinking: bool = False


@dataclass(frozen=True, slots=True)
class Ending:
    """How the reply ended: the server's finish_reason, and whether newsdesk cut it at llm.max_tokens."""

    finish: str | None
    clipped: bool = False

    @property
    def cut_short(self) -> bool:
        return self.clipped or self.finish == "length"


class NotACompletion(ValueError):
    """The body is not a chat completion (the message says what it is instead)."""


def sse_payloads(chunks: Iterable[bytes], max_line: int) -> Iterator[str | dict]:
    """The `data:` payloads of a server-sent event stream. A line longer than `max_line` ends it: what
    its text holds so far comes as a chunk of its own (the reply is over any limit by then)."""
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            line = line.strip()
            if line.startswith(b"data:"):
                yield line[5:].strip().decode("utf-8", "replace")
            elif line.startswith(b"{"):  # JSON lines, or one JSON reply, under an event-stream content type
                yield line.decode("utf-8", "replace")
        if len(buffer) > max_line:
            yield {"choices": [{"delta": {"content": _opening_text(buffer.decode("utf-8", "replace"))}}]}
            return
    last = buffer.strip()
    if last.startswith((b"data:", b"{")):
        yield (last[5:] if last.startswith(b"data:") else last).strip().decode("utf-8", "replace")


def _opening_text(cut: str) -> str:
    """The text of the first "content" string in a JSON chunk cut off in the middle of it."""
    found = re.search(r'"content"\s*:\s*"((?:[^"\\]|\\.)*)', cut)
    if not found:
        return ""
    text = re.sub(r"\\(?:u[0-9a-fA-F]{0,3})?$", "", found.group(1))  # an escape cut in half
    try:
        return json.loads(f'"{text}"')
    except ValueError:
        return ""


def choice_of(payload: str | dict) -> tuple[str, str, str | None]:
    """(answer text, thinking, finish_reason) of the first choice of a chunk or a whole completion."""
    obj = json.loads(payload) if isinstance(payload, str) else payload
    if not isinstance(obj, dict):
        raise NotACompletion("a JSON value that is not an object")
    if "error" in obj:
        raise NotACompletion("an error instead of a completion")
    choices = obj.get("choices")
    if not isinstance(choices, list):
        raise NotACompletion("JSON without choices")
    if not choices:
        return "", "", None  # a usage-only chunk
    choice = choices[0] if isinstance(choices[0], dict) else {}
    part = choice.get("delta") or choice.get("message") or {}
    if not isinstance(part, dict):
        part = {}
    thinking = part.get("reasoning_content") or part.get("reasoning") or ""
    return _text(part.get("content")), thinking if isinstance(thinking, str) else "", choice.get("finish_reason")


def _text(content: object) -> str:
    """Content as text: a string, or the text parts of a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def split_reasoning(raw: str) -> tuple[str, bool, bool]:
    """(the answer, whether there was inline thinking, whether the thinking is still open) of `raw`.

    Thinking blocks are taken out wherever they are; text before a closing tag with no opening
    one is thinking too (templates that open the block themselves). Thinking that never closed
    (the model ran out of tokens while thinking) takes the rest of the text with it.
    """
    had = False
    first_close, first_open = _CLOSE.search(raw), _OPEN.search(raw)
    if first_close and (first_open is None or first_close.start() < first_open.start()):
        raw, had = raw[first_close.end():], True
    kept, pos = [], 0
    while True:
        opened = _OPEN.search(raw, pos)
        if opened is None:
            kept.append(raw[pos:])
            return _SPECIAL.sub("", "".join(kept)), had, False
        kept.append(raw[pos : opened.start()])
        closed = _CLOSE.search(raw, opened.end())
        if closed is None:
            return _SPECIAL.sub("", "".join(kept)), True, True
        pos, had = closed.end(), True


def _looks_answered(text: str) -> bool:
    """Enough text, not opening the way thinking does, to take it for the answer: a citation, a whole line,
    or a few words."""
    return has_citation(text) or "\n" in text.strip() or len(text) >= SURE_CHARS


class ReplyReader:
    """Collects a reply's deltas: the answer, how much thinking came, and what may be shown so far.

    While it cannot yet tell whether the text is thinking (no tag, no reasoning field: it may end
    in a lone `</think>`), nothing is shown until the text cites a passage, ends its first line or
    reaches `SURE_CHARS`, and never while it opens the way thinking does ("Okay, the user
    asks..."): such a reply is shown once it is done. Text already shown is never taken back: when a later tag turns
    it into thinking, showing stops and the finished answer replaces it.
    """

    def __init__(self) -> None:
        self._raw: list[str] = []
        self.thinking_chars = 0
        self._separate = False  # the server sends thinking in its own field: content is all answer
        self._shown = ""
        self._stuck = False

    def add(self, delta: Delta) -> str:
        """The text newly fit to show after `delta` (often "")."""
        if delta.thinking:
            self.thinking_chars += len(delta.text)
            self._separate = True
            return ""
        self._raw.append(delta.text)
        raw = "".join(self._raw)
        answer, inline, still_open = split_reasoning(raw)
        if still_open:
            return ""
        answer = _PARTIAL.sub("", answer).lstrip()
        undecided = not (self._shown or self._separate or inline)
        if undecided and (_MUSING.match(answer) or not _looks_answered(answer)) or self._stuck:
            return ""
        if not answer.startswith(self._shown):
            self._stuck = True
            return ""
        new, self._shown = answer[len(self._shown):], answer
        return new

    @property
    def thought(self) -> bool:
        """Whether the model thought before (or instead of) answering."""
        return self.thinking_chars > 0 or split_reasoning("".join(self._raw))[1]

    def answer(self) -> str:
        """The answer once the reply is complete: its text without any thinking."""
        return split_reasoning("".join(self._raw))[0].strip()
