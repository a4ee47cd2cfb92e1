"""The answer phrase: the span of a quoted sentence whose type is what the question asks for.

`wanted` reads what a question's kind (and its noun: "which company", "who is the CEO") asks for as
spaCy entity labels, preferred and merely accepted (the small English model tags "OpenAI" as a place
now and then, so a name of another label still counts, for less); a date or a number never answers
who, and a name never answers when. `typed_spans` are a sentence's entities of those labels (names
the model missed, runs of proper nouns, count as accepted names; a count keeps its unit: "about 200
employees"). `answer_phrase` votes over the best candidate sentences and takes the winner from one of
the quoted ones, a phrase bound to the verb the question asks about ("Microsoft acquired X") first; with no typed span in any quoted sentence there is no phrase (the quotes stand
alone). Every phrase is a span of a passage: nothing is generated. spaCy comes through `qa.check.nlp`.
This module must not score sentences or build citations.
"""
from __future__ import annotations

import re
from typing import Sequence

from qa.check import nlp
from qa.retrieve.terms import STOPWORDS, words

NAMES = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "PRODUCT", "WORK_OF_ART", "EVENT", "LAW"})
PLACES = frozenset({"GPE", "LOC", "FAC"})
NUMBERS = frozenset({"CARDINAL", "MONEY", "QUANTITY", "PERCENT"})
_NOUNS = {  # what "which X" / "who is the X" asks for
    frozenset({"PERSON"}): "individual person people player executive founder ceo author artist singer actor actress "
    "politician celebrity star athlete coach manager leader president chairman chair head director chief officer "
    "journalist reporter analyst investor entrepreneur billionaire rapper musician quarterback striker footballer "
    "minister senator judge prosecutor lawyer scientist researcher engineer candidate cofounder co-founder".split(),
    frozenset({"ORG"}): "company organization organisation firm entity agency institution group startup bank team "
                        "club league network university publisher outlet brand studio developer maker "
                        "manufacturer retailer exchange lab regulator body party union carrier".split(),
    frozenset({"GPE", "LOC", "FAC"}): "country city state nation region place location town venue stadium".split(),
    frozenset({"PRODUCT", "ORG", "WORK_OF_ART"}): "product model device app application service platform game "
                                                  "software tool phone console chatbot chip feature".split(),
    frozenset({"WORK_OF_ART"}): "film movie show book song album series novel".split(),
    frozenset({"EVENT"}): "event tournament competition conference match race championship war".split(),
}
_ASKED_NOUN = re.compile(r"\b(?=(?:which|what|who (?:is|was|are|were) the|name of the)\s+(?P<words>[\w-]+(?: [\w-]+){0,2}))",
                         re.IGNORECASE)  # a lookahead: "what is the name of the platform" is read at "name" too
_UNIT = re.compile(r"\bhow (?:many|much)\s+(?P<unit>[a-z]+)", re.IGNORECASE)
_ABSOLUTE = re.compile(r"\d|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec", re.IGNORECASE)
_BY = re.compile(r"\b([A-Za-z]{4,})\s+by\s+(?:[\w’'-]+\s+){0,4}$")
_LIGHT_VERBS = {"be", "have", "do", "say", "make", "get", "take", "go", "come", "give", "tell", "report", "know"}
BOUND = 0.5  # what being the subject or object of the asked verb adds (a long question has many verbs)
ACCEPTED = 0.5  # the weight of a phrase of an accepted (not preferred) type against a preferred one


def wanted(question: str, kind_: str) -> tuple[frozenset[str], frozenset[str]]:
    """(preferred labels, accepted labels) of the phrase that answers a question of kind `kind_`."""
    if kind_ == "when":
        return frozenset({"DATE"}), frozenset({"TIME", "EVENT"})
    if kind_ == "count":
        money = bool(re.search(r"\bhow much\b", question, re.IGNORECASE))
        return (frozenset({"MONEY", "QUANTITY", "PERCENT"}) if money else frozenset({"CARDINAL", "QUANTITY"}),
                NUMBERS)
    if kind_ == "where":
        return PLACES, frozenset({"ORG"})
    noun = _asked_noun(question)
    for labels, nouns in _NOUNS.items():
        if noun in nouns:
            return labels, NAMES
    return (frozenset({"PERSON", "ORG"}) if kind_ == "who" else NAMES), NAMES


def _asked_noun(question: str) -> str | None:
    """The noun of "which X" / "who is the X" that has a type: the last typed word of up to three ("which
    pop star" -> star, "which companies" -> company), or None."""
    for m in _ASKED_NOUN.finditer(question):
        for word in reversed(m.group("words").lower().split()):
            for form in (word, re.sub(r"ies$", "y", word), re.sub(r"s$", "", word)):
                if form in _ALL_NOUNS:
                    return form
    return None


_ALL_NOUNS = {n for nouns in _NOUNS.values() for n in nouns}


def typed_spans(sentence: str, preferred: frozenset[str], accepted: frozenset[str],
                verbs: frozenset[str] = frozenset()) -> list[tuple[int, int, float, bool]]:
    """(start, end, weight, bound) of the spans of `sentence` of a wanted type: weight 1.0 preferred,
    ACCEPTED accepted; `bound` when the span is the subject or object of one of `verbs` (lemmas)."""
    doc = nlp.parse(sentence)
    out, covered = [], set()
    for ent in doc.ents:
        covered.update(range(ent.start, ent.end))
        label = ent.label_
        if label not in preferred and label not in accepted:
            continue
        weight = 1.0 if label in preferred else ACCEPTED
        start, end = ent.start_char, ent.end_char
        bound = _argument_of(ent.root, verbs)
        if label in NUMBERS:
            end = _with_unit(ent, end)
            bound = bound or (end > ent.end_char and _argument_of(doc[ent.end], verbs))
        elif label == "DATE" and not _ABSOLUTE.search(ent.text):
            weight *= ACCEPTED  # "Monday", "last week" say less than "October 12, 2023"
        elif label in NAMES:
            start, end = _trimmed(sentence, start, end)
            if end <= start:
                continue
        out.append((start, end, weight, bound))
    if "PERSON" in accepted:  # names the model did not tag: runs of proper nouns outside every entity
        run: list = []
        for token in list(doc) + [None]:
            if token is not None and token.pos_ == "PROPN" and token.i not in covered:
                run.append(token)
                continue
            if run and not (run[0].i == 0 and len(run) == 1):  # a lone capitalised opener is no name
                out.append((run[0].idx, run[-1].idx + len(run[-1].text), ACCEPTED, _argument_of(run[-1], verbs)))
            run = []
    return out


def asked_verbs(question: str) -> frozenset[str]:
    """The lemmas of the verbs a question asks about ("acquire" of "Which company did Microsoft acquire?")."""
    return frozenset(t.lemma_.lower() for t in nlp.parse(question) if t.pos_ == "VERB" and t.lemma_.lower()
                     not in _LIGHT_VERBS)


def _argument_of(token, verbs: frozenset[str]) -> bool:
    """Whether `token` (through compounds, appositions and conjuncts) is the subject, object or by-agent
    of one of `verbs`: "Microsoft acquired Activision Blizzard" binds both names to "acquire"."""
    if not verbs:
        return False
    while token.dep_ in ("compound", "appos", "conj", "flat") and token.head is not token:
        token = token.head
    if token.dep_ == "pobj" and token.head.dep_ == "agent":
        token = token.head
    return token.dep_ in ("nsubj", "nsubjpass", "dobj", "attr", "agent", "oprd") and token.head.lemma_.lower() in verbs


def _with_unit(ent, end: int) -> int:
    """A number's end stretched over the noun it counts: "about 200" -> "about 200 employees"."""
    doc = ent.doc
    if ent.end < len(doc):
        nxt = doc[ent.end]
        if nxt.pos_ in ("NOUN", "PROPN") and ent[-1].head.i in (nxt.i, nxt.head.i):
            return nxt.idx + len(nxt.text)
    return end


def _trimmed(sentence: str, start: int, end: int) -> tuple[int, int]:
    text = sentence[start:end]
    lead = re.match(r"(?:the|a|an)\s+", text, re.IGNORECASE)
    if lead:
        start, text = start + lead.end(), text[lead.end():]
    text = re.sub(r"['’]s$", "", text.rstrip(".'’"))
    return start, start + len(text)


def answer_phrase(question: str, kind_: str, sentences: Sequence[tuple[str, float]],
                  quoted: int) -> tuple[int, int, int] | None:
    """The best answering phrase as (sentence index, start, end), taken from one of the first `quoted`
    sentences (the ones shown); every sentence of `sentences` (text, score) votes for what it contains,
    weighted by how well its type fits. None when no quoted sentence holds a phrase of a wanted type."""
    if kind_ not in ("who", "which", "when", "count", "where"):
        return None
    preferred, accepted = wanted(question, kind_)
    verbs = asked_verbs(question)
    asked = set(words(question))
    unit = _UNIT.search(question)
    votes: dict[str, float] = {}
    found: dict[str, tuple[int, int, int]] = {}
    fit: dict[str, float] = {}
    agents: set[str] = set()  # "<asked verb> by X": the question's own relation names X, whatever the votes
    bound: set[str] = set()  # X the subject or object of a verb the question asks about: a bonus, not a rule
    for i, (text, score) in enumerate(sentences):
        seen = set()
        for start, end, weight, argument in typed_spans(text, preferred, accepted, verbs):
            key = " ".join(words(text[start:end]))
            if not key or key in seen or set(key.split()) <= asked | STOPWORDS:
                continue  # a phrase the question already says ("TechCrunch", "Sora") is not its answer
            if unit and unit.group("unit").lower() in key.split():
                weight += 0.5  # "how many people": "200 people" over "200"
            seen.add(key)
            if argument:  # the verb's own argument counts as the type asked for, whatever the model tagged
                weight = max(weight, 1.0)
                bound.add(key)
            votes[key] = votes.get(key, 0.0) + weight * (max(score, 0.0) + (0.5 if i < quoted else 0.0))
            fit[key] = max(fit.get(key, 0.0), weight)
            if kind_ in ("who", "which") and _agent_of(text[:start], asked):
                agents.add(key)
            if i < quoted and key not in found:
                found[key] = (i, start, end)
    for key in found:  # "Bankman-Fried" votes for "Sam Bankman-Fried"
        votes[key] += sum(v for k, v in votes.items() if k != key and f" {key} ".endswith(f" {k} "))
    near = {k: _nearness(sentences[i][0], start, asked) for k, (i, start, _) in found.items()}
    ranked = sorted(found, key=lambda k: (k not in agents, -(fit[k] * votes[k] + near[k] + BOUND * (k in bound)),
                                          found[k][0]))
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
