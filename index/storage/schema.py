"""The store's SQL: its tables, its format version, and the WHERE clause of a search's filters.

Kept apart from `index.storage.store` (which runs the statements) so the schema reads
in one place. Changing a table means a new FORMAT_VERSION and an upgrade in the store.
"""
from __future__ import annotations

from index.document import Filters
from index.engines.keyword.fts5 import SCHEMA as KEYWORD_SCHEMA
from index.storage.stories import SCHEMA as STORY_SCHEMA

FORMAT_VERSION = 4
"""2: chunks_fts added; 3: url-less documents get ids unique per file (`index.document.local_id`);
4: stories (`story_docs`, `story_bands`: syndicated copies grouped, `index.storage.stories`).
Older stores are upgraded in place when a writer opens them, without re-embedding (see `Store._upgrade`);
readers read them as they are. An index added for speed alone (documents_cues: the fields a search's cues
read, covered) needs no new version: a writer's open creates it, and reads work without it."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, root TEXT NOT NULL, sha256 TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, file TEXT NOT NULL, source TEXT NOT NULL, title TEXT NOT NULL, text TEXT NOT NULL,
    url TEXT, outlet TEXT, outlet_domain TEXT, published TEXT, author TEXT, category TEXT, kind TEXT NOT NULL,
    parent_id TEXT, quality INTEGER, topics TEXT NOT NULL, images TEXT NOT NULL, content_hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS documents_file ON documents(file);
CREATE INDEX IF NOT EXISTS documents_cues ON documents(doc_id, outlet, outlet_domain, published);
CREATE TABLE IF NOT EXISTS topics (doc_id TEXT NOT NULL, topic TEXT NOT NULL COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS topics_doc ON topics(doc_id);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL, end INTEGER NOT NULL, vec_key TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE INDEX IF NOT EXISTS chunks_vec ON chunks(vec_key);
CREATE TABLE IF NOT EXISTS vectors (vec_key TEXT PRIMARY KEY, vec BLOB NOT NULL);
""" + KEYWORD_SCHEMA + STORY_SCHEMA


def like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def filter_sql(filters: Filters) -> tuple[list[str], list[object]]:
    """WHERE conditions (on documents aliased `d`) and their arguments for `filters`."""
    where: list[str] = []
    args: list[object] = []
    if filters.outlets:
        marks = ",".join("?" * len(filters.outlets))
        where.append(f"(lower(d.outlet) IN ({marks}) OR lower(d.outlet_domain) IN ({marks}))")
        args += [o.lower() for o in filters.outlets] * 2
    if filters.topics:
        where.append(f"d.doc_id IN (SELECT doc_id FROM topics WHERE topic IN ({','.join('?' * len(filters.topics))}))")
        args += list(filters.topics)
    if filters.date_from:
        where.append("substr(d.published, 1, 10) >= ?")
        args.append(filters.date_from[:10])
    if filters.date_to:
        where.append("substr(d.published, 1, 10) <= ?")
        args.append(filters.date_to[:10])
    return where, args
