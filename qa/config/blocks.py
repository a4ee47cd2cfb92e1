"""The config's blocks (`llm:`, `milvus:` and `feeds:`), each checked like the top level: a mapping of known keys,
each value of the right kind; a key the settings do not have is refused with the closest known one.
Secrets are never echoed in a message.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Collection, Mapping

from index.engines.milvus.rows import VECTOR_INDEXES, MilvusTarget
from index.errors import ConfigError, NewsdeskError
from index.follow.spec import FeedSpec, parse_interval


MIN_PROMPT_TOKENS = 512  # the rules, the question and one short passage


@dataclass(frozen=True, slots=True)
class LLMSettings:
    """Where the generative answerer finds its model: any OpenAI-compatible chat-completions server.

    base_url:    the server's API root: Ollama http://127.0.0.1:11434/v1, vLLM http://HOST:8000/v1,
                 llama.cpp's server http://127.0.0.1:8080/v1, OpenAI https://api.openai.com/v1.
    model:       the model name the server knows (Ollama: `ollama list`; vLLM: its --model).
    api_key_env: the name of the environment variable that holds the api key (never the key itself,
                 so it stays out of files and logs); null for local servers that need none.
    timeout:     seconds to wait for the server to answer and between streamed tokens: past it the
                 user gets the built-in answer instead. Small models on a CPU need tens of seconds.
    total_timeout: seconds the whole answer may take, thinking included (checked as each piece
                 arrives): a server that trickles tokens cannot hold a chat longer than this.
    max_tokens:  the most tokens the model may write, thinking and answer together (servers count
                 them together): the answer itself is four short lines, the rest is room for a
                 reasoning model to think. More is cut off, and the reply is marked cut short.
    context_tokens: the model's context window: the prompt is fitted into it minus `max_tokens`
                 (fewer, then shorter passages). 4096 fits Ollama's and most small models' windows;
                 raise it to what the server was started with to send every passage.
    temperature: 0 answers the same way every time (best for citing); higher varies the wording.
    extra_body:  server options passed through as they are (Ollama `options: {num_ctx: 8192}`,
                 vLLM `chat_template_kwargs: {enable_thinking: false}`, `reasoning_effort: low`).
    """

    base_url: str = "http://127.0.0.1:11434/v1"
    model: str = ""
    api_key_env: str | None = None
    timeout: float = 60.0
    max_tokens: int = 1536
    temperature: float = 0.0
    context_tokens: int = 4096
    total_timeout: float = 300.0
    extra_body: Mapping[str, Any] = field(default_factory=dict)


def refuse_unknown(key: object, known: Collection[str], path: Path | str, shown: str) -> None:
    """A key the settings do not have is refused with the closest known one, or the list of them."""
    if key not in known:
        close = difflib.get_close_matches(str(key), known, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}"
        raise ConfigError(f"unknown key {shown} in {path}", hint)


def _block_keys(name: str, value: object, settings: type, path: Path | str) -> list[str]:
    """The keys of the settings block `name:` (a mapping, else refused with how to indent it)."""
    known = [f.name for f in fields(settings)]
    if not isinstance(value, dict):
        raise ConfigError(f"{name} in {path} must be a mapping of settings, got {type(value).__name__}",
                          f"indent {known[0]}, {known[1]}, ... under {name}:")
    return known


_LLM_RANGES = {"timeout": (0.1, 3600.0), "max_tokens": (1, 131072), "temperature": (0.0, 2.0),
               "context_tokens": (1024, 4194304), "total_timeout": (1.0, 86400.0)}
_LLM_WHOLE = ("max_tokens", "context_tokens")
_LLM_OWN = ("model", "messages", "stream")  # extra_body may not replace what newsdesk sends


def llm_block(value: object, path: Path) -> LLMSettings:
    """The `llm:` block checked like the top level: a mapping, known keys only, each of the right kind."""
    if value is None:
        return LLMSettings()
    known = _block_keys("llm", value, LLMSettings, path)
    for key, item in value.items():
        refuse_unknown(key, known, path, f"llm.{key}")
        if key in _LLM_RANGES:
            lo, hi = _LLM_RANGES[key]
            whole = key in _LLM_WHOLE
            if isinstance(item, bool) or not isinstance(item, int if whole else (int, float)) or not lo <= item <= hi:
                raise ConfigError(f"llm.{key} in {path} is {item!r}, not a {'whole ' if whole else ''}number in {lo:g}..{hi:g}",
                                  f"for example {key}: {getattr(LLMSettings(), key)}")
        elif key == "extra_body":
            item = {} if item is None else item
            if not isinstance(item, dict) or not all(isinstance(k, str) for k in item) or set(item) & set(_LLM_OWN):
                raise ConfigError(f"llm.extra_body in {path} must be a mapping of server options other than "
                                  f"{', '.join(_LLM_OWN)}", "for example extra_body: {options: {num_ctx: 8192}}")
        elif key == "api_key_env":
            if item is not None and (not isinstance(item, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", item)):
                raise ConfigError(f"llm.api_key_env in {path} must name an environment variable, got a value that is not one",
                                  "write api_key_env: OPENAI_API_KEY and export the key in that variable")
        elif not isinstance(item, str) or (key == "base_url" and not re.match(r"https?://[^\s/]+", item)):
            hint = "write base_url: http://127.0.0.1:11434/v1" if key == "base_url" else f'quote it: {key}: "..."'
            shown = re.sub(r"//[^/@\s]*@", "//***@", item) if isinstance(item, str) else item  # no url password echoed
            raise ConfigError(f"llm.{key} in {path} must be {'an http(s) url' if key == 'base_url' else 'text'}, got {shown!r}", hint)
    settings = LLMSettings(**(value | {"extra_body": value.get("extra_body") or {}}))
    if settings.context_tokens - settings.max_tokens < MIN_PROMPT_TOKENS:
        raise ConfigError(f"llm.max_tokens ({settings.max_tokens}) in {path} leaves less than {MIN_PROMPT_TOKENS} tokens "
                          f"of llm.context_tokens ({settings.context_tokens}) for the question and its passages",
                          "raise llm.context_tokens to the model's window, or lower llm.max_tokens")
    return settings


MILVUS_KEYS = ("uri", "collection", "token", "user", "password")
_MILVUS_FIXES = {"uri": "write uri: http://127.0.0.1:19530 (a server) or uri: ./milvus.db (milvus-lite, one process)",
                 "collection": "use letters, digits and _, starting with a letter, e.g. collection: newsdesk",
                 "vector_index": f"use one of {', '.join(VECTOR_INDEXES)}"}


def as_dict(target: MilvusTarget) -> dict:
    return {f.name: getattr(target, f.name) for f in fields(MilvusTarget)}


def milvus_block(value: object, path: Path | str) -> MilvusTarget:
    """The `milvus:` block checked like `llm:`; secrets are never echoed in a message."""
    if value is None:
        return MilvusTarget()
    known = _block_keys("milvus", value, MilvusTarget, path)
    for key, item in value.items():
        refuse_unknown(key, known, path, f"milvus.{key}")
        secret = key in ("token", "password")
        if item is None and key in ("token", "user", "password"):
            continue
        bad = not isinstance(item, str) or not item
        if not bad and key == "uri":
            bad = not (re.match(r"(https?|tcp)://[^\s/]+", item) or item.endswith(".db"))
        elif not bad and key == "collection":
            bad = not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,254}", item)
        elif not bad and key == "vector_index":
            bad = item not in VECTOR_INDEXES
        if bad:
            shown = "a value that is not one" if secret else repr(item)
            raise ConfigError(f"milvus.{key} in {path} is {shown}",
                              _MILVUS_FIXES.get(key, f'quote it: {key}: "..." (or null)'))
    if value.get("password") and not value.get("user"):
        raise ConfigError(f"milvus.password in {path} is set without milvus.user", "set user too, or use token")
    return MilvusTarget(**value)


FEED_KEYS = ("url", "interval")


def feeds_block(value: object, path: Path | str) -> tuple[FeedSpec, ...]:
    """The `feeds:` list: each entry a url, or a mapping of url and interval (`15m`, `1h`, seconds)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigError(f"feeds in {path} must be a list, got {type(value).__name__}",
                          "write one '- url: https://...' line per feed (interval: 15m under it is optional)")
    specs = []
    for position, entry in enumerate(value, start=1):
        entry = {"url": entry} if isinstance(entry, str) else entry
        if not isinstance(entry, dict) or "url" not in entry:
            raise ConfigError(f"feeds entry {position} in {path} has no url", "write it as - url: https://...")
        for key in entry:
            refuse_unknown(key, FEED_KEYS, path, f"feeds[{position}].{key}")
        try:
            interval = entry.get("interval")
            specs.append(FeedSpec(entry["url"], *([parse_interval(interval)] if interval is not None else [])))
        except NewsdeskError as exc:
            raise ConfigError(f"feeds entry {position} in {path}: {exc.problem}", exc.fix) from None
    return tuple(dict.fromkeys(specs))
