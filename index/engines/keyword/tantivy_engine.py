"""The tantivy keyword engine: BM25 over chunks in a tantivy index beside the store (INDEX_DIR/keywords/).

Derived data, like vectors.faiss: the store stays the source of truth and `keywords.json`
records the store generation the index reflects. The writer commits SQLite first, then
tantivy, then that record, so after a crash the index is at most behind: a missing,
damaged or behind index is reconciled with the store by chunk id and stamp when opened
(index.engines.keyword.reconcile), without re-embedding. Readers reload when the store
generation moves, every hit is checked against the store, and an index in a folder the
reader cannot write (tantivy locks even to read) is read from a private copy.

Indexed as FTS5 indexes it (docs/SCALING.md has the measurements): title (TITLE_REPEATS
times), passage and meta line as one text; tokens split at anything not a letter or digit,
over 40 characters dropped, lower-cased, accents folded, Snowball English stems; no stop
words at index time; postings without positions; query words weighed as FTS5 weighs them
(`fields.query_tokens`). Filters are exact-value fields matched with zero score. The only
module that imports tantivy.
"""
from __future__ import annotations

import functools
import logging
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterable, Sequence

import tantivy
from tantivy import Document as TDoc
from tantivy import FieldType, Filter, Index, Occur, Query, SchemaBuilder, TextAnalyzerBuilder, Tokenizer

from index.document import Document, stamp
from index.errors import IndexBusy
from index.engines.keyword.fields import day, meta_text, query_tokens
from index.engines.keyword.reconcile import Record, os_error_of, private_copy, reconcile
from index.storage.folder import KEYWORDS_NAME, KEYWORDS_RECORD

FOLDER = KEYWORDS_NAME
RECORD = KEYWORDS_RECORD
SCHEMA_VERSION = 2  # bump when fields, weights or tokenising change: an index of another version is rebuilt
TITLE_REPEATS = 2  # the title's weight against the passage and the meta line (1 each), as in FTS5's ranking
WRITER_HEAP = 128_000_000  # bytes buffered before tantivy writes a segment: more is a faster build, more memory
SEARCH_THREADS = 2  # a question's searches side by side (tantivy releases the GIL): 13 -> 7 ms at 1M chunks
_ANALYZER = "newsdesk_en"

log = logging.getLogger("newsdesk.index")


@functools.lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(SEARCH_THREADS, thread_name_prefix="newsdesk-keywords")


def _analyzer() -> tantivy.TextAnalyzer:
    return (TextAnalyzerBuilder(Tokenizer.simple()).filter(Filter.remove_long(40)).filter(Filter.lowercase())
            .filter(Filter.ascii_fold()).filter(Filter.stemmer("english")).build())


def _schema() -> tantivy.Schema:
    sb = SchemaBuilder()
    sb.add_unsigned_field("chunk_id", indexed=True, fast=True)
    sb.add_unsigned_field("stamp", fast=True)  # the document's content hash, cut to 60 bits
    sb.add_text_field("text", tokenizer_name=_ANALYZER, index_option="freq")  # title x TITLE_REPEATS, passage, meta
    for name in ("outlet", "topic", "kind"):
        sb.add_text_field(name, tokenizer_name="raw", index_option="basic")
    sb.add_unsigned_field("day", indexed=True, fast=True)  # yyyymmdd of the publication date
    return sb.build()


class TantivyKeywords:
    """BM25 over the chunks of one index folder, in step with its `Store`. `write=True` (an ingest) holds tantivy's
    writer for the object's life (a second one: IndexBusy); a reader repairs an index that is missing, damaged
    or behind only when no writer is running (else the writer will)."""

    name = "tantivy"

    def __init__(self, folder: Path, store, write: bool = False) -> None:
        self.folder = folder / FOLDER
        self.record = Record(folder / RECORD, SCHEMA_VERSION)
        self.store = store
        self.schema = _schema()
        self._analyzer = _analyzer()
        self._writer: tantivy.IndexWriter | None = None
        self._in_memory: int | None = None  # generation of an in-memory stand-in (a reader's, see _open)
        self._seen = -1  # store generation this reader's searcher was reloaded at
        self._private: Path | None = None  # a reader's copy of an index in a folder it cannot write
        self._index = self._open(write)
        if write:
            self._writer = self._take_writer()
            self.catch_up()
        elif self._in_memory is not None:
            self._writer = self._take_writer()
            self.catch_up()
            log.warning("newsdesk: the keyword index %s is missing or damaged; built it in memory from the store "
                        "(the next `newsdesk ingest` writes it again)", self.folder)
        else:
            self._repair_if_free()

    # -- opening -----------------------------------------------------------------
    def _open(self, write: bool) -> Index:
        """The index on disk; when it is missing or damaged, a fresh one (a writer) or one in memory (a reader,
        which must not delete files an ingest may be writing)."""
        if self.folder.is_dir() and self.record.current():
            try:
                return self._load()
            except (ValueError, OSError) as exc:
                if not write and "Lockfile" in str(exc):  # tantivy locks even to read: a folder this user cannot write
                    return self._load_copy()
                log.warning("newsdesk: the keyword index %s is damaged (%s)", self.folder, exc)
        if not write:
            self._in_memory = -1
            return self._analysed(Index(self.schema))
        return self._fresh()

    def _load(self) -> Index:
        index = self._analysed(Index.open(str(self.folder)))
        index.searcher().num_docs  # reads the segment list: a damaged meta.json fails here
        return index

    def _load_copy(self) -> Index:
        """The intact index of a read-only folder, read from a private copy (removed at `close`)."""
        self._private = private_copy(self.folder, self.record)
        self.folder, self.record = self._private / FOLDER, Record(self._private / RECORD, SCHEMA_VERSION)
        return self._load()

    def _fresh(self) -> Index:
        """An empty index in place of whatever was there (with no record, it is behind any store)."""
        self.record.clear()
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        return self._analysed(Index(self.schema, path=str(self.folder)))

    def _analysed(self, index: Index) -> Index:
        index.register_tokenizer(_ANALYZER, self._analyzer)
        return index

    def _take_writer(self) -> tantivy.IndexWriter:
        try:
            writer = self._index.writer(heap_size=WRITER_HEAP, num_threads=0)
        except ValueError as exc:
            if "LockBusy" not in str(exc):
                raise
            raise IndexBusy(f"the keyword index {self.folder} is being written by another process",
                            "wait for that ingest (or repair) to finish") from None
        # A writer killed mid-commit leaves files no meta.json names (a segment's `.del`, say); the next commit
        # would try to create the same names and fail, so they go before this writer writes anything.
        writer.garbage_collect_files()
        return writer

    @property
    def generation(self) -> int:
        """The store generation this index reflects (-1 when unknown: it is caught up before it is trusted)."""
        return self._in_memory if self._in_memory is not None else self.record.generation()

    def _repair_if_free(self) -> None:
        """Catch the index up when it is behind the store and no writer holds it (a crashed ingest)."""
        if self.generation == self.store.generation():
            return
        try:
            self._writer = self._take_writer()
        except IndexBusy:
            return  # an ingest is running: it catches up and commits; this reader reloads when it has
        try:
            self.catch_up()
        finally:
            self._let_go()

    # -- writing -----------------------------------------------------------------
    def update(self, removed: Sequence[int], docs: Sequence[tuple[Document, Sequence[tuple[int, str]]]]) -> None:
        """Apply a committed store batch: drop `removed` chunk ids (old versions included), index `docs`."""
        self.remove(removed)
        for doc, chunks in docs:
            self.put(doc, chunks)

    def catch_up(self) -> int:
        """Reconcile with the store (index.engines.keyword.reconcile); returns the chunks (re)indexed."""
        if self.generation == self.store.generation():
            return 0
        self._index.reload()
        return reconcile(self, self.store)

    def indexed(self) -> dict[int, int]:
        """chunk_id -> stamp of every indexed chunk (read once per catch-up, so its cost is one pass)."""
        searcher = self._index.searcher()
        if not searcher.num_docs:
            return {}
        hits = searcher.search(Query.all_query(), searcher.num_docs, count=False).hits
        addresses = [a for _, a in hits]
        ids = searcher.fast_field_values("chunk_id", addresses)
        stamps = searcher.fast_field_values("stamp", addresses)
        return dict(zip(ids, stamps))

    def put(self, doc: Document, chunks: Sequence[tuple[int, str]]) -> None:
        """Index (chunk_id, text) pairs of `doc`; remove their old versions first (`remove`)."""
        meta = meta_text(doc)
        published = day(doc.published)
        outlets = {o.lower() for o in (doc.outlet, doc.outlet_domain) if o}
        for chunk_id, text in chunks:
            d = TDoc()
            d.add_unsigned("chunk_id", chunk_id)
            d.add_unsigned("stamp", stamp(doc.content_hash))
            for _ in range(TITLE_REPEATS):
                d.add_text("text", doc.title)
            d.add_text("text", text)
            d.add_text("text", meta)
            for outlet in outlets:
                d.add_text("outlet", outlet)
            for topic in {t.lower() for t in doc.topics}:
                d.add_text("topic", topic)
            d.add_text("kind", doc.kind)
            if published is not None:
                d.add_unsigned("day", published)
            self._writer.add_document(d)

    def remove(self, chunk_ids: Iterable[int]) -> None:
        ids = list(chunk_ids)
        for lo in range(0, len(ids), 10_000):
            self._writer.delete_documents_by_query(Query.term_set_query(self.schema, "chunk_id", ids[lo:lo + 10_000]))

    def commit(self, generation: int) -> None:
        """Commit tantivy (its I/O errors as the OSError they are), then record `generation`: never ahead of it."""
        try:
            self._writer.commit()
        except ValueError as exc:
            raise os_error_of(exc) from exc
        self._index.reload()  # this object's own searcher sees its commit at once
        if self._in_memory is not None:
            self._in_memory = generation
            return
        self.record.write(generation)

    def close(self) -> None:
        """Let go of the writer, if held (its merges finish, tantivy's lock is released), and of a private copy."""
        self._let_go()
        if self._private is not None:
            shutil.rmtree(self._private, ignore_errors=True)
            self._private = None

    def _let_go(self) -> None:
        if self._writer is not None:
            self._writer.wait_merging_threads()
            self._writer = None

    # -- reading -----------------------------------------------------------------
    def hits(self, terms: Sequence[str], limit: int, filters=None,
             weights: tuple[float, float, float] = (1.0, 1.0, 1.0)) -> list[tuple[int, str, float]]:
        """(chunk_id, doc_id, score) of the best chunks still in the store (`weights`: unused, see TITLE_REPEATS)."""
        return self.hits_many([(terms, limit)], filters, weights)[0]

    def hits_many(self, queries: Sequence[tuple[Sequence[str], int]], filters=None,
                  weights: tuple[float, float, float] = (1.0, 1.0, 1.0)) -> list[list[tuple[int, str, float]]]:
        """`hits` of several (terms, limit) queries, a question and its parts, on one snapshot, side by side."""
        self._refresh()
        searcher = self._index.searcher()
        where = self._filters(filters)
        run = lambda q: self._search(searcher, q[0], q[1], where)  # noqa: E731
        tops = list(_pool().map(run, queries)) if len(queries) > 1 else [run(q) for q in queries]
        docs = self.store.chunk_docs(list({i for top in tops for i, _ in top}))  # a hit no longer stored is dropped
        return [[(i, docs[i], score) for i, score in top if i in docs] for top in tops]

    def _search(self, searcher, terms, limit, where: list[Query]) -> list[tuple[int, float]]:
        counts = query_tokens(self._analyzer.analyze(term) for term in terms)
        if not counts or limit < 1:
            return []
        # A token counted n times is asked n times (a boost of n): bare term clauses, unwrapped without a filter,
        # are what tantivy scores with block-max WAND (a fifth faster at 1M chunks than inside a Must or boosts).
        text = Query.boolean_query([(Occur.Should, Query.term_query(self.schema, "text", t))
                                    for t, n in counts.items() for _ in range(n)])
        query = Query.boolean_query([(Occur.Must, text)] + [(Occur.Must, f) for f in where]) if where else text
        hits = searcher.search(query, limit, count=False).hits
        ids = searcher.fast_field_values("chunk_id", [a for _, a in hits])
        return [(int(i), float(s)) for i, (s, _) in zip(ids, hits)]

    def _refresh(self) -> None:
        """Reload the searcher when the store has moved on since the last reload (an ingest committed)."""
        generation = self.store.generation()
        if generation == self._seen:
            return
        if self._in_memory is not None:
            self.catch_up()
        elif self._writer is None and self.generation != generation:
            self._repair_if_free()
        reflects = self.generation  # read before reloading: the record never runs ahead of the commit
        self._index.reload()
        if reflects == generation:
            self._seen = generation  # until it is, reload on every search: the writer's commit is due

    def _filters(self, filters) -> list[Query]:
        """Zero-score match clauses for an `index.document.Filters` (kinds too, when it has them)."""
        if not filters:
            return []
        out = []
        for field, values in (("outlet", filters.outlets), ("topic", filters.topics),
                              ("kind", getattr(filters, "kinds", ()))):
            if values:
                out.append(Query.term_set_query(self.schema, field, [v.lower() for v in values]))
        if filters.date_from or filters.date_to:
            lo = day(filters.date_from) if filters.date_from else 0
            hi = day(filters.date_to) if filters.date_to else 99_991_231
            out.append(Query.range_query(self.schema, "day", FieldType.Unsigned, lo or 0, hi or 99_991_231))
        return [Query.const_score_query(q, 0.0) for q in out]
