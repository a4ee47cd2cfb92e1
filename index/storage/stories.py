"""The store's stories: which documents are copies of one article, kept in the store's own transactions.

`StoryIndex` runs on the store's connection, like the FTS5 keyword rows: `Store.put_document`
and `Store.delete_document` call `add` and `remove` inside the write batch's transaction, so a
crash keeps a batch's documents and their stories together or neither, and `--sync`, updates
and `--rebuild` keep stories right by the same path as the documents. Tables (schema.py):
`story_docs` (a document's story and signature) and `story_bands` (its LSH keys, indexed, so a
new document finds its candidates with BANDS index lookups whatever the corpus size; a band row is two
integers, about 20 bytes, and a document's rows are found again from its stored sketch). A store
from before stories (format 3) has neither table: its reader sees every document as its own story.
The method (signatures, bands, the threshold) is `index.stories`.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import numpy as np

from index.stories import band_keys, canonical_key, components, same_story, signature, story_id

SCHEMA = """
CREATE TABLE IF NOT EXISTS story_docs (id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL UNIQUE, story TEXT NOT NULL,
    sig BLOB);
CREATE INDEX IF NOT EXISTS story_docs_story ON story_docs(story);
CREATE TABLE IF NOT EXISTS story_bands (band INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (band, doc)) WITHOUT ROWID;
"""


BAND_LIMIT = 200
"""Candidates read per band, the newest first. A band shared by many documents is an opening they all share
(a site's banner): a copy also shares the bands of its own words, so capping keeps each add's cost bounded."""


def _parts(items: list, size: int = 500):
    for lo in range(0, len(items), size):
        yield items[lo : lo + size]


@dataclass(frozen=True, slots=True)
class Report:
    """One document of a story, as "also reported by" names it."""

    doc_id: str
    title: str
    outlet: str | None
    published: str | None
    url: str | None

    @property
    def label(self) -> str:
        """`Outlet (2023-09-27)`; the url's host or the id when the outlet is unknown."""
        name = self.outlet or (self.url or self.doc_id).split("//")[-1].split("/")[0]
        return f"{name} ({self.published[:10]})" if self.published else name


class StoryIndex:
    """Stories on the store's connection `db` (written only inside the store's transactions)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def present(self) -> bool:
        """False for a store written before stories (read as it is: each document its own story)."""
        return self._db.execute("SELECT 1 FROM sqlite_master WHERE name = 'story_docs'").fetchone() is not None

    # -- writes -------------------------------------------------------------------------
    def add(self, doc_id: str, text: str) -> str:
        """File `doc_id` under the story of the copies already stored (merging stories it bridges); its story id."""
        sig = signature(text)
        found: dict[str, int] = {}
        if sig is not None:
            keys = band_keys(sig)
            near = {d for k in keys for (d,) in self._db.execute(
                "SELECT doc FROM story_bands WHERE band = ? ORDER BY doc DESC LIMIT ?", (k, BAND_LIMIT))}
            rows = [r for part in _parts(sorted(near)) for r in self._db.execute(
                f"SELECT doc_id, story, sig FROM story_docs WHERE id IN ({','.join('?' * len(part))})", part)]
            for other, story, blob in rows:
                if other != doc_id and blob and same_story(sig, np.frombuffer(blob, dtype=np.uint32))[0]:
                    found[story] = 0
        for story in found:
            found[story] = self._db.execute("SELECT count(*) FROM story_docs WHERE story = ?", (story,)).fetchone()[0]
        story = min(found, key=lambda s: (-found[s], s)) if found else story_id(doc_id)
        others = [s for s in found if s != story]
        if others:
            self._db.execute(f"UPDATE story_docs SET story = ? WHERE story IN ({','.join('?' * len(others))})",
                             [story, *others])
        row = self._db.execute("INSERT INTO story_docs (doc_id, story, sig) VALUES (?, ?, ?)",
                               (doc_id, story, sig.tobytes() if sig is not None else None))
        if sig is not None:
            self._db.executemany("INSERT OR IGNORE INTO story_bands VALUES (?, ?)", [(k, row.lastrowid) for k in keys])
        return story

    def remove(self, doc_id: str) -> None:
        """Take `doc_id` out of its story; if it linked the others, they split into the stories they form alone."""
        row = self._db.execute("SELECT story, id, sig FROM story_docs WHERE doc_id = ?", (doc_id,)).fetchone()
        if row is None:
            return
        self._db.execute("DELETE FROM story_docs WHERE id = ?", (row[1],))
        if row[2]:
            self._db.executemany("DELETE FROM story_bands WHERE band = ? AND doc = ?",
                                 [(k, row[1]) for k in band_keys(np.frombuffer(row[2], dtype=np.uint32))])
        rest = {d: np.frombuffer(b, dtype=np.uint32)
                for d, b in self._db.execute("SELECT doc_id, sig FROM story_docs WHERE story = ?", (row[0],)) if b}
        groups = components(rest)
        founders = [g for g in groups if any(story_id(d) == row[0] for d in g)]
        keeper = founders[0] if founders else groups[0] if groups else []  # the founder's group, else the largest
        for group in groups:  # the others take their first document's id (never the story's: its founder is elsewhere)
            if group is keeper:
                continue
            marks = ",".join("?" * len(group))
            self._db.execute(f"UPDATE story_docs SET story = ? WHERE doc_id IN ({marks})", [story_id(group[0]), *group])

    def fill(self, docs: list[tuple[str, str]]) -> None:
        """Group `(doc_id, text)` of a store written before stories (the format upgrade), in id order, from
        scratch (whatever rows the tables held are replaced)."""
        self._db.execute("DELETE FROM story_bands")
        self._db.execute("DELETE FROM story_docs")
        for doc_id, text in sorted(docs):
            self.add(doc_id, text)

    # -- reads --------------------------------------------------------------------------
    def story_of(self, doc_ids: list[str]) -> dict[str, str]:
        """doc_id -> story id of each stored document (a document without a row is its own story)."""
        out = {d: story_id(d) for d in doc_ids}
        if not self.present():
            return out
        for part in _parts(doc_ids):
            out.update(self._db.execute(
                f"SELECT doc_id, story FROM story_docs WHERE doc_id IN ({','.join('?' * len(part))})", part))
        return out

    def members(self, stories: list[str]) -> dict[str, list[Report]]:
        """story id -> its documents, canonical first (earliest, then longest, then by id)."""
        out: dict[str, list[tuple[tuple, Report]]] = {}
        if not self.present():
            return {}
        for part in _parts(stories):
            for story, d, title, outlet, published, url, size in self._db.execute(
                    "SELECT s.story, d.doc_id, d.title, d.outlet, d.published, d.url, length(d.text) FROM story_docs s "
                    f"JOIN documents d ON d.doc_id = s.doc_id WHERE s.story IN ({','.join('?' * len(part))})", part):
                out.setdefault(story, []).append((canonical_key(published, size, d), Report(d, title, outlet,
                                                                                            published, url)))
        return {s: [r for _, r in sorted(rows, key=lambda x: x[0])] for s, rows in out.items()}

    def shared(self, min_size: int = 2) -> list[str]:
        """Ids of the stories with at least `min_size` documents, largest first."""
        if not self.present():
            return []
        return [s for (s,) in self._db.execute(
            "SELECT story FROM story_docs GROUP BY story HAVING count(*) >= ? ORDER BY count(*) DESC, story",
            (max(min_size, 1),))]

    def count(self) -> int:
        """The number of stories (documents from a store before stories count one each)."""
        if not self.present():
            return self._db.execute("SELECT count(*) FROM documents").fetchone()[0]
        return self._db.execute("SELECT count(DISTINCT story) FROM story_docs").fetchone()[0]

    def any_shared(self) -> bool:
        """Whether any story holds more than one document (else search needs no collapsing)."""
        return self.present() and self._db.execute(
            "SELECT 1 FROM story_docs GROUP BY story HAVING count(*) > 1 LIMIT 1").fetchone() is not None
