"""Citation styles models write, turned into the `[n]` markers grounding reads.

Asked for `[2]`, models also write `[1][2]`, `[1, 2]`, `[1-3]`, `(1)`, `【1】`, `【1†source】`,
`[Passage 1]`, `[^1]`, "(Source 1)", "according to passage 2", or a footnote list at the end.
`normalise` rewrites each into plain `[n]` markers in place (a lead-in such as "According to
Source 1," is removed and its markers go to the end of the sentence), so grounding counts them
as the model's own citations and none of the other styles is left in the text shown. A bare
`(n)` counts only for a passage that was sent (1..`passages`), so "(2023)" or "(5 of them)"
stay text. This module knows nothing of passages beyond their count.
"""
from __future__ import annotations

import re

_NUM = r"\d{1,3}"
_LIST = rf"{_NUM}(?:\s*(?:,|;|and|&|-|–|—|to)\s*{_NUM})*"
_NOUN = r"(?:source|passage|article|document|doc|ref(?:erence)?|context|snippet|excerpt)s?"
_BRACKETED = re.compile(rf"\[\[?\s*(?:\^|#|{_NOUN}\s*:?\s*#?)?\s*({_LIST})\s*\]\]?|【\s*(?:{_NOUN}\s*)?({_LIST})\s*(?:†[^】]*)?】"
                        rf"|〔\s*({_LIST})\s*〕|\{{\s*({_NUM})\s*\}}", re.IGNORECASE)
_PAREN_NOUN = re.compile(rf"\(\s*(?:see\s+|cf\.?\s+)?{_NOUN}\s*:?\s*#?({_LIST})\s*\)", re.IGNORECASE)
_PAREN = re.compile(rf"(?<=\S)\s*\(\s*({_LIST})\s*\)")
_LEAD_IN = re.compile(rf"(?:^|(?<=[\s,;(]))(?:according to|as (?:stated|reported|noted|mentioned|said|described|shown|"
                      rf"explained) (?:in|by)|as per|per|see|cf\.?|from|in|by)\s+(?:the\s+)?{_NOUN}\s*#?({_LIST})\b,?\s*",
                      re.IGNORECASE)
_SAYS = re.compile(rf"^(\W*){_NOUN}\s*#?({_LIST})\s*(?::|,|-|–|—|(?:says|said|reports|reported|states|stated|notes|noted|"
                   rf"mentions|mentioned|explains|shows|confirms|indicates)(?:\s+that)?)\s*", re.IGNORECASE | re.MULTILINE)
_BARE = re.compile(rf"[\s,;:—–-]*\b{_NOUN}\s*:?\s*#?({_LIST})\b", re.IGNORECASE)
_FOOTNOTE_LINE = re.compile(rf"^\s*(?:\[\^?{_NUM}\]|{_NOUN}\s*{_NUM})\s*:.*$|^\s*(?:sources?|references?|citations?)\s*:?\s*$",
                            re.IGNORECASE | re.MULTILINE)
_LABEL = re.compile(r"[\s,;:—–-]*\b(?:sources?|references?|citations?|cited)\s*:?\s*((?:\[\d{1,3}\][\s,;]*(?:and\s*)?)+)",
                    re.IGNORECASE)
_MARKERS_ONLY = re.compile(r"^[\s\[\]\d.,;]*\[\d+\][\s\[\]\d.,;]*$")
_ANY = re.compile(rf"\[\s*\d{{1,3}}\s*\]|{_BRACKETED.pattern}|{_PAREN_NOUN.pattern}", re.IGNORECASE)
_SENTENCE = re.compile(r"[^.!?\n]*(?:[.!?]+[\"”’')]*|$)")
_MAX_RANGE = 20  # "[1-300]" is not 300 citations


def has_citation(text: str) -> bool:
    """Whether `text` cites a passage in any style newsdesk reads."""
    return bool(_ANY.search(text) or _LEAD_IN.search(text))


def normalise(text: str, passages: int) -> str:
    """`text` with every citation style rewritten as `[n]` markers (`passages`: how many were sent)."""
    text = _FOOTNOTE_LINE.sub("", text)
    text = _BRACKETED.sub(lambda m: _marks(next(g for g in m.groups() if g)), text)
    text = _PAREN_NOUN.sub(lambda m: _marks(m[1]), text)
    text = _PAREN.sub(lambda m: " " + _marks(m[1], passages) if _marks(m[1], passages) else m[0], text)
    text = _LABEL.sub(r" \1", text)
    text = re.sub(r"\]\s*(?:[,;]|\band\b)\s*\[(?=\d)", "][", text)
    text = "\n".join(_moved(line) for line in text.splitlines())
    text = _BARE.sub(lambda m: " " + _marks(m[1]), text)
    lines = []
    for line in text.splitlines():
        if _MARKERS_ONLY.match(line) and lines:  # a line of markers alone cites the line before it
            lines[-1] = lines[-1].rstrip() + " " + line.strip()
        elif line.strip():
            lines.append(re.sub(r"[ \t]{2,}", " ", line).rstrip())
    return "\n".join(lines)


def _marks(numbers: str, passages: int | None = None) -> str:
    """"1, 2" / "1-3" / "1 and 2" as "[1][2][3]"; "" when a number lies outside 1..`passages`."""
    found: list[int] = []
    for part in re.split(r"\s*(?:,|;|and|&)\s*", numbers.strip()):
        ends = [int(n) for n in re.findall(r"\d+", part)]
        if len(ends) == 2 and 0 < ends[1] - ends[0] < _MAX_RANGE:
            found += range(ends[0], ends[1] + 1)
        else:
            found += ends
    if passages is not None and not all(1 <= n <= passages for n in found):
        return ""
    return "".join(f"[{n}]" for n in dict.fromkeys(found))


def _moved(line: str) -> str:
    """A line whose "According to Source 1, ..." lead-ins are removed, their markers at the sentence's end."""
    if not (_LEAD_IN.search(line) or _SAYS.search(line)):
        return line
    out = []
    for sentence in _SENTENCE.findall(line):
        marks = []

        def take(m: re.Match, group: int) -> str:
            marks.append(_marks(m[group]))
            return m[1] if group == 2 else ""

        sentence = _SAYS.sub(lambda m: take(m, 2), sentence)
        sentence = _LEAD_IN.sub(lambda m: take(m, 1), sentence)
        if marks:
            sentence = sentence.strip()
            sentence = sentence[:1].upper() + sentence[1:]
            end = re.search(r"[.!?]+[\"”’')]*$", sentence)
            cut = end.start() if end else len(sentence)
            sentence = f"{sentence[:cut].rstrip(' ,;:')} {''.join(marks)}{sentence[cut:]} "
        out.append(sentence)
    return "".join(out).rstrip()
