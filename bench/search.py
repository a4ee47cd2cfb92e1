"""Search at scale: latency, memory, disk and approximate-search recall at 10k..1M chunks.

Large corpora are synthesised from a real ingested sample: every real article
is copied under new ids, and each copy's chunk vectors are the real ones plus a
little Gaussian noise (cosine ~0.9 to the original), so the vectors keep the
clustered shape of real embeddings. The documents, chunks, full-text rows and
vectors go through the normal store, and queries take the real path from
question text to cited hits. The keyword side is built afterwards from the
stored chunks, timed on its own, for each engine asked (tantivy, FTS5): both
read the same store, so their rows of the table differ only in that engine. Synthetic copies make exact-search neighbours
unusually tight, so the recall figure is a conservative stand-in for real data. The copies
are not grouped into stories (each stands in for a distinct article).
"""
from __future__ import annotations

import dataclasses
import statistics
import time
from pathlib import Path

import numpy as np

from index.document import Chunk
from index.embed import Encoder
from index.engines.faiss_store import IndexSpec, VectorIndex, choose_spec
from index.storage.layout import IndexDir
from index.storage.store import vec_key
from qa.retrieve.retriever import Retriever

NOISE = 0.025  # per-dimension std of the noise added to copied vectors


def _base(sample_dir: Path) -> tuple[list, dict[str, list], dict[int, np.ndarray], int]:
    """The real sample: documents, their chunks, and each chunk's vector."""
    base = IndexDir.open(sample_dir)
    dim = base.dim
    vectors: dict[int, np.ndarray] = {}
    for ids, vecs in base.store.iter_vectors(dim):
        vectors.update(zip(ids.tolist(), vecs))
    rows = base.store.chunks(list(vectors))
    docs = [base.store.document(d) for d in base.store.doc_hashes()]
    by_doc: dict[str, list] = {}
    for row in sorted(rows.values(), key=lambda r: r.start):
        by_doc.setdefault(row.doc_id, []).append(row)
    base.close()
    return docs, by_doc, vectors, dim


def build_synthetic(sample_dir: Path, target: Path, n_chunks: int, seed: int = 0) -> float:
    """Fill a new index at `target` with about `n_chunks` chunks (no keyword index yet, see
    `build_keywords`); returns the vector-index build seconds."""
    docs, by_doc, vectors, dim = _base(sample_dir)
    rng = np.random.default_rng(seed)
    index = IndexDir.create_or_open(target, IndexDir.open(sample_dir).model_id)
    index.store.set_meta(dim=dim)
    index.store.drop_fts5()
    written, copy = 0, 0
    while written < n_chunks:
        with index.store.transaction():
            for doc in docs:
                rows = by_doc.get(doc.doc_id, [])
                if not rows or written >= n_chunks:
                    continue
                new = dataclasses.replace(doc, doc_id=f"{doc.doc_id}#copy{copy}", url=doc.url and f"{doc.url}#copy{copy}")
                chunks = [Chunk(Chunk.make_id(new.doc_id, r.start, r.end, r.text), new.doc_id, n, r.start, r.end,
                                r.text, f"{doc.title} | copy {copy}") for n, r in enumerate(rows)]
                noisy = np.stack([vectors[r.chunk_id] for r in rows]) + rng.normal(0, NOISE, (len(rows), dim))
                noisy = (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)
                index.store.put_vectors([vec_key(c.embed_text) for c in chunks], noisy)
                index.store.put_document(new, "synthetic", chunks)
                written += len(chunks)
        copy += 1
    distinct_stories(index.store)
    t0 = time.perf_counter()
    index.engines.save()  # picks the index type for this size and builds it from the stored vectors
    build_s = time.perf_counter() - t0
    index.close()
    return build_s


def distinct_stories(store) -> None:
    """Each synthetic copy its own story: ingest groups identical texts into one story (index.storage.stories),
    but the copies stand in for distinct articles, and a corpus where every article has a hundred copies would
    measure the story collapse, not search."""
    with store.transaction(bump=False):
        store.stories.fill([])


def ungroup(target: Path) -> None:
    """`distinct_stories` on a kept synthetic index (one built before its copies were kept apart)."""
    reader = IndexDir.open(target)
    model, shared = reader.model_id, reader.store.stories.any_shared()
    reader.close()
    if shared:
        index = IndexDir.create_or_open(target, model)
        distinct_stories(index.store)
        index.close()


def is_complete(target: Path) -> bool:
    """Whether `target` holds a synthetic index `build_synthetic` finished (its manifest is written last)."""
    try:
        index = IndexDir.open(target)
    except Exception:  # noqa: BLE001  (missing, half-written or damaged: built again)
        return False
    try:
        return index.manifest().get("generation") == index.generation
    finally:
        index.close()


def build_keywords(target: Path, engine: str, measure: bool = True) -> dict:
    """Build the keyword index of `engine` from the stored chunks (as an ingest would keep it); its wall and
    CPU seconds and its size on disk per chunk. `measure=False` (a kept index): bring it up to date only,
    and report nothing."""
    reader = IndexDir.open(target)
    model = reader.model_id
    reader.close()
    index = IndexDir.create_or_open(target, model)  # a writer: readers never change a store
    if not measure:
        if engine == "fts5":
            index.engines.keywords("fts5")  # refilled only if the store was written without it
        else:
            index.engines.keywords(engine, write=True)
        index.close()
        return {}
    n = max(1, index.store.counts()["chunks"])
    before = _disk(target)
    t0, c0 = time.perf_counter(), time.process_time()
    if engine == "fts5":
        index.store.fill_fts5()
    else:
        index.engines.keywords(engine, write=True)  # a store ahead of its (missing) keyword index: filled from it
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    index.close()
    return {"build_s": round(wall, 1), "build_cpu_s": round(cpu, 1),
            "disk_bytes_per_chunk": round((_disk(target) - before) / n)}


def _disk(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def serve_latency(target: str, config, questions: list[str], budget_s: float = 60.0,
                  modes: tuple[str, ...] = ("hybrid", "dense")) -> dict:
    """In a fresh process: open the index as a server would and answer `questions` in each of `modes`;
    p50/p95 latency (wall and CPU time of the process: CPU stays honest when other work shares the
    cores) of each and peak memory. Each mode stops after `budget_s` (at least 20 questions), so a
    slow mode at 1M chunks still finishes."""
    import resource

    encoder = config.encoder()
    t0 = time.perf_counter()
    retriever = Retriever(IndexDir.open(target, encoder.model_id), encoder, config.rank_plan())
    retriever.search(questions[0], k=10)
    open_s = time.perf_counter() - t0
    result = {"open_s": round(open_s, 2)}
    plan = retriever.plan
    for mode in modes:
        label = "" if mode == plan.mode else f"{mode}_"
        retriever.plan = dataclasses.replace(plan, mode=mode)
        for q in questions[:3]:
            retriever.search(q, k=10)
        latencies: list[float] = []
        cpu: list[float] = []
        start = time.perf_counter()
        for q in questions:
            t0, c0 = time.perf_counter(), time.process_time()
            retriever.search(q, k=10)
            latencies.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            if len(latencies) >= 20 and time.perf_counter() - start > budget_s:
                break
        result |= {f"{label}p50_ms": round(statistics.median(latencies), 1),
                   f"{label}p95_ms": round(float(np.percentile(latencies, 95)), 1),
                   f"{label}cpu_p50_ms": round(statistics.median(cpu), 1), f"{label}timed": len(latencies)}
    retriever.close()
    result["serve_peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result


def compare(target: Path, encoder: Encoder, questions: list[str]) -> dict:
    """Index memory and disk per chunk (store and vectors: run it before `build_keywords`, which reports
    each keyword index's own size), and flat against IVF over the same stored vectors:
    vector-search p50 and IVF recall@10 against exact search (the threshold's evidence)."""
    index = IndexDir.open(target, encoder.model_id)
    vectors = index.engines.vectors()
    n = len(vectors)
    queries = [encoder.encode_query(q) for q in questions]
    exact = vectors if vectors.spec.kind == "flat" else index.engines.build(IndexSpec("flat"))
    ivf = vectors if vectors.spec.kind != "flat" else index.engines.build(choose_spec(n, "ivf-sq8"))
    disk = _disk(target)
    result = {
        "chunks": n, "index": vectors.spec.kind, "nlist": vectors.spec.nlist, "nprobe": vectors.spec.nprobe,
        "index_bytes_per_chunk": round(vectors.memory_bytes() / n),
        "disk_bytes_per_chunk_before_keywords": round(disk / n),
        "recall@10_vs_exact": round(_agreement(exact, vectors, queries), 4),
        "flat_search_p50_ms": round(_p50_ms(exact, queries), 2),
        "ivf_search_p50_ms": round(_p50_ms(ivf, queries), 2),
        "ivf_recall@10_vs_exact": round(_agreement(exact, ivf, queries), 4),
        "ivf_bytes_per_chunk": round(ivf.memory_bytes() / n),
    }
    index.close()
    return result


def _agreement(exact: VectorIndex, approx: VectorIndex, queries: list[np.ndarray]) -> float:
    ids = lambda v, q: {i for i, _ in v.search(q, 10)}  # noqa: E731
    return float(np.mean([len(ids(exact, q) & ids(approx, q)) / 10 for q in queries]))


def _p50_ms(vectors: VectorIndex, queries: list[np.ndarray]) -> float:
    times = []
    for q in queries:
        t0 = time.perf_counter()
        vectors.search(q, 10)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)
