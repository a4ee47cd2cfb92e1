"""newsdesk settings: one frozen `Config`, loaded from YAML with unknown keys rejected.

The floor of qa/: it imports only index/, and hands each stage its plan
(`ChunkPlan` for chunking, the `Encoder`, the `RankPlan` that `qa.retrieve.hybrid`
ranks by), so every part of qa/ may read it and it reads none of them.

Where settings come from, strongest first: command-line flags, the file named by
`--config` or the NEWSDESK_CONFIG variable, `./newsdesk.yaml` when it exists,
then the defaults below.
"""
from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Collection, Mapping

import yaml

from index.chunk import ChunkPlan
from index.embed import Encoder
from index.errors import ConfigError
from index.faiss_store import INDEX_TYPES
from index.keyword import DEFAULT_ENGINE
from index.keyword import ENGINES as KEYWORD_ENGINES
from index.milvus_backend import VECTOR_INDEXES, MilvusTarget
from index.parallel import ENGINES

DEFAULT_CONFIG_FILE = "newsdesk.yaml"
MODES = ("hybrid", "dense", "keyword")
ANSWERERS = ("extractive", "generative")
BACKENDS = ("local", "milvus")
MILVUS_ENV = "NEWSDESK_MILVUS_"  # + URI, COLLECTION, TOKEN, USER, PASSWORD: the environment wins over the file


@dataclass(frozen=True, slots=True)
class RankPlan:
    """Ranking settings, each with what it trades (defaults chosen on the MultiHop-RAG dev set).

    mode:          "hybrid" (both signals), "dense" (vectors only) or "keyword" (BM25 only).
    candidates:    passages fetched from each side before fusion: more finds articles that rank
                   low on one side, at a small cost in latency (BM25 and the join grow with it;
                   on the dev set 300 against 200: MRR@10 +0.1 points with tantivy).
    dense_weight:  share of the dense score in an article's fused score (keyword gets the rest):
                   higher helps paraphrased questions, lower helps questions full of names and figures.
    outlet_boost:  added to articles from an outlet the question names: helps "as reported by X";
                   too high lets any article from X beat the right article from elsewhere.
    date_boost:    added to articles published on a day the question names ("on November 9, 2023").
    month_boost:   added to articles published in a month the question names ("in October 2023").
    per_article:   passages of one article before the next article is shown: 1 covers the most
                   articles in the top k (best recall for multi-article questions); more gives an
                   answer more context from the top article.
    title_weight:  BM25 weight of a match in the title, relative to the passage text (FTS5 reads it
                   per query; tantivy has the default, 2, built in: the title is indexed twice).
    meta_weight:   BM25 weight of a match in the outlet/author/date line (likewise; tantivy: 1).
    clause_weight: share of the ranking given to covering every part of a multi-part question
                   (each part searched on its own, see `_cover`): higher brings an article for
                   each clause into the top k, at some cost to the rank of the single best
                   article (MRR); 0 turns part searches off. A plain question has one part and is
                   ranked the same either way. Each part costs one more BM25 query.
    clause_candidates: BM25 passages fetched per part (fewer than for the question: only the best
                   few articles of a part matter; 100 measured +0.1 points of recall@10 over 50). Parts are searched by keyword only: embedding
                   each clause doubled latency and measured slightly worse.
    outlet_aspects: when the question names two or more outlets, treat each as a part to cover,
                   so the best article of every named outlet gets a place.
    keyword_engine: "tantivy" or "fts5" (see Config), or None for the one the index was written with.
    """

    mode: str = "hybrid"
    candidates: int = 300
    dense_weight: float = 0.3
    outlet_boost: float = 0.4
    date_boost: float = 0.2
    month_boost: float = 0.05
    per_article: int = 1
    title_weight: float = 2.0
    meta_weight: float = 1.0
    clause_weight: float = 0.65
    clause_candidates: int = 100
    outlet_aspects: bool = True
    keyword_engine: str | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"search mode {self.mode!r} is not one of {', '.join(MODES)}", "use search_mode: hybrid")
        if not 0.0 <= self.dense_weight <= 1.0:
            raise ConfigError(f"dense_weight {self.dense_weight} is outside 0..1", "use a share such as 0.3")
        if not 0.0 <= self.clause_weight <= 1.0:
            raise ConfigError(f"clause_weight {self.clause_weight} is outside 0..1", "use a share such as 0.65")
        if self.candidates < 1 or self.per_article < 1:
            raise ConfigError(f"candidates={self.candidates} and per_article={self.per_article} must be at least 1",
                              "use candidates: 300, per_article: 1")


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
    embed_tokens:  tokens of each passage the model reads (capped at the model's 256): 128 embeds
                   about 2x faster on CPU, because the model's cost is linear in tokens, while the
                   keyword index still reads every word; the vectors then see only the context line
                   and the passage's opening (docs/SCALING.md has the measured recall cost).
                   Changing it needs `newsdesk ingest --rebuild`.
    chunk_overlap: tokens of trailing sentences repeated in the next chunk: finds facts that
                   straddle a boundary, at the cost of more chunks.
    top_k:         passages returned per question: more helps recall, costs reading time.
    search_mode:   "hybrid" (keyword + dense, fused per article), "dense" or "keyword" alone.
    dense_weight:  share of the dense score in hybrid ranking: higher favours paraphrase, lower
                   favours names, numbers and rare words (news questions are full of them).
    per_article:   passages of one article before the next article appears: 1 spreads the top_k
                   over the most articles (comparisons need several); more gives deeper context.
    clause_weight: how much ranking favours covering every part of a multi-part question (each
                   clause searched on its own): higher finds an article per clause, lower keeps the
                   single best match first; 0 turns it off (faster: no extra search per clause).
    news_cues:     boost articles from outlets, and published on dates, that the question names.
                   Never filters; turn off only to measure what the cues add.
    index_type:    vector index: "auto" (exact "flat" below 200,000 chunks, "ivf-sq8" above:
                   4x less memory and ~20x faster at 1M chunks for ~2% of exact recall), or either
                   forced. A change converts the index from stored vectors at the next ingest.
    ingest_engine: where ingest parses, chunks and embeds: "local" (this machine) or "ray" (Ray Data;
                   a private local Ray, or the cluster at ray_address). The same documents either way.
    ingest_workers: local engine: processes that parse and chunk (1: none; 0: one per core on machines
                   with 4+ cores, for inputs of 16+ files or 256+ articles, where start-up pays off);
                   ray engine without an address: CPUs of the local Ray (0: all).
    ray_address:   a Ray cluster ("ray://head:10001" or "auto"); $RAY_ADDRESS overrides it; empty: local.
    keyword_engine: BM25 engine of the keyword side: "tantivy" (the default: an index beside the
                   store, ~17 ms a query at 1M chunks) or "fts5" (SQLite's, inside the store: ~3 s a
                   query at 1M; on the dev set 0.2 points of MRR@10 above tantivy, 0.4 below at
                   recall@5). An ingest keeps only the configured one; searching with the other
                   rebuilds it from the store (no re-embedding): in memory for tantivy, in the store
                   for FTS5.
    password:      when set, `newsdesk serve` asks for it on a login page (any user name).
                   $NEWSDESK_PASSWORD overrides it and keeps it out of files; null: no login.
    answerer:      "extractive" (quotes the passages; needs nothing more) or "generative" (a chat model
                   behind the `llm` server writes the answer, every claim then grounded in an exact span
                   of a passage; when the server fails, the extractive answer is shown, labelled).
    llm:           the generative answerer's server (`LLMSettings`): base_url, model, api_key_env,
                   timeout, total_timeout, max_tokens, context_tokens, temperature, extra_body.
    backend:       where the passages' vectors, keyword terms and filter fields live: "local" (vectors.faiss
                   and the keyword index in the index folder) or "milvus" (one Milvus collection, which any
                   number of servers share; documents and text stay in the store). Switching fills the
                   collection from the stored vectors, no re-embedding (docs/SCALING.md, "Milvus backend").
    milvus:        the collection of backend: milvus (`index.milvus_backend.MilvusTarget`): uri, collection,
                   token or user and password, vector_index; $NEWSDESK_MILVUS_URI, _COLLECTION, _TOKEN, _USER
                   and _PASSWORD override them (keep credentials out of files).
    """

    index_dir: str = "data/index"
    model: str = "all-MiniLM-L6-v2"
    device: str | None = None
    batch_size: int = 64
    chunk_tokens: int = 256
    embed_tokens: int = 256
    chunk_overlap: int = 32
    top_k: int = 5
    search_mode: str = "hybrid"
    dense_weight: float = RankPlan().dense_weight
    per_article: int = RankPlan().per_article
    clause_weight: float = RankPlan().clause_weight
    news_cues: bool = True
    index_type: str = "auto"
    ingest_engine: str = "local"
    ingest_workers: int = 0
    ray_address: str = ""
    keyword_engine: str = DEFAULT_ENGINE
    password: str | None = None
    answerer: str = "extractive"
    llm: LLMSettings = LLMSettings()
    backend: str = "local"
    milvus: MilvusTarget = MilvusTarget()

    def encoder(self, cls: type[Encoder] = Encoder) -> Encoder:
        """The embedding model these settings describe (it loads on first use); `cls` may be a subclass."""
        return cls(self.model, device=self.device, batch_size=self.batch_size, read_tokens=self.embed_tokens)

    def chunk_plan(self) -> ChunkPlan:
        return ChunkPlan(max_tokens=self.chunk_tokens, overlap_tokens=self.chunk_overlap)

    def rank_plan(self) -> RankPlan:
        cues = {} if self.news_cues else {"outlet_boost": 0.0, "date_boost": 0.0, "month_boost": 0.0,
                                          "outlet_aspects": False}
        return RankPlan(mode=self.search_mode, dense_weight=self.dense_weight, per_article=self.per_article,
                        clause_weight=self.clause_weight, keyword_engine=self.keyword_engine, **cues)

    def milvus_target(self) -> MilvusTarget | None:
        """The Milvus collection of backend: milvus, the environment's values over the file's; None: local."""
        if self.backend != "milvus":
            return None
        env = {k: os.environ[MILVUS_ENV + k.upper()] for k in _MILVUS_KEYS if os.environ.get(MILVUS_ENV + k.upper())}
        return _milvus_settings({**_as_dict(self.milvus), **env}, f"the config or ${MILVUS_ENV}*")

    def with_overrides(self, **values: object) -> "Config":
        """A copy with the given non-None values replaced (command-line flags)."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})


_CHOICES = {"search_mode": MODES, "index_type": INDEX_TYPES, "keyword_engine": KEYWORD_ENGINES,
            "ingest_engine": ENGINES, "answerer": ANSWERERS, "backend": BACKENDS}
_RANGES = {"batch_size": (1, 4096), "chunk_tokens": (32, 512), "embed_tokens": (16, 512), "chunk_overlap": (0, 128), "top_k": (1, 100),
           "dense_weight": (0.0, 1.0), "per_article": (1, 100), "clause_weight": (0.0, 1.0), "ingest_workers": (0, 256)}


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
        _refuse_unknown(key, known, path, repr(key))
    defaults = Config()
    raw = dict(raw)
    for key, value in raw.items():
        expected = type(getattr(defaults, key))
        if key == "llm":
            raw[key] = _llm_settings(value, path)
            continue
        if key == "milvus":
            raw[key] = _milvus_settings(value, path)
            continue
        if key == "password":
            if value is not None and (not isinstance(value, str) or not value):
                raise ConfigError(f"password in {path} must be non-empty text or null", 'quote it: password: "..."')
            continue
        if key == "device":
            if value not in (None, "cpu", "cuda") and not str(value).startswith("cuda:"):
                raise ConfigError(f"device {value!r} in {path} is not cpu, cuda or null", "set device: cpu")
            continue
        if expected is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise ConfigError(f"{key} in {path} must be a whole number, got {value!r}", f"for example {key}: {getattr(defaults, key)}")
        if expected is float and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ConfigError(f"{key} in {path} must be a number, got {value!r}", f"for example {key}: {getattr(defaults, key)}")
        if expected is bool and not isinstance(value, bool):
            raise ConfigError(f"{key} in {path} must be true or false, got {value!r}", f"write {key}: true")
        choices = _CHOICES.get(key)
        if choices and value not in choices:
            raise ConfigError(f"{key} {value!r} in {path} is not one of {', '.join(choices)}",
                              f"set {key}: {getattr(defaults, key)}")
        if expected is str and not isinstance(value, str):
            raise ConfigError(f"{key} in {path} must be text, got {value!r}", f"quote it: {key}: \"{value}\"")
        lo_hi = _RANGES.get(key)
        if lo_hi and not lo_hi[0] <= value <= lo_hi[1]:
            raise ConfigError(f"{key} in {path} is {value}, outside {lo_hi[0]}..{lo_hi[1]}", f"pick a value in that range")
    return Config(**raw)


def _refuse_unknown(key: object, known: Collection[str], path: Path | str, shown: str) -> None:
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


def _llm_settings(value: object, path: Path) -> LLMSettings:
    """The `llm:` block checked like the top level: a mapping, known keys only, each of the right kind."""
    if value is None:
        return LLMSettings()
    known = _block_keys("llm", value, LLMSettings, path)
    for key, item in value.items():
        _refuse_unknown(key, known, path, f"llm.{key}")
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


_MILVUS_KEYS = ("uri", "collection", "token", "user", "password")
_MILVUS_FIXES = {"uri": "write uri: http://127.0.0.1:19530 (a server) or uri: ./milvus.db (milvus-lite, one process)",
                 "collection": "use letters, digits and _, starting with a letter, e.g. collection: newsdesk",
                 "vector_index": f"use one of {', '.join(VECTOR_INDEXES)}"}


def _as_dict(target: MilvusTarget) -> dict:
    return {f.name: getattr(target, f.name) for f in fields(MilvusTarget)}


def _milvus_settings(value: object, path: Path | str) -> MilvusTarget:
    """The `milvus:` block checked like `llm:`; secrets are never echoed in a message."""
    if value is None:
        return MilvusTarget()
    known = _block_keys("milvus", value, MilvusTarget, path)
    for key, item in value.items():
        _refuse_unknown(key, known, path, f"milvus.{key}")
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
