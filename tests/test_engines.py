"""Every ingest engine writes the same index: serial, the local process pool, and Ray.

The corpus mixes what the planner must settle in file order (a url repeated
across files, a stub taken over by a full article, a broken file), so an engine
that returned parse results out of order, or chunked a different set of
documents, would show up as a different index, not just a slower one.
"""
from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from index.errors import ConfigError, ParseError
from index.ingest import IngestRun, ingest
from index.storage.layout import IndexDir
from index.ingest.parallel import ProcessPool, Serial, runner_for
from index.parse.source import ParseNote
from qa.config import _validated
from index.settings import IndexSettings


def _corpus(folder: Path) -> Path:
    folder.mkdir()
    for n in range(6):  # one file per article, so parsing has several files to spread
        art = {"url": f"https://news.example/{n}", "title": f"Story {n}", "source": "Example Times",
               "published_at": f"2023-10-{n + 1:02d} 08:00:00Z", "body": f"Story {n} is about subject{n}. " * (20 + 15 * n)}
        (folder / f"a{n}.json").write_text(json.dumps(art))
    many = [{"url": f"https://news.example/m{n}", "title": f"Wire {n}", "source": "Wire",
             "body": f"Wire item {n} on topic{n % 5}. Second sentence {n}. " * (3 + n % 7)} for n in range(40)]
    many.append({"url": "https://news.example/2", "title": "Copy", "source": "Copy", "body": "A repeated url."})
    (folder / "b_wire.jsonl").write_text("".join(json.dumps(a) + "\n" for a in many))
    (folder / "c_broken.jsonl").write_text('{"title": "no body"}\nnot json\n')
    return folder


def _snapshot(index_dir: Path) -> tuple[dict, dict, dict]:
    """Documents (every stored field), chunks (id -> doc, span) and vectors (id -> vector) of an index."""
    idx = IndexDir.open(index_dir)
    try:
        store = idx.store
        docs = {d: store.document(d) for d in store.doc_hashes()}
        vectors = {int(i): v.copy() for ids, vecs in store.iter_vectors(idx.dim) for i, v in zip(ids, vecs)}
        chunks = {i: (c.doc_id, c.start, c.end) for i, c in store.chunks(sorted(vectors)).items()}
        assert len(idx.engines.vectors()) == len(vectors)  # the vector index holds every stored chunk
        return docs, chunks, vectors
    finally:
        idx.close()


def _same(a, b, atol: float = 0.0) -> None:
    docs_a, chunks_a, vecs_a = a
    docs_b, chunks_b, vecs_b = b
    assert docs_a == docs_b
    assert chunks_a == chunks_b
    assert vecs_a.keys() == vecs_b.keys()
    worst = max(float(np.abs(vecs_a[i] - vecs_b[i]).max()) for i in vecs_a)
    assert worst <= atol, f"vectors differ by {worst}"


def _ingest_both(tmp_path, encoder, runner):
    articles = _corpus(tmp_path / "articles")
    plain = ingest([articles], tmp_path / "plain", encoder)
    local = len(getattr(encoder, "encoded", ()))
    try:
        other = ingest([articles], tmp_path / "other", encoder, IndexSettings(), IngestRun(runner=runner))
        again = ingest([articles], tmp_path / "other", encoder, IndexSettings(), IngestRun(runner=runner))
        # The pool really ran (not its serial fallback for small inputs).
        assert not isinstance(runner, ProcessPool) or runner._pool is not None
    finally:
        if isinstance(runner, ProcessPool):
            runner.close()  # the Ray runner is the module's, closed by its fixture
    assert plain.added == other.added == other.total_documents > 40
    assert (sorted(map(str, plain.errors)), sorted(plain.warnings)) == (sorted(map(str, other.errors)), sorted(other.warnings))
    assert again.unchanged == plain.added and again.chunks == 0  # the second run finds nothing to do
    if hasattr(encoder, "encoded") and not isinstance(runner, Serial):  # Ray (the pool embeds here)
        assert len(encoder.encoded) == local  # every vector came from the actors: no silent local fallback
    return _snapshot(tmp_path / "plain"), _snapshot(tmp_path / "other")


def test_process_pool_writes_the_serial_index(tmp_path, fake_encoder):
    _same(*_ingest_both(tmp_path, fake_encoder, ProcessPool(workers=2)))


def test_parse_errors_survive_a_trip_to_a_worker():
    for error in (ParseError("a/b.jsonl", "line is not JSON", "fix it", line=3), ParseNote("c.html", "date dropped")):
        back = pickle.loads(pickle.dumps(error))
        assert type(back) is type(error) and str(back) == str(error) and back.__dict__ == error.__dict__


def test_engine_settings_are_checked():
    assert isinstance(runner_for("local", 1), Serial)
    with pytest.raises(ConfigError, match="'spark'"):
        runner_for("spark")
    with pytest.raises(ConfigError, match="ingest_engine 'spark'"):
        _validated({"ingest_engine": "spark"}, Path("newsdesk.yaml"))
    assert _validated({"ingest_engine": "ray", "ingest_workers": 4}, Path("x")).ingest_workers == 4


@pytest.fixture(scope="module")
def ray_runner():
    pytest.importorskip("ray", reason="ray[data] is not installed (pip install 'newsdesk[ray]')")
    # Ray's workers are fresh processes: they find newsdesk (and tests.fakes) through PYTHONPATH.
    root = str(Path(__file__).resolve().parent.parent)
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (root, old) if p)
    runner = runner_for("ray", 2)  # one local Ray (about 15 s to start) for both tests
    yield runner
    runner.close()
    if old is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = old


@pytest.mark.ray
def test_ray_writes_the_local_index(tmp_path, fake_encoder, ray_runner):
    # A fake encoder is a pure function of the text: any difference is the pipeline's, so exact equality.
    _same(*_ingest_both(tmp_path, fake_encoder, ray_runner))


@pytest.mark.ray
@pytest.mark.model
def test_ray_with_the_real_model_gives_the_local_vectors(tmp_path, real_encoder, ray_runner):
    # The model batches texts differently on the actors (other padding), hence a float tolerance.
    _same(*_ingest_both(tmp_path, real_encoder, ray_runner), atol=1e-4)


def test_a_local_ray_that_misses_its_startup_window_is_started_once_more(monkeypatch):
    """Ray gives its raylet a fixed 30 s to register; on a machine busy with other work that can be missed.
    The runner stops that Ray and starts it again once; any other failure, or a second miss, is raised."""
    ray_ingest = pytest.importorskip("index.ingest.ray_ingest")
    calls: list[str] = []

    def init(**kwargs):
        calls.append("init")
        if calls.count("init") == 1:
            raise Exception("The current node timed out during startup. This could happen because ...")

    monkeypatch.setattr(ray_ingest.ray, "init", init)
    monkeypatch.setattr(ray_ingest.ray, "shutdown", lambda: calls.append("shutdown"))
    ray_ingest.RayRunner(num_cpus=1)._start_local()
    assert calls == ["init", "shutdown", "init"]

    def always(**kwargs):
        raise Exception("The current node timed out during startup.")

    monkeypatch.setattr(ray_ingest.ray, "init", always)
    with pytest.raises(Exception, match="timed out during startup"):
        ray_ingest.RayRunner(num_cpus=1)._start_local()
    monkeypatch.setattr(ray_ingest.ray, "init", lambda **kw: (_ for _ in ()).throw(ValueError("bad address")))
    with pytest.raises(ValueError, match="bad address"):
        ray_ingest.RayRunner(num_cpus=1)._start_local()
