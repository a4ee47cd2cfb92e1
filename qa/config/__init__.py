"""newsdesk settings: one frozen `Config`, loaded from YAML with unknown keys rejected.

    __init__.py   `Config`, `load_config` and the top-level checks
    plans.py      `RankPlan`, the ranking settings
    blocks.py     the `llm:` (`LLMSettings`), `milvus:` and `feeds:` blocks

The floor of qa/: it imports only index/, and hands each stage its plan
(`ChunkPlan` for chunking, the `Encoder`, the `RankPlan` that `qa.retrieve.hybrid`
ranks by), so every part of qa/ may read it and it reads none of them.

Where settings come from, strongest first: command-line flags, the file named by
`--config` or the NEWSDESK_CONFIG variable, `./newsdesk.yaml` when it exists,
then the defaults below.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

import yaml

from index.chunk import ChunkPlan
from index.embed import Encoder
from index.errors import ConfigError
from index.engines.faiss_store import INDEX_TYPES
from index.engines.keyword import DEFAULT_ENGINE
from index.engines.keyword import ENGINES as KEYWORD_ENGINES
from index.engines.milvus.rows import MilvusTarget
from index.ingest.parallel import ENGINES
from index.settings import IndexSettings
from index.follow.spec import FeedSpec
from qa.config.blocks import MILVUS_KEYS, LLMSettings, as_dict, feeds_block, llm_block, milvus_block, refuse_unknown
from qa.config.plans import MODES, RankPlan

DEFAULT_CONFIG_FILE = "newsdesk.yaml"
ANSWERERS = ("extractive", "generative")
BACKENDS = ("local", "milvus")
MILVUS_ENV = "NEWSDESK_MILVUS_"  # + URI, COLLECTION, TOKEN, USER, PASSWORD: the environment wins over the file


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
    per_story:     documents of one story (syndicated copies) shown: 1 shows a story once, naming the
                   other outlets ("also reported by"); 0 shows every copy.
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
    now:           the date "the latest", "yesterday" and "last week" are read against: "index" (the newest
                   article's date: an archive's latest is its newest article), "today", or YYYY-MM-DD.
    milvus:        the collection of backend: milvus (`index.engines.milvus.rows.MilvusTarget`): uri, collection,
                   token or user and password, vector_index; $NEWSDESK_MILVUS_URI, _COLLECTION, _TOKEN, _USER
                   and _PASSWORD override them (keep credentials out of files).
    feeds:         feeds `newsdesk follow` (with no URL) and `newsdesk serve` read (`index.follow.FeedSpec`): a
                   list of `- url: https://...` entries with an optional `interval: 15m` (10 s at least).
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
    per_story: int = RankPlan().per_story
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
    now: str = RankPlan().now
    feeds: tuple[FeedSpec, ...] = ()

    def encoder(self, cls: type[Encoder] = Encoder) -> Encoder:
        """The embedding model these settings describe (it loads on first use); `cls` may be a subclass."""
        return cls(self.model, device=self.device, batch_size=self.batch_size, read_tokens=self.embed_tokens)

    def chunk_plan(self) -> ChunkPlan:
        return ChunkPlan(max_tokens=self.chunk_tokens, overlap_tokens=self.chunk_overlap)

    def rank_plan(self) -> RankPlan:
        cues = {} if self.news_cues else {"outlet_boost": 0.0, "date_boost": 0.0, "month_boost": 0.0,
                                          "outlet_aspects": False}
        return RankPlan(mode=self.search_mode, dense_weight=self.dense_weight, per_article=self.per_article,
                        clause_weight=self.clause_weight, keyword_engine=self.keyword_engine, per_story=self.per_story,
                        now=str(self.now), **cues)

    def milvus_target(self) -> MilvusTarget | None:
        """The Milvus collection of backend: milvus, the environment's values over the file's; None: local."""
        if self.backend != "milvus":
            return None
        env = {k: os.environ[MILVUS_ENV + k.upper()] for k in MILVUS_KEYS if os.environ.get(MILVUS_ENV + k.upper())}
        return milvus_block({**as_dict(self.milvus), **env}, f"the config or ${MILVUS_ENV}*")

    def index_settings(self) -> IndexSettings:
        """How an index is built and where its engines live (`index.settings.IndexSettings`): what every
        ingest (the CLI, the web app's uploads, bench, the test helpers) and every open is given."""
        return IndexSettings(chunk=self.chunk_plan(), index_type=self.index_type, keyword_engine=self.keyword_engine,
                             backend=self.milvus_target(), engine=self.ingest_engine, workers=self.ingest_workers,
                             ray_address=self.ray_address)

    def with_overrides(self, **values: object) -> "Config":
        """A copy with the given non-None values replaced (command-line flags)."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})


_CHOICES = {"search_mode": MODES, "index_type": INDEX_TYPES, "keyword_engine": KEYWORD_ENGINES,
            "ingest_engine": ENGINES, "answerer": ANSWERERS, "backend": BACKENDS}
_RANGES = {"batch_size": (1, 4096), "chunk_tokens": (32, 512), "embed_tokens": (16, 512), "chunk_overlap": (0, 128), "top_k": (1, 100),
           "dense_weight": (0.0, 1.0), "per_article": (1, 100), "per_story": (0, 100), "clause_weight": (0.0, 1.0), "ingest_workers": (0, 256)}


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
        refuse_unknown(key, known, path, repr(key))
    defaults = Config()
    raw = dict(raw)
    for key, value in raw.items():
        expected = type(getattr(defaults, key))
        if key == "llm":
            raw[key] = llm_block(value, path)
            continue
        if key == "milvus":
            raw[key] = milvus_block(value, path)
            continue
        if key == "feeds":
            raw[key] = feeds_block(value, path)
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
            raise ConfigError(f"{key} in {path} is {value}, outside {lo_hi[0]}..{lo_hi[1]}", "pick a value in that range")
    return Config(**raw)


