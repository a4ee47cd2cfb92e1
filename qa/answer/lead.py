"""What kind of answer a question wants, and the short phrase of a quoted sentence that gives it.

`kind` reads the question: "yesno" (Does / Did / Is ... ?, also after a leading
clause), "who", "when", "count" (how many / how much), "which" (which / what
company, person, ...), else "open". `answer_phrase` finds, among the sentences
the extractive answerer quotes, the span that answers a who / which / when /
count question: a name, a date or a number the question does not already hold,
voted for by every candidate sentence it appears in. `named_outlets` are the
passages' outlets that the question names, so a yes/no answer can quote each.
`lead_line` and `each_outlet` compose what the extractive answer puts first.
Nothing is generated: every phrase is a span of a passage. This module must not
score sentences or build citations.
"""
from __future__ import annotations

import re
from typing import Sequence

from qa.answer.records import PARAGRAPH
from qa.retrieve.terms import STOPWORDS, words

_AUX = r"(?:does|do|did|is|are|was|were|has|have|had|can|could|will|would|should)"
_LEADING = r"(?:between|after|before|considering|following|given|from|based on|according to|in light of)\b"
_YESNO = re.compile(rf"^\s*(?:{_LEADING}[^?]*?,\s*)?{_AUX}\b", re.IGNORECASE)  # "Between A and B, was ...?"
_WHO = re.compile(r"^\s*(?:\w+\s+){0,3}?(?:who|whom|which (?:individual|person|player|executive|founder|ceo|"
                  r"author|artist|singer|actor|politician))\b|\bwho\b[^?]*\?\s*$", re.IGNORECASE)
_WHEN = re.compile(r"^\s*(?:\w+\s+){0,3}?(?:when|(?:in )?what (?:year|month|date|day))\b", re.IGNORECASE)
_POLITE = re.compile(r"^\s*(?:please,?\s+)?(?:(?:can|could|would|will) you (?:please )?(?:tell|show|let) me(?: know)?|"
                     r"do you (?:happen to )?know|(?:please )?tell me|i (?:want|would like|'d like) to know),?\s+",
                     re.IGNORECASE)
_COUNT = re.compile(r"\bhow (?:many|much)\b", re.IGNORECASE)
_WHICH = re.compile(r"^\s*(?:\w+\s+){0,3}?(?:which|what (?:is the name of the |)(?:company|organization|organisation|"
                    r"firm|entity|country|city|team|platform|product|model|brand|service|group|institution|"
                    r"agency|app|device|game|film|movie|show|band|league|club|university|state|network))\b",
                    re.IGNORECASE)

_BY = re.compile(r"\b([A-Za-z]{4,})\s+by\s+(?:[\w’'-]+\s+){0,4}$")
VOTERS = 12  # best-scoring sentences that vote for the answer phrase (a name many of them hold wins)
_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|"
          r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_DATE = re.compile(rf"\b(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?|\d{{1,2}}\s+{_MONTH}(?:\s+\d{{4}})?|"
                   rf"{_MONTH}\s+\d{{4}}|(?:19|20)\d\d)\b")
_NUMBER = re.compile(r"(?:[$€£¥]\s?)?\b\d[\d,]*(?:\.\d+)?(?:\s?(?:%|percent|per cent|million|billion|trillion|"
                     r"thousand|[a-z]+s\b))?")
_NAME_WORD = r"(?:[A-Z][\w&'’.-]*[\w]|[A-Z]|[A-Z0-9][A-Z0-9-]+)"
_NAME = re.compile(rf"{_NAME_WORD}(?:\s+(?:(?:of|de|and|&|for|the|von|van)\s+)?{_NAME_WORD})*")


def kind(question: str) -> str:
    """"yesno", "who", "when", "count", "which" or "open" (any other question: no short phrase). A polite form
    is read as the question it wraps: "Can you tell me who ..." asks who, "Do you know if ..." yes or no."""
    wrapped = _POLITE.match(question)
    if wrapped:
        question = question[wrapped.end():]
        if re.match(r"(?:if|whether)\b", question, re.IGNORECASE):
            return "yesno"
    if _YESNO.match(question):
        return "yesno"
    for name, pattern in (("count", _COUNT), ("when", _WHEN), ("who", _WHO), ("which", _WHICH)):
        if pattern.search(question):
            return name
    return "open"


def phrases(kind_: str, sentence: str) -> list[tuple[int, int]]:
    """Spans of `sentence` that could answer a question of `kind_`."""
    if kind_ == "when":
        pattern = _DATE
    elif kind_ == "count":
        pattern = _NUMBER
    else:
        pattern = _NAME
    spans = []
    for m in pattern.finditer(sentence):
        start, end = m.span()
        text = m.group()
        if kind_ in ("who", "which"):
            lead = re.match(r"(?:The|A|An|This|That|These|Its|His|Her|Their)\s+", text)
            if lead:
                start, text = start + lead.end(), text[lead.end():]
            text = re.sub(r"['’]s$", "", text.rstrip(".'’"))
            end = start + len(text)
            if re.search(r"-(?:based|born|owned|led|backed|made)$", text):
                continue  # "US-based": describes the answer, is not it
            if not words(text) or all(w in STOPWORDS for w in words(text)):
                continue
        spans.append((start, end))
    return spans


def answer_phrase(question: str, kind_: str, sentences: Sequence[tuple[str, float]],
                  quoted: int) -> tuple[int, int, int] | None:
    """The best answering phrase as (sentence index, start, end), taken from one of the first `quoted`
    sentences (the ones shown); every sentence of `sentences` (text, score) votes for what it contains."""
    if kind_ not in ("who", "which", "when", "count"):
        return None
    asked = set(words(question))
    votes: dict[str, float] = {}
    found: dict[str, tuple[int, int, int]] = {}
    agents: set[str] = set()  # "<asked verb> by X": the question's own relation names X, whatever the votes
    for i, (text, score) in enumerate(sentences):
        seen = set()
        for start, end in phrases(kind_, text):
            key = " ".join(words(text[start:end]))
            if not key or key in seen or set(key.split()) <= asked:
                continue  # a phrase the question already says ("TechCrunch", "Sora") is not its answer
            seen.add(key)
            votes[key] = votes.get(key, 0.0) + max(score, 0.0) + (0.5 if i < quoted else 0.0)
            if kind_ in ("who", "which") and _agent_of(text[:start], asked):
                agents.add(key)
            if i < quoted and key not in found:
                found[key] = (i, start, end)
    near = {k: _nearness(sentences[i][0], start, asked) for k, (i, start, _) in found.items()}
    ranked = sorted(found, key=lambda k: (k not in agents, -(votes[k] + near[k]), found[k][0]))
    return found[ranked[0]] if ranked else None


def _agent_of(before: str, asked: set[str]) -> bool:
    """Whether a phrase stands as the agent of a verb the question asks about: "Sora, ... developed by
    US-based research company OpenAI" answers "Who developed Sora?" (verbs matched on their first 5 letters)."""
    m = _BY.search(before)
    return bool(m) and any(w[:5] == m.group(1).lower()[:5] for w in asked - STOPWORDS if len(w) > 3)


def _nearness(sentence: str, at: int, asked: set[str]) -> float:
    """Up to 0.3 for a phrase close to the words the sentence shares with the question: the answer
    usually stands next to what the question asks about ("developed by ... OpenAI")."""
    hits = [m.start() for m in re.finditer(r"[^\W_]+", sentence) if m.group().lower() in asked - STOPWORDS]
    if not hits:
        return 0.0
    gap = min(abs(h - at) for h in hits)
    return 0.3 / (1 + gap / 40)


def each_outlet(question: str, picked: list, ranked: list) -> list:
    """For a yes/no question naming outlets, add each named outlet's best sentence when none is quoted yet,
    so the reader sees every part's evidence side by side. `picked` and `ranked` are (sentence, score)
    pairs of the extractive answerer's candidates (anything with `.hit.outlet`)."""
    outlets = list(dict.fromkeys(s.hit.outlet for s, _ in ranked if s.hit.outlet))
    out = list(picked)
    for outlet in named_outlets(question, outlets):
        if not any(s.hit.outlet == outlet for s, _ in out):
            best = next(((s, score) for s, score in ranked if s.hit.outlet == outlet), None)
            if best is not None:
                out.append(best)
    return out


def lead_line(question: str, question_kind: str, ordered: list, ranked: list) -> str:
    """What comes before the quotes: the answering phrase ("OpenAI [1]") for who / which / when / how many
    questions, a plain word that quotes cannot say yes or no, or nothing. `ordered` are the quoted
    sentences with their citation numbers, `ranked` every candidate with its score, best first."""
    if question_kind == "yesno":
        return "The quotes cannot settle yes or no; here is what each source says." + PARAGRAPH
    shown = [s for s, _ in ordered]
    scores = {s.doc_span: score for s, score in ranked}
    voters = shown + [s for s, _ in ranked[:VOTERS] if s.doc_span not in {x.doc_span for x in shown}]
    found = answer_phrase(question, question_kind, [(s.text, scores.get(s.doc_span, 0.0)) for s in voters],
                          len(shown))
    if found is None:
        return ""
    i, start, end = found
    return f"{shown[i].text[start:end]} [{ordered[i][1]}]" + PARAGRAPH  # the direct answer: a paragraph of its own


def named_outlets(question: str, outlets: Sequence[str]) -> list[str]:
    """The outlets (of the passages at hand) that the question names, in the order it names them."""
    q = question.lower()
    named = {}
    for outlet in outlets:
        for form in {outlet.lower(), outlet.lower().split(" | ")[0].split(" - ")[0].strip()}:
            at = q.find(form) if len(form) >= 3 else -1
            if at >= 0:
                named.setdefault(outlet, at)
    return sorted(named, key=named.get)
