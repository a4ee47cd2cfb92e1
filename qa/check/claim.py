"""`check_claim(claim, passages)`: is this sentence supported, contradicted, or not settled by the passages?

Each sentence of the claim is checked on its own. The passage sentences that share the most of its
content words are parsed (spaCy, through `qa.check.nlp`) and compared with it (`qa.check.compare`):
alone, or joined with the sentence that covers what the first one leaves out (a claim joining two facts
needs both, from one passage or two). A sentence is supported when its backing sentences cover at
least `COVER` of its content words in every clause and nothing it states is missing or different;
contradicted when a backing sentence holds a different number, date or name in the same slot,
exchanges its names, or negates the same predicate; unsupported otherwise. The quotes are the exact
backing sentences, with their passage index and offsets. This module never retrieves passages.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, Sequence

from index.chunk import split_sentences
from qa.check import nlp
from qa.check.compare import NEGATING_HEADS, Context, Finding, compare, content_lemmas, form
from qa.check.values import RELATIVE, date_mentions, mentions

COVER = 0.6  # share of a clause's content words the backing sentences must hold: lower accepts looser paraphrase
CANDIDATES = 4  # passage sentences parsed per claim sentence: more finds split facts, each costs a parse (~3 ms)
CLOSER = 0.25  # a contradicting sentence this much closer to the claim (token alignment) outweighs a backing one
LIGHT_VERBS = {"be", "have", "do", "say", "make", "get", "take", "go", "come", "give", "tell", "report", "add"}
VERDICTS = ("supported", "contradicted", "unsupported")


@dataclass(frozen=True, slots=True)
class CheckQuote:
    """An exact span: `text == passages[passage].text[start:end]`."""

    passage: int
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class ClaimCheck:
    """The verdict on a claim, the spans that back or contradict it, and one line saying why."""

    claim: str
    verdict: str  # "supported" | "contradicted" | "unsupported"
    quotes: tuple[CheckQuote, ...]
    reason: str

    @property
    def supported(self) -> bool:
        return self.verdict == "supported"

    def to_dict(self) -> dict[str, Any]:
        return {"claim": self.claim, "verdict": self.verdict, "reason": self.reason,
                "quotes": [{"passage": q.passage, "start": q.start, "end": q.end, "text": q.text}
                           for q in self.quotes]}


@dataclass(frozen=True, slots=True)
class Passage:
    """What the checker reads of a passage: its text and the article it comes from."""

    text: str
    title: str = ""
    outlet: str = ""
    date: str = ""
    url: str = ""


def as_passage(item: Any, n: int = 0) -> Passage:
    """A `Hit`, a plain string or a mapping with `text` (and optional title, outlet, date, url) as a `Passage`."""
    if isinstance(item, Passage):
        return item
    if isinstance(item, str):
        return Passage(item)
    if isinstance(item, Mapping):
        if not isinstance(item.get("text"), str):
            raise ValueError(f"passage {n} has no text string ({sorted(item)!r}): give each mapping a 'text' key")
        return Passage(item["text"], *(str(item.get(k) or "") for k in ("title", "outlet", "date", "url")))
    if isinstance(getattr(item, "text", None), str):
        return Passage(item.text, getattr(item, "title", "") or "", getattr(item, "outlet", "") or "",
                       getattr(item, "published", None) or getattr(item, "date", "") or "",
                       getattr(item, "url", "") or "")
    raise TypeError(f"passage {n} is a {type(item).__name__}: give a Hit, a string, or a mapping with 'text'")


def check_claim(claim: str, passages: Sequence[Any]) -> ClaimCheck:
    """Check `claim` against `passages` (Hits, strings, or mappings with `text`); see the module docstring."""
    if not isinstance(claim, str) or not claim.strip():
        raise ValueError(f"claim must be a non-empty string, not {claim!r}: pass the sentence to check")
    return Checker([as_passage(p, n) for n, p in enumerate(passages)]).check(claim)


class _Judged(NamedTuple):
    """One way of backing a claim sentence (a sentence, a sentence and its neighbour, or two passages), judged."""

    verdict: str
    quotes: tuple[CheckQuote, ...]
    reason: str
    cover: float  # share of the claim's content words the backing holds (the least covered clause)
    match: float  # how closely the tokens line up (0..1)
    size: int = 1  # passage sentences used: fewer is the better backing


class Checker:
    """Checks many claims against the same passages (their sentences are cut and read once)."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.passages = list(passages)
        self.sentences = [(n, a, b) for n, p in enumerate(self.passages) for a, b in split_sentences(p.text)]
        self._words = [{t.lower_ for t in nlp.tokenize(self.passages[n].text[a:b])} for n, a, b in self.sentences]
        self._contexts: dict[int, Context] = {}

    def check(self, claim: str) -> ClaimCheck:
        parts = [claim[a:b] for a, b in split_sentences(claim)] or [claim.strip()]
        results = [self._sentence(part) for part in parts]
        worst = max(results, key=lambda r: VERDICTS.index(r[0]))
        quotes = tuple(dict.fromkeys(q for r in results for q in r[1]))
        return ClaimCheck(claim, worst[0], quotes, worst[2])

    def _sentence(self, text: str) -> tuple[str, tuple[CheckQuote, ...], str]:
        doc = nlp.parse(text)
        lemmas = content_lemmas(doc) or {t.lower_ for t in doc if not t.is_punct} or {text.lower()}
        forms = lemmas | {t.lower_ for t in doc if t.lemma_.lower() in lemmas}
        ranked = sorted(range(len(self.sentences)), key=lambda s: -len(forms & self._words[s]))[:CANDIDATES]
        if not ranked:
            return "unsupported", (), "there are no passages to check it against"
        parsed = {s: nlp.parse(self._text(s)) for s in ranked}
        options = []
        for s in ranked:
            options.append([s])
            rest = lemmas - content_lemmas(parsed[s])
            extra = max((o for o in ranked if o != s), key=lambda o: len(rest & content_lemmas(parsed[o])), default=None)
            if rest and extra is not None and rest & content_lemmas(parsed[extra]):
                options.append(sorted([s, extra]))
        judged = [self._judge(doc, lemmas, option, parsed) for option in options]
        top = max(range(len(judged)), key=lambda j: (judged[j].cover, judged[j].match))
        if judged[top].verdict == "unsupported" and judged[top].cover >= COVER:  # the splitter may have cut the sentence
            for option in self._neighbours(options[top]):
                parsed.update({s: nlp.parse(self._text(s)) for s in option if s not in parsed})
                judged.append(self._judge(doc, lemmas, option, parsed))
        supported = max((j for j in judged if j.verdict == "supported"), key=lambda j: (-j.size, j.match), default=None)
        against = max((j for j in judged if j.verdict == "contradicted"), key=lambda j: j.match, default=None)
        if supported and not (against and against.match >= supported.match + CLOSER):
            best = supported
        else:
            best = against or max(judged, key=lambda j: (j.cover, j.match))
        return best.verdict, best.quotes, best.reason

    def _judge(self, claim, lemmas: set[str], option: list[int], parsed) -> _Judged:
        spans = self._spans(option)
        docs = [parsed[option[0]] if len(option) == 1 else nlp.parse(self.passages[n].text[a:b]) for n, a, b in spans]
        held = set().union(*(content_lemmas(d) for d in docs))
        cover = min([len(lemmas & (held | {t.lower_ for d in docs for t in d})) / len(lemmas)]
                    + [len(c & held) / len(c) for c in _clauses(claim) if len(c) > 1])
        quotes = tuple(CheckQuote(n, a, b, self.passages[n].text[a:b]) for n, a, b in spans)
        clauses = [c for c in _clauses(claim) if len(c) > 1] or [lemmas]
        if len(docs) > 1 and not all(any(len(c & content_lemmas(d)) >= COVER * len(c) for c in clauses) for d in docs):
            return _Judged("unsupported", quotes, "no passage says this", 0.0, 0.0, len(option))  # each sentence must back a whole clause
        findings, match = compare(claim, docs, self._context({n for n, _, _ in spans}))
        numbers = list(dict.fromkeys(n + 1 for n, _, _ in spans))
        names = " and ".join(str(n) for n in numbers)
        if cover < COVER:
            missing = sorted(lemmas - held)
            return _Judged("unsupported", quotes, f"no passage says this (the closest, {names}, lacks "
                           f"{', '.join(missing[:4])})", cover, match, len(option))
        conflicts = [f for f in findings if f.conflict]
        if conflicts:
            return _Judged("contradicted", (quotes[conflicts[0].sentence],), _contradiction(conflicts[0]), cover, match,
                           len(option))
        predicate = _predicate(claim)
        if predicate and predicate not in {form(t) for d in docs for t in d}:  # "raises" is not backed by "lowers"
            return _Judged("unsupported", quotes, f"no passage says this (the closest, {names}, does not say "
                           f"{predicate})", cover * COVER, match, len(option))
        if findings:
            what = f'"{findings[0].claimed}"' if findings[0].kind == "polarity" else findings[0].claimed
            return _Judged("unsupported", quotes, f"no passage says {what}", cover, match, len(option))
        said = f"passage {names} says so" if len(numbers) == 1 else f"passages {names} say so"
        return _Judged("supported", quotes, said, cover, match, len(option))

    def _spans(self, option: list[int]) -> list[tuple[int, int, int]]:
        """The option's sentences as passage spans, neighbours in one passage joined into one span."""
        spans: list[tuple[int, int, int]] = []
        for s in option:
            n, a, b = self.sentences[s]
            if spans and s - 1 in option and spans[-1][0] == n:
                spans[-1] = (n, spans[-1][1], b)
            else:
                spans.append((n, a, b))
        return spans

    def _neighbours(self, option: list[int]) -> list[list[int]]:
        """The option widened by the sentence before or after it in the same passage ("Oct." | "7, ...")."""
        out = []
        for s in (option[0] - 1, option[-1] + 1):
            if 0 <= s < len(self.sentences) and s not in option and self.sentences[s][0] == self.sentences[option[0]][0]:
                out.append(sorted(option + [s]))
        return out

    def _text(self, s: int) -> str:
        n, a, b = self.sentences[s]
        return self.passages[n].text[a:b]

    def _context(self, numbers: set[int]) -> Context:
        words: set[str] = set()
        values = []
        for n in numbers:
            if n not in self._contexts:
                p = self.passages[n]
                tokens = [t for part in (p.text, p.title, p.outlet) if part for t in nlp.tokenize(part)]
                found = [m for part in (p.text, p.title) if part for m in mentions(nlp.tokenize(part))]
                if any(t.lower_ in RELATIVE for t in tokens):
                    found += date_mentions(p.date)
                self._contexts[n] = Context({t.lower_ for t in tokens}, found)
            words |= self._contexts[n].words
            values += self._contexts[n].values
        return Context(words, values)


def _predicate(doc) -> str:
    """The lemma of the claim's main verb when it carries meaning ("develop", "raise"; not "be", "have", "say")."""
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    while root is not None and root.lemma_.lower() in NEGATING_HEADS:  # "failed to sell": the verb is "sell"
        root = next((c for c in root.children if c.dep_ in ("xcomp", "ccomp")), None)
    if root is None or root.pos_ != "VERB" or root.lemma_.lower() in LIGHT_VERBS:
        return ""
    return form(root)


def _clauses(doc) -> list[set[str]]:
    """The content lemmas of each clause: the root's, and each verb joined to it by a conjunction."""
    groups: dict[int, set[str]] = {}
    for t in doc:
        if not content_lemmas(t.doc[t.i : t.i + 1]):
            continue
        head = t
        while head.head.i != head.i and not (head.dep_ == "conj" and head.pos_ in ("VERB", "AUX")):
            head = head.head
        groups.setdefault(head.i, set()).add(form(t))
    return list(groups.values())


def _contradiction(f: Finding) -> str:
    if f.kind == "polarity":
        return f'the passage says "{f.found}", not "{f.claimed}"'
    if f.kind == "role":
        return f"the passage has {f.found} where the claim has {f.claimed}: who did what is exchanged"
    return f"the passage says {f.found}, not {f.claimed}"
