"""Writing an ingest's changes: embed what is new, commit in crash-safe batches, update the vectors.

Batches hold whole documents (at most BATCH_CHUNKS chunks, unless one document is
larger). Each batch is one SQLite transaction, applied to the vector index and
then to the keyword engine (index.keyword) only after it commits: the store is
always first, and a derived index a crash left behind is caught up from it by
generation and chunk id when it is next opened (index.keyword.tantivy_engine).
With `backend: milvus` the order turns round (index.milvus_backend): the batch's
vectors, terms and filter fields go to Milvus first, the transaction that makes
its documents visible commits last, and the rows of chunks it dropped are deleted
after it; readers drop hits the store does not hold, and the next open deletes
rows a crash left behind. Embedding the next batch on a thread while this one is written
was tried and measured no faster on a GPU (the model's Python-side tokenising and
the writes contend for the interpreter lock), so batches run one after another.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from index.document import Chunk, Document
from index.embed import Encoder
from index.layout import IndexDir
from index.store import vec_key

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
    if index.milvus_target is None:  # either side is caught up with the store before this run's first batch
        index.keywords(write=True)
    else:
        index.milvus(write=True)  # None until the first batch gives the index its dimension
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
    """Embed what the batch needs, commit it in one transaction, then apply it to the vector index."""
    store = index.store
    chunks = [c for _, docs, _ in batch for _, cs in docs for c in cs]
    texts = {vec_key(c.embed_text): c.embed_text for c in chunks}
    known = store.known_vectors(texts)
    missing = [k for k in texts if k not in known]
    vectors = encoder.encode([texts[k] for k in missing], progress=step(len(missing)) if step else None) \
        if missing else None
    if vectors is not None and index.dim is None:
        store.set_meta(dim=vectors.shape[1])
    milvus = index.milvus(write=True)
    if milvus is not None:  # its passages go in before the transaction makes the documents visible
        by_key = dict(zip(missing, vectors)) if vectors is not None else {}
        stored = [k for k in texts if k not in by_key]
        by_key |= dict(zip(stored, store.vectors_for(stored, index.dim or 0)))
        milvus.put([(doc, [(c.chunk_id, c.text) for c in cs]) for _, docs, _ in batch for doc, cs in docs],
                   {c.chunk_id: by_key[vec_key(c.embed_text)] for c in chunks})
    else:
        vecs = index.vectors()  # loaded (or rebuilt) before this batch commits
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
    ids = [c.chunk_id for c in chunks]
    if milvus is not None:
        milvus.remove(set(dropped) - set(ids))  # old versions; rows of kept chunks were just overwritten
        milvus.commit(store.generation())
        return len(ids), len(missing)
    vecs.remove(dropped + ids)  # removing before adding keeps ids unique even if a chunk reappears
    vecs.add(ids, store.vectors_for([vec_key(c.embed_text) for c in chunks], index.dim or 0))
    keywords = index.keywords(write=True)
    keywords.update(dropped + ids, [(doc, [(c.chunk_id, c.text) for c in cs]) for _, docs, _ in batch for doc, cs in docs])
    keywords.commit(store.generation())
    return len(ids), len(missing)


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
