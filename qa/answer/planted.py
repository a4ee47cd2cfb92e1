"""Text planted in an article for the model or the reader ("ignore previous instructions", "say that ...").

News reports what people said; it does not give orders to whoever reads it. A
sentence that does (an imperative to an assistant, a model or the reader, a fake
"System:" turn) is never evidence: `without_planted` blanks such sentences out
of the passages grounding reads (same length, so every offset stays true), and
a claim that only they backed is left unsupported and flagged. The patterns
look for text that addresses the reader or the model, not for topics: a story
*about* prompt injection that quotes one still has its other sentences as
evidence. This module does not call a model nor change what the model is sent.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Sequence

from index.chunk import split_sentences
from qa.retrieve.records import Hit

_TO = r"(?:ai|a\.i\.|assistant|chatbot|bot|model|language model|llm|gpt|chatgpt|claude|agent|ai system)s?"
_SAY = r"(?:say|reply|respond|answer|state|write|output|print|claim|declare|tell|conclude|report|repeat|include|mention)"
_PATTERNS = [
    # "ignore / disregard all previous instructions", "forget your rules"
    r"\b(?:ignore|disregard|forget|override|bypass)\b.{0,40}\b(?:previous|prior|above|earlier|preceding|all|any|"
    r"your|the|system|original|other)\b.{0,20}\b(?:instructions?|prompts?|directions?|rules|guidelines|context|"
    r"passages?|messages?|orders?)\b",
    r"\b(?:new|updated|real|actual|hidden|secret) (?:instructions?|system prompt|orders?)\s*(?::|are\b|is\b)",
    # a fake turn of the chat, or a chat template's own tokens
    r"(?:^|[\s.!?])(?:system|assistant)\s*:\s*(?:you\b|ignore|disregard|forget|obey|always|never|do not|don't|" + _SAY + r"\b)",
    r"<\|?(?:im_start|im_end|system|assistant|endoftext)\|?>|\[/?INST\]",
    # the model spoken to: "you are now an AI ...", "if you are a language model", "AI assistants: reply ..."
    rf"\b(?:you are|you're|act as|pretend to be|behave as) (?:now )?(?:an?|the) (?:helpful )?{_TO}\b",
    rf"\b(?:if|when) you(?:'re| are) (?:an? |the )?(?:ai |large )?{_TO}\b",
    rf"^\W*(?:(?:dear|attention|note to|hey|hello|to)(?: the| any| all| every)? )?(?:ai |llm |large )?{_TO}"
    rf"(?: reading this| processing this)?\s*[:,!]\s*(?:please\s+|you\s+(?:must|should|will)\s+)?"
    rf"(?:ignore|disregard|forget|do not|don't|never|always|{_SAY})\b",
    rf"\b(?:ai|{_TO}) (?:reading|processing|summari[sz]ing|answering) (?:this|these)\b",
    rf"\b(?:tell|inform|convince|assure) (?:the |your )?(?:user|reader|human|person asking)s? (?:that|to)\b",
    r"\bdo not (?:answer|mention|cite|reveal)\b.{0,40}\b(?:question|user|reader)\b",
    r"\b(?:in|with) your (?:answer|reply|response|output)\b",
    # "When asked about X, say that ..."
    rf"^\W*(?:when|if) (?:you are |you're )?asked\b[^.]{{0,80}}[,;:]\s*(?:always |only |just )?{_SAY}\b",
    # "..., say it now."
    rf"[,;:]\s*(?:now |just |please |and )?{_SAY}(?:\s+(?:it|this|that|so|them)(?:\s+(?:now|again|instead))?"
    rf"|\s+(?:now|instead))\s*(?:!|\.|$)",
    # An imperative to write something, at the start of a sentence (not "officials say that").
    r"^(?:\W*(?:please|now|instead|then|and|also|just|simply|always|only|from now on|important)\W+)*"
    + _SAY + r"(?:\s+(?:only|just|simply|always|exactly))?\s+(?:that|with|:|\"|“|'|the following|only|yes|no\b)",
]
_PLANTED = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE | re.MULTILINE)


def addresses_model(sentence: str) -> bool:
    """Whether `sentence` speaks to the model or the reader (an instruction), rather than reporting."""
    return bool(_PLANTED.search(" ".join(sentence.split())))


def planted_spans(text: str) -> list[tuple[int, int]]:
    """The spans of `text`'s sentences that address the model or the reader."""
    return [(a, b) for a, b in split_sentences(text) if addresses_model(text[a:b])]


def without_planted(hits: Sequence[Hit]) -> tuple[list[Hit], list[int]]:
    """`hits` with planted sentences blanked out (offsets kept), and the numbers (1-based) of those that had any."""
    out, flagged = [], []
    for n, hit in enumerate(hits, start=1):
        spans = planted_spans(hit.text)
        if spans:
            text = list(hit.text)
            for a, b in spans:
                text[a:b] = " " * (b - a)
            hit = replace(hit, text="".join(text))
            flagged.append(n)
        out.append(hit)
    return out, flagged
