"""The speed and scale options: embed_tokens, bench sections, the load report's memory figures."""
from __future__ import annotations

import pytest

from bench.load import _figures
from bench.run import run as run_bench
from index.embed import BUNDLED_MODEL, Encoder
from index.errors import ConfigError, IndexMismatch
from index.storage.layout import IndexDir
from qa.config import Config, load_config


def test_reading_fewer_tokens_is_part_of_the_model_id():
    assert Encoder().model_id == BUNDLED_MODEL
    assert Encoder(read_tokens=512).model_id == BUNDLED_MODEL  # capped at the model's own 256
    fast = Encoder(read_tokens=128)
    assert fast.model_id == f"{BUNDLED_MODEL}, first 128 tokens"
    assert fast.max_tokens == 256 and fast.read_tokens == 128  # chunks stay full size; the model reads less


def test_an_index_built_reading_all_tokens_refuses_a_config_reading_fewer(tmp_path):
    IndexDir.create_or_open(tmp_path / "idx", Encoder().model_id).close()
    with pytest.raises(IndexMismatch, match="first 128 tokens"):
        IndexDir.open(tmp_path / "idx", Config(embed_tokens=128).encoder().model_id)


def test_embed_tokens_is_checked_in_the_config_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("embed_tokens: 128\n")
    assert load_config(path).embed_tokens == 128
    path.write_text("embed_tokens: 4\n")
    with pytest.raises(ConfigError, match="embed_tokens"):
        load_config(path)


def test_bench_rejects_an_unknown_section(tmp_path):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"title": "t", "body": "b"}\n')
    with pytest.raises(ConfigError, match="unknown bench section 'speed'"):
        run_bench(Config(), corpus=corpus, sections=("speed",))


def test_load_report_shows_memory_over_the_run():
    samples = [(t, 600.0 + min(t, 20)) for t in range(60)]  # grows for 20 s, then flat
    f = _figures([("answered", 1.0), ("busy", 0.1), ("error: HTTP 500", 0.2)], 50, 60.0, 600.0, 620.0, samples)
    assert f["answered"] == 1 and f["busy"] == 1 and f["errors"] == 1
    assert f["rss_quarters_mb"] == [615.0, 620.0, 620.0, 620.0] and f["rss_peak_mb"] == 620.0


@pytest.mark.model
def test_the_model_reads_only_the_first_tokens():
    import numpy as np

    fast = Encoder(read_tokens=16)
    assert fast.model.max_seq_length == 16
    opening = "The harbour reopened on Monday after the storm, and the first ferries sailed at dawn."
    a, b = fast.encode([opening + " Football results followed.", opening + " A recipe for soup followed."])
    assert float(np.dot(a, b)) > 0.999  # past the 16th token the text no longer matters
    full = Encoder()
    a, b = full.encode([opening + " Football results followed.", opening + " A recipe for soup followed."])
    assert float(np.dot(a, b)) < 0.99


def test_bench_says_when_its_corpus_gives_nothing_to_embed(tmp_path, monkeypatch):
    from bench import ingest as ingest_bench

    monkeypatch.setattr(ingest_bench, "in_child", lambda fn, *args: {"texts_embedded": 0, "errors": ["too big"]})
    with pytest.raises(ConfigError, match="gave nothing to embed: too big"):
        ingest_bench.run(tmp_path / "c.jsonl", tmp_path, Config())
