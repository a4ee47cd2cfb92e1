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
_NOUN = r"(?:source|passage|article|document|doc|ref(?:erence)?|context|snippet|excerpt|chunk|result)s?\.?"
# A bracketed group: [2], [1, 2], [1-3], [^1], [#1], [Passage 1], (Source: Passage 2), 【4†source】, [2†L1-L3], [2: title]
_GROUP = re.compile(r"(?P<open>\[\[?|【|〔|\(|\{)(?P<body>[^\[\]()【】〔〕{}\n]{1,120})(?P<close>\]\]?|】|〕|\)|\})")
_FILLER = re.compile(rf"†[^,;]*|\b(?:see|cf\.?|also|no\.|nos?\.)\s*|\b{_NOUN}|[#^:]", re.IGNORECASE)
_LEADING = re.compile(rf"^\s*(?:[\^#]\s*)?(?:{_NOUN}\s*)?#?({_NUM})\s*(?:[:†|]|\s[-–—]\s)", re.IGNORECASE)
_SUPERSCRIPT = re.compile(r"(?:(?<=[.,;!?)\]])|(?<=[A-Za-z]{3})|(?<=[A-Za-z]{3} ))([¹²³⁴⁵⁶⁷⁸⁹⁰]+(?:[,˒]?[¹²³⁴⁵⁶⁷⁸⁹⁰]+)*)(?!\w)")
_SUPER_DIGITS = str.maketrans("¹²³⁴⁵⁶⁷⁸⁹⁰˒", "1234567890,")
_VERB = r"(?:says|said|reports|reported|states|stated|notes|noted|mentions|mentioned|explains|shows|confirms|indicates)"
_LEAD_IN = re.compile(rf"(?:,\s*)?(?:^|(?<=[\s,;(]))(?:(?:according to|as (?:stated|reported|noted|mentioned|said|described|"
                      rf"shown|explained) (?:in|by)|as per|per|see|cf\.?|from|in|by)\s+(?:the\s+)?{_NOUN}\s*#?({_LIST})\b"
                      rf"|as\s+(?:the\s+)?{_NOUN}\s*#?({_LIST})\s+{_VERB})(?:\s+that)?,?\s*", re.IGNORECASE)
_SAYS = re.compile(rf"^(\W*){_NOUN}\s*#?({_LIST})\s*(?::|,|-|–|—|{_VERB}(?:\s+that)?)\s*", re.IGNORECASE | re.MULTILINE)
_BARE = re.compile(rf"[\s,;:—–-]*\b{_NOUN}\s*:?\s*#?({_LIST})\b", re.IGNORECASE)
_FOOTNOTE_LINE = re.compile(rf"^\s*\[\^?{_NUM}\]\s*:.*$|^\s*(?:sources?|references?|citations?)\s*:?\s*$",
                            re.IGNORECASE | re.MULTILINE)
_LABEL = re.compile(r"[\s,;:—–-]*\b(?:sources?|references?|citations?|cited)\s*:?\s*((?:\[\d{1,3}\][\s,;]*(?:and\s*)?)+)",
                    re.IGNORECASE)
_MARKERS_ONLY = re.compile(r"^[\s\[\]\d.,;]*\[\d+\][\s\[\]\d.,;]*$")
_ANY = re.compile(rf"\[\s*\d{{1,3}}\s*\]|【|\[\^\d|[\[(]\s*{_NOUN}\s*:?\s*#?\d", re.IGNORECASE)
_SENTENCE = re.compile(r"[^.!?\n]*(?:[.!?]+[\"”’')]*|$)")
_MAX_RANGE = 20  # "[1-300]" is not 300 citations


def has_citation(text: str) -> bool:
    """Whether `text` cites a passage in any style newsdesk reads."""
    return bool(_ANY.search(text) or _LEAD_IN.search(text))


def normalise(text: str, passages: int) -> str:
    """`text` with every citation style rewritten as `[n]` markers (`passages`: how many were sent)."""
    text = _FOOTNOTE_LINE.sub("", text)
    text = _SUPERSCRIPT.sub(lambda m: " " + _marks(m[1].translate(_SUPER_DIGITS), passages) or m[0], text)
    text = _GROUP.sub(lambda m: _group(m, passages), text)
    text = _LABEL.sub(r" \1", text)
    text = re.sub(r"\]\s*(?:[,;]|\band\b)\s*\[(?=\d)", "][", text)
    text = "\n".join(_moved(line) for line in text.splitlines())
    text = _BARE.sub(lambda m: " " + _marks(m[1]), text)
    lines = []
    for line in text.splitlines():
        if _MARKERS_ONLY.match(line) and lines:  # a line of markers alone cites the line before it
            lines[-1] = lines[-1].rstrip() + " " + line.strip()
        elif line.strip():
            lines.append(re.sub(r"[ \t]{2,}", " ", line).strip())
    return "\n".join(lines)


def _group(m: re.Match, passages: int) -> str:
    """A bracketed citation group as markers, or the group unchanged when it is text ("(2023)", "[sic]")."""
    body, paren = m["body"], m["open"] == "("
    named = bool(re.search(_NOUN, body, re.IGNORECASE)) or m["open"] != "(" and m["open"] != "{"
    rest = _FILLER.sub(" ", body)
    if re.fullmatch(rf"\s*{_LIST}\s*(?:[,;]\s*)?", rest) and (named or _marks(rest, passages)):
        marks = _marks(rest, None if named and not paren or re.search(_NOUN, body, re.IGNORECASE) else passages)
    else:
        lead = _LEADING.match(body) if not paren else None  # [2: title], [Passage 2 - title]
        marks = _marks(lead[1]) if lead else ""
    return " " + marks if marks else m[0]


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

        def take(m: re.Match, numbers: str, keep: str) -> str:
            marks.append(_marks(numbers))
            return keep

        sentence = _SAYS.sub(lambda m: take(m, m[2], m[1]), sentence)
        sentence = _LEAD_IN.sub(lambda m: take(m, m[1] or m[2], " "), sentence)
        if marks:
            sentence = re.sub(r"\(\s*\)|\s+(?=[.,;!?)])", "", sentence).strip()
            sentence = sentence[:1].upper() + sentence[1:]
            end = re.search(r"[.!?]+[\"”’')]*$", sentence)
            cut = end.start() if end else len(sentence)
            sentence = f"{sentence[:cut].rstrip(' ,;:')} {''.join(marks)}{sentence[cut:]} "
        out.append(sentence)
    return "".join(out).rstrip()
