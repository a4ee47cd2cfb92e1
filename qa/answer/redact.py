"""Secrets out of anything a user is shown: api keys, bearer tokens and passwords inside urls.

A notice names the server and the settings involved, and people paste secrets where a name belongs
(an `hf_...` token as `api_key_env`, a password inside `base_url`), so every notice passes through
`redact` before the chat or the command line shows it. What looks like a key is replaced by `***`;
the rest of the text is kept, so the message still says what to fix.
"""
from __future__ import annotations

import re

HIDDEN = "***"
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^\s/:@]*:)[^\s/@]+@", re.IGNORECASE)
_URL_USER = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://)[^\s/:@]+@", re.IGNORECASE)
_QUERY_SECRET = re.compile(r"(?P<head>[?&](?:api[_-]?key|key|token|access_token|secret|password|pass|sig)=)[^\s&#]+",
                           re.IGNORECASE)
_BEARER = re.compile(r"(?P<head>\b(?:bearer|basic|token)\s+)[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)
_PREFIXED = re.compile(r"\b(?:hf_|sk-|sk_|pk_|rk_|ghp_|gho_|ghs_|github_pat_|glpat-|xox[abprs]-|AKIA|AIza|nvapi-|"
                       r"gsk_|r8_|pplx-|csk-|xai-)[A-Za-z0-9_-]{6,}")
# A long run of letters and digits mixed (a key or token with an unknown prefix); words, paths and
# model names ("Qwen2.5-7B-Instruct") have shorter runs or no digits.
_LONG = re.compile(r"(?<![\w/.-])(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[A-Za-z0-9_-]{24,}(?![\w/])")


def redact(text: str) -> str:
    """`text` with anything that looks like a secret replaced by ***."""
    text = _URL_PASSWORD.sub(lambda m: m["head"] + HIDDEN + "@", text)
    text = _URL_USER.sub(lambda m: m["head"] + HIDDEN + "@", text)
    text = _QUERY_SECRET.sub(lambda m: m["head"] + HIDDEN, text)
    text = _BEARER.sub(lambda m: m["head"] + HIDDEN, text)
    text = _PREFIXED.sub(HIDDEN, text)
    return _LONG.sub(HIDDEN, text)
