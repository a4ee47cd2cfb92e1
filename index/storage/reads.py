"""What the store answers: the queries of ingest planning, ranking, citations and the UI, none of which writes.

`StoreReads` is the read half of `index.storage.store.Store` (which adds the connection,
the format upgrades and the writes); it runs on that store's `_db` connection.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

import numpy as np

from index.document import Document, Filters, stamp
from index.storage.chunk_map import ChunkMap
from index.storage.schema import filter_sql, like_prefix


@dataclass(frozen=True, slots=True)
class StoredChunk:
    """A chunk joined with its document's citation fields, as search returns it."""

    chunk_id: int
    doc_id: str
    start: int
    end: int
    text: str
    title: str
    outlet: str | None
    published: str | None
    url: str | None
    source: str
    kind: str
    parent_id: str | None
    topics: tuple[str, ...]


class StoreReads:
    """Read queries over the store's tables (see the module docstring)."""

    def file_hashes(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT path, sha256 FROM files"))

    def doc_hashes(self) -> dict[str, tuple[str, str, str]]:
        """doc_id -> (content_hash, file, kind) for every stored document."""
        return {d: (h, f, k) for d, h, f, k in self._db.execute("SELECT doc_id, content_hash, file, kind FROM documents")}

    def files_under(self, root: str) -> list[str]:
        prefix = root.rstrip("/") + "/"
        return [p for (p,) in self._db.execute("SELECT path FROM files WHERE path LIKE ? ESCAPE '\\'", (like_prefix(prefix),))]

    def docs_of_file(self, path: str) -> list[str]:
        return [d for (d,) in self._db.execute("SELECT doc_id FROM documents WHERE file = ?", (path,))]

    def known_vectors(self, keys: Iterable[str]) -> set[str]:
        keys = list(set(keys))
        found: set[str] = set()
        for lo in range(0, len(keys), 500):
            part = keys[lo : lo + 500]
            q = f"SELECT vec_key FROM vectors WHERE vec_key IN ({','.join('?' * len(part))})"
            found.update(k for (k,) in self._db.execute(q, part))
        return found

    def vectors_for(self, keys: Sequence[str], dim: int) -> np.ndarray:
        rows = dict(self._db.execute(
            f"SELECT vec_key, vec FROM vectors WHERE vec_key IN ({','.join('?' * len(keys))})", list(keys)))
        return np.stack([np.frombuffer(rows[k], dtype=np.float32) for k in keys]) if keys else np.empty((0, dim), np.float32)

    def iter_vectors(self, dim: int, batch: int = 50_000) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(chunk ids, vectors) of every chunk, in batches: what a vector index is rebuilt from."""
        cur = self._db.execute("SELECT c.chunk_id, v.vec FROM chunks c JOIN vectors v USING (vec_key)")
        while rows := cur.fetchmany(batch):
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            yield ids, np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), dim)

    def chunks(self, ids: Sequence[int]) -> dict[int, StoredChunk]:
        out: dict[int, StoredChunk] = {}
        for lo in range(0, len(ids), 500):
            part = list(ids[lo : lo + 500])
            q = (
                "SELECT c.chunk_id, c.doc_id, c.start, c.end, substr(d.text, c.start + 1, c.end - c.start), d.title,"
                " d.outlet, d.published, d.url, d.source, d.kind, d.parent_id, d.topics FROM chunks c"
                f" JOIN documents d USING (doc_id) WHERE c.chunk_id IN ({','.join('?' * len(part))})"
            )
            for row in self._db.execute(q, part):
                out[row[0]] = StoredChunk(*row[:12], tuple(json.loads(row[12])))
        return out

    def document(self, doc_id: str) -> Document | None:
        row = self._db.execute(
            "SELECT doc_id, title, text, source, url, outlet, outlet_domain, published, author, category, topics,"
            " kind, parent_id, quality, images FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        if row is None:
            return None
        d = list(row)
        d[10], d[14] = tuple(json.loads(d[10])), tuple(json.loads(d[14]))
        return Document(*d)

    def allowed_chunk_ids(self, filters: Filters) -> np.ndarray:
        """Chunk ids whose document passes `filters`."""
        where, args = filter_sql(filters)
        q = "SELECT c.chunk_id FROM chunks c JOIN documents d USING (doc_id)" + (" WHERE " + " AND ".join(where) if where else "")
        return np.fromiter((r[0] for r in self._db.execute(q, args)), dtype=np.int64)

    def keyword_search(self, terms: Sequence[str], limit: int, filters: Filters | None = None,
                       weights: tuple[float, float, float] = (1.0, 1.0, 1.0)) -> list[tuple[int, str, float]]:
        """FTS5's BM25 over chunks (keyword_engine: fts5): (chunk_id, doc_id, score) of chunks holding any of the
        Porter-stemmed `terms`, best first; `weights` scale (title, body, meta) matches."""
        where, args = filter_sql(filters) if filters else ([], [])
        top = self.keywords.search(terms, limit, where, args, weights)
        docs = self.chunk_docs([i for i, _ in top])
        return [(i, docs[i], score) for i, score in top if i in docs]

    def chunk_stamps(self) -> dict[int, int]:
        """chunk_id -> its document's content hash cut to 60 bits: what a derived keyword index is checked against."""
        return {i: stamp(h) for i, h in self._db.execute(
            "SELECT c.chunk_id, d.content_hash FROM chunks c JOIN documents d USING (doc_id)")}

    def chunk_texts(self, doc_id: str) -> list[tuple[int, str]]:
        """(chunk_id, text) of a document's chunks, in order."""
        return [(int(i), t) for i, t in self._db.execute(
            "SELECT c.chunk_id, substr(d.text, c.start + 1, c.end - c.start) FROM chunks c JOIN documents d"
            " USING (doc_id) WHERE c.doc_id = ? ORDER BY c.ordinal", (doc_id,))]

    def outlet_names(self) -> list[tuple[str, str | None]]:
        """Every distinct (outlet, domain) pair, most articles first: what a question may name."""
        return list(self._db.execute("SELECT outlet, outlet_domain FROM documents WHERE outlet IS NOT NULL"
                                     " GROUP BY outlet, outlet_domain ORDER BY count(*) DESC"))

    def chunk_docs(self, ids: Sequence[int]) -> dict[int, str]:
        """chunk_id -> doc_id for the given chunks (ids no longer stored are left out). A reader answers from its
        in-memory map of the store's generation (index.storage.chunk_map), read again when an ingest moves it."""
        if self.read_only:
            generation = self.generation()
            if self._chunk_map is None or self._chunk_map.generation != generation:
                self._chunk_map = ChunkMap.read(self._db, generation)
            return self._chunk_map.lookup(ids)
        out: dict[int, str] = {}
        for lo in range(0, len(ids), 500):
            part = list(ids[lo : lo + 500])
            out.update(self._db.execute(
                f"SELECT chunk_id, doc_id FROM chunks WHERE chunk_id IN ({','.join('?' * len(part))})", part))
        return out

    def doc_fields(self, doc_ids: Sequence[str]) -> dict[str, tuple[str | None, str | None, str | None]]:
        """doc_id -> (outlet, outlet domain, ISO date or None): what question cues are matched against."""
        out: dict[str, tuple[str | None, str | None, str | None]] = {}
        # These columns follow the text in a row, so a row read walks the text's pages; the covering index
        # (schema: documents_cues) holds them alone: 3.2 -> 1.4 ms for 450 documents at a million chunks.
        # A store written before it has none (a reader does not create it): read the rows.
        hint = "INDEXED BY documents_cues" if self._has_index("documents_cues") else ""
        for lo in range(0, len(doc_ids), 500):
            part = list(doc_ids[lo : lo + 500])
            q = (f"SELECT doc_id, outlet, outlet_domain, substr(published, 1, 10) FROM documents {hint}"
                 f" WHERE doc_id IN ({','.join('?' * len(part))})")
            out.update((d, (o, dom, p)) for d, o, dom, p in self._db.execute(q, part))
        return out

    def _has_index(self, name: str) -> bool:
        """Whether the store holds index `name` (asked once per connection: indexes are only ever added)."""
        known = self._indexes
        if name not in known:
            known[name] = self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?",
                                           (name,)).fetchone() is not None
        return known[name]

    def counts(self) -> dict[str, int]:
        one = lambda q: int(self._db.execute(q).fetchone()[0])  # noqa: E731
        return {
            "documents": one("SELECT count(*) FROM documents"),
            "chunks": one("SELECT count(*) FROM chunks"),
            "vectors": one("SELECT count(*) FROM vectors"),
            "files": one("SELECT count(*) FROM files"),
        }

    def facets(self) -> dict[str, object]:
        """Outlets, topics and the date span: what a UI offers as filters."""
        outlets = [o for (o,) in self._db.execute(
            "SELECT outlet FROM documents WHERE outlet IS NOT NULL GROUP BY outlet ORDER BY count(*) DESC")]
        topics = [t for (t,) in self._db.execute("SELECT topic FROM topics GROUP BY topic ORDER BY count(*) DESC")]
        lo, hi = self._db.execute(
            "SELECT min(substr(published, 1, 10)), max(substr(published, 1, 10)) FROM documents").fetchone()
        return {"outlets": outlets, "topics": topics, "date_from": lo, "date_to": hi}

    def newest_date(self) -> str | None:
        """The newest publication date (YYYY-MM-DD) stored, or None when no document has one."""
        return self._db.execute("SELECT max(substr(published, 1, 10)) FROM documents").fetchone()[0]

    def newest_chunks(self, limit: int, filters: Filters | None = None) -> list[tuple[int, str]]:
        """(chunk_id, doc_id) of the first passage of the `limit` newest dated documents inside `filters`."""
        where, args = filter_sql(filters) if filters else ([], [])
        q = ("SELECT c.chunk_id, d.doc_id FROM documents d JOIN chunks c ON c.doc_id = d.doc_id AND c.ordinal = 0"
             " WHERE " + " AND ".join(["d.published IS NOT NULL", *where]) +
             " ORDER BY substr(d.published, 1, 10) DESC, d.doc_id LIMIT ?")
        return [(int(c), d) for c, d in self._db.execute(q, [*args, limit])]

    def recent_openings(self, limit: int, chars: int = 10000) -> list[tuple[str, str | None, str]]:
        """(title, outlet, the first `chars` characters of the text) of the newest articles, undated ones last:
        what a UI reads its example questions from."""
        return list(self._db.execute(
            "SELECT title, outlet, substr(text, 1, ?) FROM documents WHERE kind = 'article'"
            " ORDER BY published IS NULL, published DESC LIMIT ?", (chars, limit)))

