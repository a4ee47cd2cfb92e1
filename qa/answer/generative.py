"""The generative answerer: a chat model writes the answer, and every claim is grounded afterwards.

The retrieved passages go to the model fenced as data (`qa.answer.prompt`, fitted
to the model's window). The reply is read apart from the model's thinking
(`qa.answer.reply`): only answer text is streamed, and only once it cannot turn
out to be thinking. When the model is done, its citation styles become `[n]`
(`qa.answer.citations`), sentences planted in the passages for the model are
taken out of the evidence (`qa.answer.planted`), and `grounding.ground` checks
each claim against the passages it cites. A reply cut at `llm.max_tokens` is
marked cut short; a prompt fitted by leaving passages out says so; both in the
answer's notice. When the server fails in any way, the model wrote no answer,
or its reply cites nothing the passages back, the user gets one line saying so
and the extractive answer, labelled as such. This module must not import the
HTTP client (that is `qa.answer.llm`) nor rank passages.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Iterator, Sequence

from qa.answer.citations import normalise
from qa.retrieve.conversation import Query
from qa.answer.grounding import Grounded, ground, split_claims
from qa.answer.llm import ChatClient, ModelUnavailable
from qa.answer.planted import without_planted
from qa.answer.prompt import build
from qa.answer.records import ABSTAIN_TEXT, Answer, Answerer, History, Thinking
from qa.answer.redact import redact
from qa.answer.reply import Ending, ReplyReader
from qa.answer.settle import settle
from qa.retrieve.records import Hit

MAX_CLAIMS = 12  # sentences of a reply that are grounded: the prompt asks for four; a runaway reply stops here
CUT_SHORT = "[cut short]"
_ABSTAIN = re.compile(r"^\W*(?:insufficient information|not enough information|the passages do not)", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?][\"”’')]*(?:\s*\[\d+\])*\s*$|\]\s*$")


class GenerativeAnswerer:
    """Answers with a chat model behind an OpenAI-compatible server, falling back to `fallback`. Every claim
    of its answer is checked by `qa.check` (grounding), which compares values, names and polarity."""

    def __init__(self, client: ChatClient, fallback: Answerer) -> None:
        self.client = client
        self.fallback = fallback

    def stream(self, query: Query, hits: Sequence[Hit], history: History = ()) -> Iterator[str | Answer]:
        if not hits:
            yield from self.fallback.stream(query, hits, history)
            return
        if (checked := settle(query, hits, claims_only=True)) is not None:  # "Is it true that ...?": the check answers
            yield from (checked.text, checked)
            return
        reader, ending, streamed, said_thinking = ReplyReader(), Ending(None), False, False
        try:
            prompt = build(query, hits, history, self.client.settings)
            for piece in self.client.reply(list(prompt.messages)):
                if isinstance(piece, Ending):
                    ending = piece
                    continue
                shown = reader.add(piece)
                if shown:
                    streamed = True
                    yield shown
                elif not said_thinking and reader.thought:  # once: the chat may say the model is thinking
                    said_thinking = True
                    yield Thinking()
        except ModelUnavailable as exc:
            yield from self._fall_back(query, hits, history, f"The model could not answer ({exc}).", streamed)
            return
        text = reader.answer()
        if not text:
            yield from self._fall_back(query, hits, history, self._why_empty(reader, ending), streamed)
            return
        if _ABSTAIN.match(text):
            yield Answer(query.asked, ABSTAIN_TEXT, (), True, tuple(hits), query.text, 0.0, "generative")
            return
        text = _bounded(normalise(text, len(prompt.hits)), ending.cut_short)
        evidence, planted = without_planted(prompt.hits)
        grounded = _restored(ground(text, evidence), prompt.hits)
        leaned = grounded.unsupported or not grounded.citations or any(set(c.cited) & set(planted) for c in grounded.claims)
        warned = _planted_note(planted, prompt.hits) if planted and leaned else None
        if not grounded.citations:
            reason = " ".join(p for p in ("The model's answer cites nothing the passages back.", warned) if p)
            yield from self._fall_back(query, hits, history, reason, streamed)
            return
        cut = (f"The model's answer was cut short at llm.max_tokens ({self.client.settings.max_tokens} tokens): "
               "raise llm.max_tokens for the whole answer." if ending.cut_short else None)
        notice = redact(" ".join(p for p in (cut, warned, prompt.note) if p)) or None
        body = grounded.text + (f" {CUT_SHORT}" if ending.cut_short else "")
        yield Answer(query.asked, f"{notice}\n\n{body}" if notice else body, grounded.citations, False,
                     tuple(hits), query.text, 0.0, "generative", notice, grounded.claims)

    def _why_empty(self, reader: ReplyReader, ending: Ending) -> str:
        s = self.client.settings
        if ending.cut_short and reader.thought:
            return (f"The model spent all of llm.max_tokens ({s.max_tokens} tokens) thinking and wrote no answer: "
                    "raise llm.max_tokens (and llm.context_tokens with it), or turn thinking off in llm.extra_body.")
        if ending.cut_short:
            return f"The model wrote no answer within llm.max_tokens ({s.max_tokens} tokens): raise llm.max_tokens."
        if reader.thought:
            return "The model returned an empty answer after its reasoning."
        return "The model returned an empty answer."

    def _fall_back(self, query: Query, hits: Sequence[Hit], history: History, reason: str,
                   streamed: bool) -> Iterator[str | Answer]:
        """One line saying what went wrong, then the extractive answer, labelled as such."""
        notice = redact(f"{reason} Showing the built-in extractive answer instead.")
        yield ("\n\n" if streamed else "") + notice + "\n\n"
        answer = None
        for piece in self.fallback.stream(query, hits, history):
            if isinstance(piece, Answer):
                answer = piece
            else:
                yield piece
        yield Answer(answer.question, f"{notice}\n\n{answer.text}", answer.citations, answer.abstained, answer.hits,
                     answer.query, answer.confidence, "extractive", notice)


def _bounded(text: str, cut_short: bool) -> str:
    """At most MAX_CLAIMS sentences of `text`; when the reply was cut, without its unfinished last sentence."""
    lines, kept = [], 0
    for line in text.splitlines():
        claims = split_claims(line)
        if kept + len(claims) > MAX_CLAIMS:
            lines.append(" ".join(claims[: MAX_CLAIMS - kept]))
            break
        lines.append(line)
        kept += len(claims)
    text = "\n".join(line for line in lines if line.strip())
    if cut_short and not _SENTENCE_END.search(text):
        whole = max(text.rfind(". "), text.rfind("] "), text.rfind("\n"))
        text = text[: whole + 1].rstrip() if whole > 0 else text
    return text


def _restored(grounded: Grounded, hits: Sequence[Hit]) -> Grounded:
    """Citations that quote the passages as stored (grounding read them with planted sentences blanked)."""
    by_doc = {(h.doc_id, h.start): h.text for h in hits}
    citations = tuple(replace(c, passage=by_doc.get((c.doc_id, c.passage_start), c.passage)) for c in grounded.citations)
    return replace(grounded, citations=citations)


def _planted_note(planted: list[int], hits: Sequence[Hit]) -> str:
    titles = ", ".join(f'"{" ".join(hits[n - 1].title.split())[:80]}"' for n in planted)
    return (f"Text addressed to the model or the reader (an instruction planted in {titles}) is never evidence: "
            "the claims resting on it are marked [unsupported].")
