"""Writing an ingest's changes: embed what is new, commit in crash-safe batches, hand them to the engines.

Batches hold whole documents (at most BATCH_CHUNKS chunks, unless one document is
larger). Each batch is one SQLite transaction. The index's engine pair (index.engines)
sees it twice: `stage` before the transaction (the Milvus pair writes the batch's rows
there, so a reader, which drops hits the store lacks, never sees a document without its
passages) and `apply` after it (the local pair adds it to the FAISS index and the keyword
engine, so a crash leaves them behind the store, never ahead; the Milvus pair deletes the
dropped rows). Each pair records the store generation it reflects and is caught up from
the store when it is behind. Embedding the next batch on a thread while this one is
written was tried and measured no faster on a GPU (the model's Python-side tokenising and
the writes contend for the interpreter lock), so batches run one after another.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from index.document import Chunk, Document
from index.embed import Encoder
from index.storage.layout import IndexDir
from index.storage.store import vec_key

BATCH_CHUNKS = 1024  # chunks embedded per committed batch: bounds the work lost to a crash

ProgressFn = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class Pending:
    """A changed file: its documents and their chunks, waiting to be embedded and committed."""

    file: str
    root: str
    sha256: str
    docs: list[tuple[Document, list[Chunk]]] = field(default_factory=list)  # to (re)write
    drop: list[str] = field(default_factory=list)  # doc ids that left the file (or vanished with it)
    forget: list[str] = field(default_factory=list)  # file rows to delete (sync)


Unit = tuple[Pending, list[tuple[Document, list[Chunk]]], bool]


def write_pending(index: IndexDir, pending: list[Pending], encoder: Encoder,
                  progress: ProgressFn | None) -> tuple[int, int]:
    """Embed and commit every pending file's documents; returns (chunks written, texts embedded)."""
    total = sum(len(chunks) for item in pending for _, chunks in item.docs)
    done = written = embedded = 0
    index.engines.begin()  # caught up with the store before this run's first batch
    for batch, size in _batches(_units(pending)):
        w, e = _commit(index, batch, encoder, _progress_within(progress, done, size, total))
        written, embedded, done = written + w, embedded + e, done + size
        if progress:
            progress("embed", done, total)
    return written, embedded


def _units(pending: list[Pending]) -> Iterator[Unit]:
    """Split each file's documents into pieces of at most BATCH_CHUNKS chunks; the flag marks a file's last piece.

    A document is never split, and a changed document is deleted and rewritten in
    the same transaction, so a crash never leaves a partial or missing document.
    A file's row (its hash) is written with its last piece only: a file whose
    pieces were not all committed is parsed again by the next run, which then
    finds the committed documents unchanged.
    """
    for item in pending:
        piece: list[tuple[Document, list[Chunk]]] = []
        size = 0
        for doc, chunks in item.docs:
            if piece and size + len(chunks) > BATCH_CHUNKS:
                yield item, piece, False
                piece, size = [], 0
            piece.append((doc, chunks))
            size += len(chunks)
        yield item, piece, True


def _batches(units: Iterable[Unit]) -> Iterator[tuple[list[Unit], int]]:
    """Consecutive units grouped until a group holds BATCH_CHUNKS chunks, with each group's chunk count."""
    batch: list[Unit] = []
    size = 0
    for unit in units:
        batch.append(unit)
        size += sum(len(c) for _, c in unit[1])
        if size >= BATCH_CHUNKS:
            yield batch, size
            batch, size = [], 0
    if batch:
        yield batch, size


def _commit(index: IndexDir, batch: list[Unit], encoder: Encoder, step) -> tuple[int, int]:
    """Embed what the batch needs, then stage it with the engines, commit it in one transaction, and apply it."""
    store = index.store
    chunks = [c for _, docs, _ in batch for _, cs in docs for c in cs]
    texts = {vec_key(c.embed_text): c.embed_text for c in chunks}
    known = store.known_vectors(texts)
    missing = [k for k in texts if k not in known]
    vectors = encoder.encode([texts[k] for k in missing], progress=step(len(missing)) if step else None) \
        if missing else None
    if vectors is not None and index.dim is None:
        store.set_meta(dim=vectors.shape[1])
    by_key = dict(zip(missing, vectors)) if vectors is not None else {}
    stored = [k for k in texts if k not in by_key]
    by_key |= dict(zip(stored, store.vectors_for(stored, index.dim or 0)))
    by_chunk = {c.chunk_id: by_key[vec_key(c.embed_text)] for c in chunks}
    passages = [(doc, [(c.chunk_id, c.text) for c in cs]) for _, docs, _ in batch for doc, cs in docs]
    index.engines.stage(passages, by_chunk)
    dropped: list[int] = []
    with store.transaction():
        if vectors is not None:
            store.put_vectors(missing, vectors)
        for item, docs, last in batch:
            for doc, cs in docs:
                dropped += store.delete_document(doc.doc_id)
                store.put_document(doc, item.file, cs)
            if last:
                for doc_id in item.drop:
                    dropped += store.delete_document(doc_id)
                if item.sha256:
                    store.put_file(item.file, item.root, item.sha256)
                for f in item.forget:
                    store.delete_file(f)
        if dropped:
            store.drop_orphan_vectors()
    index.engines.apply(dropped, passages, by_chunk, store.generation())
    return len(chunks), len(missing)


def _progress_within(progress: ProgressFn | None, done: int, size: int, total: int):
    """A factory of per-step callbacks that spread a batch's `size` chunks over its `to_embed` texts."""
    if progress is None:
        return None

    def for_batch(to_embed: int):
        encoded = 0

        def step(n: int) -> None:
            nonlocal encoded
            encoded += n
            progress("embed", done + size * encoded // max(1, to_embed), total)

        return step

    return for_batch
