"""newsdesk settings: one frozen `Config`, loaded from YAML with unknown keys rejected.

Where settings come from, strongest first: command-line flags, the file named by
`--config` or the NEWSDESK_CONFIG variable, `./newsdesk.yaml` when it exists,
then the defaults below.
"""
from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

import yaml

from index.chunk import ChunkPlan
from index.errors import ConfigError

DEFAULT_CONFIG_FILE = "newsdesk.yaml"


@dataclass(frozen=True, slots=True)
class Config:
    """Every setting, with what it trades.

    index_dir:     where the index lives (created by `newsdesk ingest`).
    model:         the sentence-transformers model: the bundled all-MiniLM-L6-v2, or a local folder.
                   Changing it needs `newsdesk ingest --rebuild`.
    device:        "cpu", "cuda" or null (CUDA when torch sees one).
    batch_size:    texts per model call: larger is faster until memory runs out (CPU 64, GPU 256+).
    chunk_tokens:  passage size in model tokens (capped at the model's 256): smaller chunks cite
                   more precisely and embed faster, larger ones keep more context per vector.
    chunk_overlap: tokens of trailing sentences repeated in the next chunk: finds facts that
                   straddle a boundary, at the cost of more chunks.
    top_k:         passages returned per question: more helps recall, costs reading time.
    """

    index_dir: str = "data/index"
    model: str = "all-MiniLM-L6-v2"
    device: str | None = None
    batch_size: int = 64
    chunk_tokens: int = 256
    chunk_overlap: int = 32
    top_k: int = 5

    def chunk_plan(self) -> ChunkPlan:
        return ChunkPlan(max_tokens=self.chunk_tokens, overlap_tokens=self.chunk_overlap)

    def with_overrides(self, **values: object) -> "Config":
        """A copy with the given non-None values replaced (command-line flags)."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})


_RANGES = {"batch_size": (1, 4096), "chunk_tokens": (32, 512), "chunk_overlap": (0, 128), "top_k": (1, 100)}


def load_config(path: str | Path | None = None) -> Config:
    """Load settings from `path`, else $NEWSDESK_CONFIG, else ./newsdesk.yaml, else defaults."""
    path = path or os.environ.get("NEWSDESK_CONFIG")
    if path is None:
        if not Path(DEFAULT_CONFIG_FILE).is_file():
            return Config()
        path = DEFAULT_CONFIG_FILE
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text("utf-8"))
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read ({exc.strerror})", "check the path given to --config") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"config file {where} is not valid YAML", "fix the syntax (key: value per line)") from exc
    if raw is None:
        return Config()
    if not isinstance(raw, dict):
        raise ConfigError(f"config file {path} must be a mapping of settings, got {type(raw).__name__}",
                          "write one `key: value` per line")
    return _validated(raw, path)


def _validated(raw: dict, path: Path) -> Config:
    known = {f.name: f for f in fields(Config)}
    for key in raw:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}"
            raise ConfigError(f"unknown key {key!r} in {path}", hint)
    defaults = Config()
    for key, value in raw.items():
        expected = type(getattr(defaults, key))
        if key == "device":
            if value not in (None, "cpu", "cuda") and not str(value).startswith("cuda:"):
                raise ConfigError(f"device {value!r} in {path} is not cpu, cuda or null", "set device: cpu")
            continue
        if expected is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise ConfigError(f"{key} in {path} must be a whole number, got {value!r}", f"for example {key}: {getattr(defaults, key)}")
        if expected is str and not isinstance(value, str):
            raise ConfigError(f"{key} in {path} must be text, got {value!r}", f"quote it: {key}: \"{value}\"")
        lo_hi = _RANGES.get(key)
        if lo_hi and not lo_hi[0] <= value <= lo_hi[1]:
            raise ConfigError(f"{key} in {path} is {value}, outside {lo_hi[0]}..{lo_hi[1]}", f"pick a value in that range")
    return Config(**raw)
