"""Text printed for a person on a terminal: escape sequences and control characters taken out.

Article text is untrusted: printed raw, an escape sequence could rewrite the screen, set
the window title or hide text. Every command that prints corpus text goes through here.
"""
from __future__ import annotations

import re

_ESCAPES = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]|\x9b[0-?]*[ -/]*[@-~]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_safe(text: str, keep_lines: bool = False) -> str:
    """`text` without terminal escape sequences (ANSI colours, OSC titles and links) or other control characters.

    Article text is untrusted: printed raw, an escape sequence could rewrite the
    screen, set the window title or hide text. Undecodable characters are escaped.
    """
    text = _CONTROLS.sub("", _ESCAPES.sub("", text))
    if not keep_lines:
        text = text.replace("\n", " ").replace("\t", " ")
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def one_line(text: str, limit: int) -> str:
    text = " ".join(terminal_safe(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
