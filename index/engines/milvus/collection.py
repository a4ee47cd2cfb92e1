"""The Milvus collection of an index (`MilvusIndex`): create it, write the writer's batches, catch it up with
the store, and search it (dense and BM25, the filters as Milvus expressions).

The only module that imports pymilvus (lazily: a local index never loads it). It never
ranks (qa.retrieve.hybrid does) and never writes the store's documents.
"""
from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from typing import Iterable, Sequence

import numpy as np

from index.document import Document
from index.errors import BackendUnavailable, ConfigError, IndexMismatch
from index.engines.milvus.rows import MAX_VALUE_BYTES, MAX_VALUES, MilvusTarget, analyze, expression, rows_of

RECORD_KEY = "milvus"  # store meta: {"uri", "collection", "generation"} the collection reflects
UPSERT_ROWS = 1000  # rows per upsert call: well under gRPC's 64 MB message limit at 384 dimensions
SEARCH_LIMIT = 16_384  # Milvus's cap on limit

log = logging.getLogger("newsdesk.index")


@contextmanager
def _answering(target: MilvusTarget, doing: str):
    """Milvus's own errors (server down, wrong credentials, a collection released by a restart) as one line."""
    from pymilvus.exceptions import MilvusException

    try:
        yield
    except MilvusException as exc:
        raise BackendUnavailable(f"Milvus at {target.uri} failed to {doing} collection {target.collection!r} "
                                 f"({exc.message})", "check that the server runs and milvus.uri and the credentials "
                                 "in the config (or $NEWSDESK_MILVUS_*), then run the command again") from None


class MilvusIndex:
    """The vector and keyword sides of one index in a Milvus collection, kept in step with its `Store`.

    `search` is the dense side (as `VectorIndex.search`, with the filters inside Milvus), `hits_many`
    the keyword side (as the keyword engines'); `put`, `remove` and `commit` follow the writer's batches.
    """

    name = "milvus"

    def __init__(self, target: MilvusTarget, store, dim: int, write: bool = False) -> None:
        try:
            import snowballstemmer  # noqa: F401  (analyze's; missing, it would fail at the first write)
            from pymilvus import MilvusClient
        except ImportError:
            raise ConfigError("backend: milvus needs pymilvus and snowballstemmer, which are not installed",
                              "pip install 'newsdesk[milvus]', or set backend: local") from None
        self.target, self.store, self.dim = target, store, dim
        self._dirty = False  # the record was marked unknown by this writer and not yet committed
        auth = {"token": target.token} if target.token else \
            {"user": target.user, "password": target.password or ""} if target.user else {}
        with _answering(target, "open"):
            self.client = MilvusClient(uri=target.uri, timeout=30, **auth)
            self._ensure_collection()
        if write:
            store.drop_fts5()  # one keyword side is kept: the FTS5 rows would cost ~3 KB a chunk

    def _ensure_collection(self) -> None:
        from pymilvus import DataType, Function, FunctionType, MilvusClient

        name = self.target.collection
        if self.client.has_collection(name):
            fields = {f["name"]: f for f in self.client.describe_collection(name)["fields"]}
            dim = int(fields.get("dense", {}).get("params", {}).get("dim", 0))
            if dim != self.dim or "sparse" not in fields:
                raise IndexMismatch(f"Milvus collection {name!r} at {self.target.uri} holds {dim}-dimension vectors "
                                    f"(or no BM25 field); this index's model has {self.dim}",
                                    "set milvus.collection to a new name (newsdesk fills it from the store)")
            self.client.load_collection(name)
            return
        schema = MilvusClient.create_schema(auto_id=False)
        schema.add_field("chunk_id", DataType.INT64, is_primary=True)
        schema.add_field("stamp", DataType.INT64)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=self.dim)
        schema.add_field("terms", DataType.VARCHAR, max_length=65_535, enable_analyzer=True,
                         analyzer_params={"tokenizer": "standard"})  # the terms arrive analysed: it only splits them
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        for array in ("outlets", "topics"):
            schema.add_field(array, DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=MAX_VALUES,
                             max_length=MAX_VALUE_BYTES)
        schema.add_field("kind", DataType.VARCHAR, max_length=64)
        schema.add_field("day", DataType.INT64)
        schema.add_function(Function(name="terms_bm25", function_type=FunctionType.BM25,
                                     input_field_names=["terms"], output_field_names=["sparse"]))
        indexes = self.client.prepare_index_params()
        indexes.add_index(field_name="dense", index_type=self.target.vector_index, metric_type="IP")
        indexes.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                          params={"bm25_k1": 1.2, "bm25_b": 0.75})
        # Strong: a search sees every write acknowledged before it, so a document the store has just made
        # visible is never searched without its passages (the default, Bounded, may lag a few seconds).
        self.client.create_collection(name, schema=schema, index_params=indexes, consistency_level="Strong")
        self.client.load_collection(name)

    # -- the record of what the collection reflects ----------------------------------
    def _recorded(self) -> dict:
        try:
            record = json.loads(self.store.meta().get(RECORD_KEY, "{}"))
        except ValueError:
            return {}
        same = isinstance(record, dict) and record.get("uri") == self.target.uri \
            and record.get("collection") == self.target.collection
        return record if same else {}

    @property
    def generation(self) -> int:
        """The store generation this collection reflects (-1: unknown, caught up before it is trusted)."""
        value = self._recorded().get("generation")
        return value if isinstance(value, int) else -1

    def _record(self, generation: int) -> None:
        self.store.set_meta(**{RECORD_KEY: json.dumps({"uri": self.target.uri, "collection": self.target.collection,
                                                       "generation": generation})})

    def _writing(self) -> None:
        """Mark the record unknown before the collection changes: rows upserted for a batch that a crash keeps
        from committing would otherwise hide behind a record equal to the store's generation."""
        if not self._dirty:
            self._record(-1)
            self._dirty = True

    def commit(self, generation: int) -> None:
        """Flush, then record `generation` in the store: the record never runs ahead of the collection."""
        with _answering(self.target, "flush"):
            self.client.flush(self.target.collection)
        self._record(generation)
        self._dirty = False

    # -- writing -----------------------------------------------------------------------
    def put(self, docs: Sequence[tuple[Document, Sequence[tuple[int, str]]]], vectors: dict[int, np.ndarray]) -> None:
        """Upsert the rows of `docs` ((document, [(chunk id, text)])) with `vectors` by chunk id, then flush:
        called before the store commits them."""
        rows = [r for doc, chunks in docs for r in rows_of(doc, chunks, [vectors[i] for i, _ in chunks])]
        self._writing()
        with _answering(self.target, "write to"):
            for lo in range(0, len(rows), UPSERT_ROWS):
                self.client.upsert(self.target.collection, rows[lo:lo + UPSERT_ROWS])
            self.client.flush(self.target.collection)

    def remove(self, chunk_ids: Iterable[int]) -> None:
        ids = [int(i) for i in chunk_ids]
        if ids:
            self._writing()
        with _answering(self.target, "delete from"):
            for lo in range(0, len(ids), 10_000):
                self.client.delete(self.target.collection, ids=ids[lo:lo + 10_000])

    def indexed(self) -> dict[int, int]:
        """chunk_id -> stamp of every row (one pass, read at catch-up)."""
        logging.getLogger("pymilvus").setLevel(logging.ERROR)  # milvus-lite has no server timestamp; it says so each time
        out: dict[int, int] = {}
        with _answering(self.target, "read"):
            it = self.client.query_iterator(self.target.collection, batch_size=SEARCH_LIMIT, filter="",
                                            output_fields=["stamp"])
            while batch := it.next():
                out.update((int(r["chunk_id"]), int(r["stamp"])) for r in batch)
            it.close()
        return out

    def catch_up(self) -> int:
        """Reconcile with the store by chunk id and stamp; returns the rows (re)written.

        Rows the store does not hold (a batch a crash kept from committing, a drop whose delete did not
        run) are deleted; chunks the collection lacks or holds at another stamp are upserted from the
        store's vectors. A collection this store never recorded is filled whole: its rows may hold
        another index's vectors.
        """
        generation = self.store.generation()
        if self.generation == generation:
            return 0
        known = bool(self._recorded())
        want = self.store.chunk_stamps()
        have = self.indexed()
        self.remove(i for i in have if i not in want)
        missing = {i for i, s in want.items() if not known or have.get(i) != s}
        written = 0
        for ids, vecs in self.store.iter_vectors(self.dim):
            picked = [(int(i), v) for i, v in zip(ids, vecs) if int(i) in missing]
            by_doc: dict[str, list[int]] = {}
            for chunk_id, doc_id in self.store.chunk_docs([i for i, _ in picked]).items():
                by_doc.setdefault(doc_id, []).append(chunk_id)
            vectors = dict(picked)
            docs = []
            for doc_id, chunk_ids in sorted(by_doc.items()):
                wanted = set(chunk_ids)
                docs.append((self.store.document(doc_id),
                             [(i, t) for i, t in self.store.chunk_texts(doc_id) if i in wanted]))
            self.put(docs, vectors)
            written += sum(len(c) for _, c in docs)
        self.commit(generation)
        if written or len(have) > len(want):
            log.info("newsdesk: Milvus collection %s caught up with the store (%d written)",
                     self.target.collection, written)
        return written

    # -- reading -------------------------------------------------------------------------
    def search(self, query: np.ndarray, limit: int, filters=None) -> list[tuple[int, float]]:
        """(chunk_id, inner product) of the `limit` nearest rows inside `filters`, best first. Ids are not
        checked against the store (ranking joins them to it)."""
        with _answering(self.target, "search"):
            found = self.client.search(self.target.collection, data=[np.asarray(query, np.float32).ravel().tolist()],
                                       anns_field="dense", limit=min(limit, SEARCH_LIMIT), filter=expression(filters),
                                       output_fields=[], search_params={"metric_type": "IP"})
        return [(int(h["chunk_id"]), float(h["distance"])) for h in found[0]]

    def hits_many(self, queries: Sequence[tuple[Sequence[str], int]], filters=None,
                  weights: tuple[float, float, float] = (1.0, 1.0, 1.0)) -> list[list[tuple[int, str, float]]]:
        """BM25 (chunk_id, doc_id, score) of several (terms, limit) queries, of chunks still in the store, best
        first. Queries of one limit go in one search call. `weights` are FTS5's; here the title's was fixed
        when the row was written (twice in `terms`), so they are accepted and not used."""
        where = expression(filters)
        texts = [" ".join(dict.fromkeys(t for term in terms for t in analyze(term))) for terms, _ in queries]
        tops: list[list[tuple[int, float]]] = [[] for _ in queries]
        for limit in {limit for _, limit in queries}:
            asked = [n for n, (_, lim) in enumerate(queries) if lim == limit and texts[n] and lim > 0]
            if not asked:
                continue
            with _answering(self.target, "search"):
                found = self.client.search(self.target.collection, data=[texts[n] for n in asked],
                                           anns_field="sparse", limit=min(limit, SEARCH_LIMIT), filter=where,
                                           output_fields=[], search_params={"metric_type": "BM25"})
            for n, hits in zip(asked, found):
                # milvus-lite reports BM25 scores negated (best is most negative); a cluster, positive
                tops[n] = [(int(h["chunk_id"]), abs(float(h["distance"]))) for h in hits]
        docs = self.store.chunk_docs(list({i for top in tops for i, _ in top}))
        return [[(i, docs[i], s) for i, s in top if i in docs] for top in tops]

    def close(self) -> None:
        self.client.close()
