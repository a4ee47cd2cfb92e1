"""What a claim asserts against the sentences that should back it: values, names, polarity and roles.

`compare(claim, evidence, context)` lines the claim's tokens up with the evidence sentences' tokens
(a longest-matching-blocks alignment) and reports findings:
- a conflict, where the same slot holds something else: another number or date ("$10 billion" where the
  claim says "$20 billion"), another name, the claim's names exchanged (who did what to whom), or the
  opposite polarity of the same predicate ("not", "never", "no longer", "failed to", "denied");
- a gap, where a number, date or name of the claim is nowhere in the backing article text.
The caller turns findings into a verdict. This module must not pick passages nor load the pipeline.
"""
from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Sequence

from qa.check.values import MONTHS, WEEKDAYS, Mention, mentions

NAME_LABELS = {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW"}
NEGATING_HEADS = {"fail", "deny", "refuse", "decline"}  # "failed to win", "denied that it won": the verb below is negated
NEGATIONS = {"not", "n't", "never", "didn't", "don't", "doesn't", "isn't", "wasn't", "aren't", "weren't", "can't",
             "won't", "hasn't", "haven't", "hadn't", "couldn't", "wouldn't", "shouldn't"}  # a run-together form the tagger missed
PREDICATES = {"VERB": "verb", "AUX": "verb", "ADJ": "adj", "NOUN": "noun"}  # what negation can attach to
SLOT_TOKENS = 6  # a replaced stretch longer than this is a rewording, not one slot filled differently


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: `kind` is number | date | entity | role | polarity; `conflict` false for a gap."""

    kind: str
    conflict: bool
    claimed: str
    found: str = ""  # what the evidence says in the same place (conflicts only)
    sentence: int = -1  # index into the evidence of the sentence that says it


@dataclass(slots=True)
class Context:
    """What the backing articles state anywhere (passage text, title, outlet, date): words and values."""

    words: set[str]
    values: list[Mention]


def content_lemmas(doc) -> set[str]:
    """The lemmas a sentence says something with (no stop words, punctuation or numbers; "Oct." is "october")."""
    return {form(t) for t in doc if (t.is_alpha and not t.is_stop and len(t) > 1) or t.lower_.rstrip(".") in MONTHS}


def form(token) -> str:
    """A token's lemma, with a month or weekday in one spelling whatever its abbreviation."""
    low = token.lower_.rstrip(".")
    if low in MONTHS and token.text[:1].isupper():
        return f"month-{MONTHS[low]}"
    if low in WEEKDAYS and token.text[:1].isupper():
        return f"weekday-{WEEKDAYS[low]}"
    return token.lemma_.lower()


def compare(claim, evidence: Sequence, context: Context) -> tuple[list[Finding], float]:
    """Findings of the parsed `claim` against the parsed evidence sentences (conflicts first), and how
    closely the two line up (0..1, the share of tokens in matching blocks)."""
    tokens = [t for t in claim if not t.is_punct]
    ev = [(n, t) for n, doc in enumerate(evidence) for t in doc if not t.is_punct]
    matcher = SequenceMatcher(None, [t.lower_ for t in tokens], [t.lower_ for _, t in ev], autojunk=False)
    aligned: dict[int, int] = {}
    windows: dict[int, list] = {}  # a claim token outside the matching blocks -> the evidence tokens facing it
    findings: list[Finding] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            aligned.update({tokens[i1 + k].i: j1 + k for k in range(i2 - i1)})
            continue
        windows.update({t.i: ev[j1:j2] for t in tokens[i1:i2]})
        if op == "replace" and i2 - i1 <= SLOT_TOKENS and j2 - j1 <= 2 * SLOT_TOKENS:
            findings += _slot(tokens[i1:i2], [t for _, t in ev[j1:j2]], ev[j1][0], claim, evidence)
    findings += _polarity(claim, ev, aligned, windows)
    if not any(f.kind in ("role", "entity") for f in findings):
        findings += _roles(claim, evidence)
    found = {(f.kind, f.claimed) for f in findings}
    findings += [f for f in _gaps(claim, context) if (f.kind, f.claimed) not in found
                 and not (f.kind == "entity" and ("role", f.claimed) in found)]
    return sorted(findings, key=lambda f: not f.conflict), matcher.ratio()


def _slot(said: list, there: list, sentence: int, claim, evidence) -> list[Finding]:
    """A replaced stretch: another value, another name, or the claim's names exchanged."""
    out = []
    doc = evidence[sentence]
    claim_values, ev_values = _values(said, claim), _values(there, doc)
    for kind in ("number", "ordinal", "month", "weekday", "day"):
        mine = [m for m in claim_values if _kind(m, claim) == kind]
        theirs = [m for m in ev_values if _kind(m, doc) == kind]
        if mine and theirs and not any(m.same(t) for m in mine for t in theirs):
            out.append(Finding("number" if kind in ("number", "ordinal") else "date", True, _phrase(claim, mine),
                               _phrase(doc, theirs), sentence))
    mine, theirs = _names(said), _names(there)
    if said[0].ent_iob_ == "I" and not _is_name(there[0]):
        mine = set()  # the claim goes on with a longer name ("Bayern Munich") where the evidence has its short form
    if mine and theirs and not (mine & theirs):
        claim_words = {t.lower_ for t in claim}
        ev_words = {t.lower_ for d in evidence for t in d}
        kind = "role" if mine <= ev_words and theirs <= claim_words else "entity"
        label = next(t.ent_type_ for t in said if _is_name(t))
        out.append(Finding(kind, True, _name_run(said), _name_run(there, label), sentence))
    return out


def _roles(claim, evidence: Sequence) -> list[Finding]:
    """Who did what to whom, from the parses: for a verb the claim shares with an evidence sentence (same
    lemma), its doer and the one it is done to (subject and object; in the passive, the by-agent and the
    subject) exchanged is a contradiction ("OpenAI sued Musk" where the sentence says "Musk sued OpenAI").
    An alignment of the words cannot see this: the same words stand in both, in another order."""
    mine = _doers(claim)
    out = []
    for n, doc in enumerate(evidence):
        for lemma, (agent, patient) in _doers(doc).items():
            if lemma not in mine:
                continue
            said_agent, said_patient = mine[lemma]
            if said_agent & patient and said_patient & agent and not said_agent & agent:
                out.append(Finding("role", True, _span_text(claim, said_agent), _span_text(doc, agent), n))
    return out


def _doers(doc) -> dict[str, tuple[set[str], set[str]]]:
    """verb lemma -> (the name words of who does it, of whom it is done to), for verbs with both."""
    roles = {}
    for verb in (t for t in doc if t.pos_ == "VERB"):
        agent: set[str] = set()
        patient: set[str] = set()
        for child in verb.children:
            if child.dep_ == "nsubj":
                agent |= _name_words(child)
            elif child.dep_ in ("nsubjpass", "dobj"):
                patient |= _name_words(child)
            elif child.dep_ == "prep":  # "invested in OpenAI": the one it is done to, behind a preposition
                for noun in (g for g in child.children if g.dep_ == "pobj"):
                    patient |= _name_words(noun)
            elif child.dep_ == "agent":  # "by the Commission"
                for noun in (g for g in child.children if g.dep_ == "pobj"):
                    agent |= _name_words(noun)
        if not agent and verb.dep_ in ("advcl", "xcomp", "conj"):  # "Musk sued OpenAI, accusing it": Musk accuses
            agent = {t.lower_ for c in verb.head.children if c.dep_ == "nsubj" for t in c.subtree if t.pos_ == "PROPN"}
        if agent and patient:
            roles[verb.lemma_.lower()] = (agent, patient)
    return roles


def _name_words(head) -> set[str]:
    """The proper-noun words of the phrase a token heads ("the European Commission" -> european, commission)."""
    return {t.lower_ for t in head.subtree if t.pos_ == "PROPN" and t.ent_type_ not in ("DATE", "TIME")}


def _span_text(doc, words: set[str]) -> str:
    return " ".join(t.text for t in doc if t.lower_ in words) or ", ".join(sorted(words))


def _kind(m: Mention, doc) -> str:
    """A number inside a date ("November 2", "in 2022") is a date part: it only faces date parts."""
    return "day" if m.kind == "number" and doc[m.first].ent_type_ in ("DATE", "TIME") else m.kind


def _values(tokens: list, doc) -> list[Mention]:
    """The mentions of the whole doc that touch these tokens (a value keeps its unit and scale)."""
    wanted = {t.i for t in tokens}
    return [m for m in mentions(doc) if wanted & set(range(m.first, m.last + 1))]


def _phrase(doc, found: list[Mention]) -> str:
    """The mentions as written, widened to the date they are part of ("October 25", not "25")."""
    first, last = min(m.first for m in found), max(m.last for m in found)
    for ent in doc.ents:
        if ent.label_ == "DATE" and ent.start <= first < ent.end:
            first, last = min(first, ent.start), max(last, ent.end - 1)
    while last > first and doc[last].is_punct:
        last -= 1
    return doc[first : last + 1].text


def _name_run(tokens: list, label: str = "") -> str:
    """The first name among the tokens (of entity type `label` when one is), as written ("Miami Dolphins")."""
    names = [k for k, t in enumerate(tokens) if _is_name(t)]
    first = next((k for k in names if label and tokens[k].ent_type_ == label), names[0])
    last = first
    while last + 1 < len(tokens) and (_is_name(tokens[last + 1]) or tokens[last + 1].text == "-"):
        last += 1
    while not _is_name(tokens[last]):
        last -= 1
    return tokens[0].doc[tokens[first].i : tokens[last].i + 1].text


def _names(tokens: list) -> set[str]:
    return {t.lower_ for t in tokens if _is_name(t)}


def _is_name(token) -> bool:
    if not token.is_alpha or not token.text[:1].isupper() or token.lower_.rstrip(".") in MONTHS.keys() | WEEKDAYS.keys():
        return False
    return token.pos_ == "PROPN" or token.ent_type_ in NAME_LABELS


def _polarity(claim, ev: list, aligned: dict[int, int], windows: dict[int, list]) -> list[Finding]:
    """The same predicate negated on one side only ("opened" against "did not open"); a negated claim
    predicate the evidence never states is a gap."""
    out = []
    for t in claim:
        if t.pos_ not in PREDICATES:
            continue
        mine = _negated(t)
        lemma = t.lemma_.lower()
        if t.i in aligned:
            partners = [ev[aligned[t.i]]]
        else:
            partners = [(n, e) for n, e in windows.get(t.i, ()) if e.lemma_.lower() == lemma] or [
                (n, e) for n, e in ev if e.lemma_.lower() == lemma and PREDICATES.get(e.pos_) == PREDICATES[t.pos_]]
        if not partners:
            if mine:
                out.append(Finding("polarity", False, _predicate(t)))
            continue
        if any(_negated(e) == mine for _, e in partners):
            continue
        n, e = partners[0]
        out.append(Finding("polarity", True, _predicate(t), _predicate(e), n))
    return out


def _negated(token) -> bool:
    """Whether the token's predicate is negated (an odd number of negations on it and its governors)."""
    flips = sum(c.dep_ == "neg" or c.lower_ in NEGATIONS or (c.dep_ == "det" and c.lower_ == "no")
                or (c.lower_ == "longer" and any(g.lower_ == "no" for g in c.children)) for c in token.children)
    if token.dep_ in ("xcomp", "ccomp") and token.head.lemma_.lower() in NEGATING_HEADS:
        flips += 1
    return flips % 2 == 1


def _predicate(token) -> str:
    """The predicate as written, with its auxiliaries and negation ("did not open")."""
    parts = [c for c in token.children if (c.dep_ in ("aux", "auxpass") and c.i < token.i)
             or c.dep_ == "neg" or c.lower_ in NEGATIONS or (c.dep_ == "det" and c.lower_ == "no")] + [token]
    parts += [g for c in token.children if c.lower_ == "longer" for g in (c, *c.children)]  # "no longer"
    if token.dep_ in ("xcomp", "ccomp") and token.head.lemma_.lower() in NEGATING_HEADS:
        parts = [token.head] + parts
    first, last = min(p.i for p in parts), max(p.i for p in parts)
    return token.doc[first : last + 1].text


def _gaps(claim, context: Context) -> list[Finding]:
    """Numbers, dates and names of the claim that the backing articles never state."""
    out = []
    for m in mentions(claim):
        if not any(m.same(v) for v in context.values):
            out.append(Finding("date" if m.kind in ("month", "weekday") else "number", False, m.spoken(claim)))
    for ent in claim.ents:
        if ent.label_ not in NAME_LABELS:
            continue
        words = [t for t in ent if _is_name(t)]
        # a surname names the person, and one word of a longer name its short form ("Bayern" for "Bayern Munich")
        if words and not any(_known(t, context.words) for t in (words[-1:] if ent.label_ == "PERSON" else words)):
            out.append(Finding("entity", False, ent.text))
    for t in claim:
        if t.pos_ == "PROPN" and not t.ent_type_ and _is_name(t) and not _known(t, context.words):
            out.append(Finding("entity", False, t.text))
        elif t.tag_ in ("JJR", "RBR") and t.lower_ not in context.words:  # "closer", "less": the direction of a comparison
            out.append(Finding("comparison", False, t.text))
    return out


def _known(token, words: set[str]) -> bool:
    low = token.lower_
    return low in words or token.lemma_.lower() in words or low.removesuffix("s") in words
