"""Which `Answerer` composes the answers: the one place that picks an implementation.

`extractive` (the default, quotes the passages) or `generative` (a chat model on an
OpenAI-compatible server, grounded afterwards, with the extractive answerer as its
fallback). Neither the records nor `ask` import an answerer directly.
"""
from __future__ import annotations

from index.embed import Encoder
from index.errors import ConfigError
from qa.answer.records import Answerer
from qa.config import Config


def default_answerer(encoder: Encoder) -> Answerer:
    """The built-in answerer: sentences quoted from the passages, scored with `encoder`'s model."""
    from qa.answer.extractive import ExtractiveAnswerer

    return ExtractiveAnswerer(encoder)


def check_answerer(config: Config) -> None:
    """ConfigError when `config` names an answerer that cannot be built (before any slow start)."""
    if config.answerer not in ("extractive", "generative"):
        raise ConfigError(f"answerer {config.answerer!r} is not extractive or generative", "set answerer: extractive")
    if config.answerer == "generative" and not config.llm.model:
        raise ConfigError("the generative answerer needs a model name",
                          "add to newsdesk.yaml: llm: {base_url: http://127.0.0.1:11434/v1, model: llama3.2}")


def make_answerer(config: Config, encoder: Encoder) -> Answerer:
    """The answerer `config.answerer` names; the generative one needs `llm.model` set."""
    check_answerer(config)
    if config.answerer == "extractive":
        return default_answerer(encoder)
    from qa.answer.generative import GenerativeAnswerer
    from qa.answer.llm import ChatClient

    return GenerativeAnswerer(ChatClient(config.llm), default_answerer(encoder))
