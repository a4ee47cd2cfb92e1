"""Nothing indexed is lost or silently replaced: rebuild, ids across folders, uploads, --sync, queued writers,
readers that see new generations, and honest messages when the disk (not the index) is the problem.
Fake encoder throughout; the CLI runs through tests/fake_cli.py.
"""
from __future__ import annotations

import errno
import json
import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest

import index.parse.walk
import index.ingest.uploads
from index.errors import IndexBusy, IndexRefused, IndexUnwritable
from index.storage.folder import MARKER_NAME, storage_error
from index.ingest import IngestRun, ingest
from index.storage.layout import IndexDir, write_lock
from index.storage.store import Store
from qa.config import RankPlan
from qa.retrieve.retriever import Retriever
from tests.crash_ingest import PLAN
from tests.test_hardening import _cli, _one_error_line
from ui.desk import Desk


def _md(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder / name


def _record(url: str, title: str, body: str) -> str:
    return json.dumps({"url": url, "title": title, "source": "Example Times", "published_at": "2024-01-08",
                       "body": body}) + "\n"


def _docs(index_dir: Path) -> dict[str, tuple[str, str]]:
    """doc_id -> (title, text) of everything stored."""
    idx = IndexDir.open(index_dir)
    try:
        return {d: (idx.store.document(d).title, idx.store.document(d).text) for d in idx.store.doc_hashes()}
    finally:
        idx.close()


@pytest.fixture
def corpus(tmp_path) -> Path:
    news = tmp_path / "news"
    _md(news, "harbour.md", "# Harbour budget\n\nThe harbour council approved a budget of 40 million on Monday.\n")
    (news / "wire.jsonl").write_text(_record("https://news.example/rail", "Rail strike ends",
                                             "The rail strike ended after three weeks, the union said."))
    return news


# -- rebuild ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["same", "dot", "inside", "contains"])
def test_index_overlapping_the_articles_is_refused_and_nothing_is_deleted(corpus, tmp_path, where):
    before = sorted(p.name for p in corpus.iterdir())
    args = {"same": (str(corpus), str(corpus), corpus.parent), "dot": (".", ".", corpus),
            "inside": (str(corpus), str(corpus / "idx"), corpus.parent),
            "contains": (str(corpus / "sub"), str(corpus), corpus.parent)}[where]
    (corpus / "sub").mkdir(exist_ok=True)
    result = _cli("ingest", args[0], "--index", args[1], "--rebuild", "-q", cwd=args[2])
    _one_error_line(result, "index")
    assert sorted(p.name for p in corpus.iterdir() if p.name != "sub") == [n for n in before if n != "sub"]
    assert not (corpus / "newsdesk.sqlite").exists() and not (corpus / "idx").exists()


def test_rebuild_refuses_a_folder_with_files_newsdesk_did_not_write(corpus, tmp_path, fake_encoder):
    idx = tmp_path / "idx"
    ingest([corpus], idx, fake_encoder, PLAN)
    (idx / "notes.txt").write_text("my notes")
    with pytest.raises(IndexRefused, match=r"holds notes.txt, which newsdesk did not write"):
        ingest([corpus], idx, fake_encoder, PLAN, IngestRun(rebuild=True))
    assert (idx / "notes.txt").read_text() == "my notes" and len(_docs(idx)) == 2


def test_a_new_index_is_not_created_in_a_folder_of_other_files(tmp_path, corpus, fake_encoder):
    other = tmp_path / "photos"
    other.mkdir()
    (other / "cat.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(IndexRefused, match="only in a new or empty folder"):
        ingest([corpus], other, fake_encoder, PLAN)
    assert sorted(p.name for p in other.iterdir()) == ["cat.jpg"]


def test_rebuild_keeps_uploads_and_indexes_them_again(corpus, tmp_path, fake_encoder):
    idx = tmp_path / "idx"
    ingest([corpus], idx, fake_encoder, PLAN)
    retriever = Retriever(IndexDir.open(idx, fake_encoder.model_id), fake_encoder)
    upload = _md(tmp_path / "browser", "zephyr.md", "# Zephyr turbines\n\nThe Zephyr wind farm made 40 megawatts.\n")
    Desk(retriever).add_files([upload])
    retriever.close()
    ingest([corpus], idx, fake_encoder, PLAN, IngestRun(rebuild=True))
    assert (idx / "uploads" / "zephyr.md").is_file() and (idx / MARKER_NAME).is_file()
    assert sorted(title for title, _ in _docs(idx).values()) == ["Harbour budget", "Rail strike ends", "Zephyr turbines"]
    assert not (idx / ".rebuild").exists() and not (idx / ".old").exists()


def test_rebuild_finishes_a_swap_a_crash_cut_short(corpus, tmp_path, fake_encoder):
    idx = tmp_path / "idx"
    ingest([corpus], idx, fake_encoder, PLAN)
    ingest([corpus], idx / ".rebuild", fake_encoder, PLAN)  # a complete new index, then the crash mid-swap:
    (idx / ".old").mkdir()
    os.replace(idx / "newsdesk.sqlite", idx / ".old" / "newsdesk.sqlite")
    ingest([corpus], idx, fake_encoder, PLAN, IngestRun(rebuild=True))
    assert len(_docs(idx)) == 2 and not (idx / ".old").exists()


@pytest.mark.parametrize("case", ["manifest folder", "index is a file"])
def test_odd_index_folders_get_one_line_errors(corpus, tmp_path, fake_encoder, case):
    idx = tmp_path / "idx"
    if case == "manifest folder":
        ingest([corpus], idx, fake_encoder, PLAN)
        (idx / "manifest.json").unlink()
        (idx / "manifest.json").mkdir()
        needle = "manifest.json is not a file"
    else:
        idx.write_text("not a folder")
        needle = "is a file, not"
    _one_error_line(_cli("ingest", str(corpus), "--index", str(idx), "-q", cwd=tmp_path), needle)
    _one_error_line(_cli("ingest", str(corpus), "--index", str(idx), "--rebuild", "-q", cwd=tmp_path), needle)


# -- ids across ingest roots -----------------------------------------------------------------------

def test_same_file_name_in_two_folders_gives_two_documents(tmp_path, fake_encoder):
    one = _md(tmp_path / "d1", "story.md", "# Flood\n\nThe river flooded the old town on Sunday night.\n")
    two = _md(tmp_path / "d2", "story.md", "# Festival\n\nThe summer festival sold every ticket in an hour.\n")
    idx = tmp_path / "idx"
    assert ingest([one.parent], idx, fake_encoder, PLAN).added == 1
    r = ingest([two.parent], idx, fake_encoder, PLAN)
    assert (r.added, r.updated) == (1, 0)
    docs = _docs(idx)
    assert sorted(t for t, _ in docs.values()) == ["Festival", "Flood"]
    again = ingest([one.parent], idx, fake_encoder, PLAN)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 1) and _docs(idx) == docs  # stable ids
    assert all(d.startswith("story.md@") for d in docs)


def test_a_version_2_index_gets_the_new_ids_without_re_embedding(tmp_path, corpus, fake_encoder):
    idx = tmp_path / "idx"
    ingest([corpus], idx, fake_encoder, PLAN)
    db = sqlite3.connect(idx / "newsdesk.sqlite")  # ids as version 2 wrote them: the relative path
    for table in ("documents", "chunks", "topics"):
        db.execute(f"UPDATE {table} SET doc_id = 'harbour.md' WHERE doc_id LIKE 'harbour.md@%'")
    db.execute("UPDATE meta SET value = '2' WHERE key = 'format_version'")
    db.commit()
    db.close()
    assert "harbour.md" in _docs(idx)  # readable as it is
    fake_encoder.encoded.clear()
    r = ingest([corpus], idx, fake_encoder, PLAN)
    ids = sorted(_docs(idx))
    assert len(ids) == 2 and ids[0].startswith("harbour.md@") and fake_encoder.encoded == []
    assert (r.added, r.removed, r.unchanged) == (1, 1, 1)  # the old id gives way to the new one


# -- uploads ---------------------------------------------------------------------------------------

@pytest.fixture
def desk(corpus, tmp_path, fake_encoder):
    ingest([corpus], tmp_path / "idx", fake_encoder, PLAN)
    retriever = Retriever(IndexDir.open(tmp_path / "idx", fake_encoder.model_id), fake_encoder)
    yield Desk(retriever)
    retriever.close()


def test_an_upload_cannot_replace_an_article_from_another_source(desk, tmp_path):
    before = _docs(desk.index_path)
    spoof = tmp_path / "up" / "spoof.jsonl"
    spoof.parent.mkdir()
    spoof.write_text(_record("https://news.example/rail", "Rail strike ends", "The union lied, the strike goes on."))
    report = desk.add_files([spoof])
    assert report.refused == ("skipped https://news.example/rail: an article with this url is already indexed "
                              "from another source",)
    assert _docs(desk.index_path) == before and not (desk.index_path / "uploads" / "spoof.jsonl").exists()
    message, ok = desk.describe_upload(report)
    assert not ok and message.startswith("Nothing was added.") and "already indexed from another source" in message


@pytest.mark.parametrize("spelling", ["https://NEWS.example:443/rail", "https://news.example.:/rail#top",
                                      "https://news.example/r%61il?utm_source=feed"])
def test_an_upload_under_another_spelling_of_an_indexed_url_is_refused(desk, tmp_path, spelling):
    """Every spelling of one url is one document: case, a default or empty port, the host's trailing dot, an
    escaped letter, a fragment or tracking parameters never make a second article beside the indexed one."""
    before = _docs(desk.index_path)
    spoof = tmp_path / "up" / "spoof.jsonl"
    spoof.parent.mkdir()
    spoof.write_text(_record(spelling, "Rail strike ends", "The union lied, the strike goes on."))
    report = desk.add_files([spoof])
    assert report.refused and report.added == 0 and _docs(desk.index_path) == before


def test_uploads_named_like_existing_files_never_overwrite_them(desk, tmp_path):
    first = _md(tmp_path / "a", "harbour.md", "# Harbour fake\n\nThe harbour was sold for one euro.\n")
    second = _md(tmp_path / "b", "harbour.md", "# Harbour again\n\nThe harbour reopened after repairs.\n")
    assert desk.add_files([first]).added == 1
    assert desk.add_files([second]).added == 1
    titles = sorted(t for t, _ in _docs(desk.index_path).values())
    assert titles == ["Harbour again", "Harbour budget", "Harbour fake", "Rail strike ends"]
    assert sorted(p.name for p in (desk.index_path / "uploads").iterdir()) == ["harbour-2.md", "harbour.md"]
    same = desk.add_files([first])  # the same bytes again: found unchanged, no third copy
    assert (same.added, same.unchanged) == (0, 1) and len(list((desk.index_path / "uploads").iterdir())) == 2


def test_an_upload_cannot_replace_an_earlier_upload_by_url(desk, tmp_path):
    one = tmp_path / "one.jsonl"
    one.write_text(_record("https://other.example/a", "Original", "The original report of the event."))
    two = tmp_path / "two.jsonl"
    two.write_text(_record("https://other.example/a", "Spoof", "A spoofed report of the event."))
    desk.add_files([one])
    assert desk.add_files([two]).refused and "Original" in {t for t, _ in _docs(desk.index_path).values()}


def test_concurrent_uploads_all_end_up_indexed(desk, tmp_path):
    files = [_md(tmp_path / f"u{i}", f"note{i}.md", f"# Note {i}\n\nItem{i} was reported by the council.\n")
             for i in range(4)]
    errors: list[BaseException] = []

    def upload(path: Path) -> None:
        try:
            desk.add_files([path])
        except BaseException as exc:  # noqa: BLE001  (collected for the assertion)
            errors.append(exc)

    with write_lock(desk.index_path):  # a command-line ingest holds the index while the uploads arrive
        threads = [threading.Thread(target=upload, args=(f,)) for f in files]
        for t in threads:
            t.start()
    for t in threads:
        t.join()
    assert errors == []
    titles = {t for t, _ in _docs(desk.index_path).values()}
    assert {f"Note {i}" for i in range(4)} <= titles and len(list((desk.index_path / "uploads").iterdir())) == 4


def test_two_servers_uploading_at_once_each_report_their_own_file(desk, tmp_path, fake_encoder):
    """Two `newsdesk serve` processes on one index, each given an upload while a command-line ingest holds it:
    each upload's report describes that upload alone, whichever server's ingest ran first."""
    other = Desk(Retriever(IndexDir.open(desk.index_path, fake_encoder.model_id), fake_encoder))
    files = [_md(tmp_path / f"s{i}", f"story{i}.md", f"# Story {i}\n\nItem{i} was reported by the council.\n")
             for i in range(2)]
    reports: dict[int, object] = {}

    def upload(i: int, server: Desk) -> None:
        reports[i] = server.add_files([files[i]])

    try:
        with write_lock(desk.index_path):  # both uploads wait behind it, their files already placed
            threads = [threading.Thread(target=upload, args=(i, server)) for i, server in enumerate((desk, other))]
            for t in threads:
                t.start()
            deadline = time.monotonic() + 60
            while len(list((desk.index_path / "uploads").glob("story*.md"))) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
        for t in threads:
            t.join()
    finally:
        other.retriever.close()
    for report in reports.values():
        assert (report.added, report.updated, report.unchanged, report.errors) == (1, 0, 0, ())
        assert desk.describe_upload(report) == ("Added 1 article (1 passage indexed). Ask about them now.", True)


def test_an_upload_that_cannot_wait_any_longer_is_reported_and_removed(desk, tmp_path, monkeypatch):
    monkeypatch.setattr(index.ingest.uploads, "UPLOAD_WAIT_S", 0.0)
    upload = _md(tmp_path / "u", "late.md", "# Late\n\nA late report.\n")
    with write_lock(desk.index_path), pytest.raises(IndexBusy, match="is being written"):
        desk.add_files([upload])
    assert not (desk.index_path / "uploads" / "late.md").exists()


def test_an_upload_a_crash_left_unfinished_is_resumed_at_the_next_start(desk, tmp_path):
    uploads = desk.index_path / "uploads"
    uploads.mkdir()
    (uploads / "cut.md").write_text("# Cut short\n\nThe upload was killed before its hash was committed.\n")
    (uploads / "broken.jsonl").write_text("{not json\n")
    report = desk.resume_uploads()
    assert report.added == 1 and report.errors
    assert "Cut short" in {t for t, _ in _docs(desk.index_path).values()}
    assert sorted(p.name for p in uploads.iterdir()) == ["cut.md"] and desk.resume_uploads() is None


# -- sync ------------------------------------------------------------------------------------------

def test_sync_of_one_file_removes_nothing_else(corpus, tmp_path, fake_encoder):
    idx = tmp_path / "idx"
    ingest([corpus], idx, fake_encoder, PLAN)
    new = _md(corpus, "new.md", "# New\n\nA new report about the museum.\n")
    r = ingest([new], idx, fake_encoder, PLAN, IngestRun(sync=True))
    assert (r.added, r.removed) == (1, 0) and len(_docs(idx)) == 3


def test_sync_removes_only_files_seen_gone(corpus, tmp_path, fake_encoder, monkeypatch):
    idx = tmp_path / "idx"
    sub = corpus / "locked"
    _md(sub, "kept.md", "# Kept\n\nThis file sits in a folder that becomes unreadable.\n")
    ingest([corpus], idx, fake_encoder, PLAN)
    (corpus / "harbour.md").unlink()
    real_scandir = os.scandir

    def scandir(path):
        if Path(path) == sub:
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(index.parse.walk.os, "scandir", scandir)
    r = ingest([corpus], idx, fake_encoder, PLAN, IngestRun(sync=True))
    assert r.removed == 1 and {t for t, _ in _docs(idx).values()} == {"Kept", "Rail strike ends"}
    assert any("locked: is a folder that cannot be read" in w for w in r.warnings)


# -- readers see new generations -------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["dense", "hybrid"])
def test_a_running_reader_finds_articles_ingested_by_another_writer(corpus, tmp_path, fake_encoder, mode):
    idx = tmp_path / "idx"
    ingest([corpus], idx, fake_encoder, PLAN)
    reader = Retriever(IndexDir.open(idx, fake_encoder.model_id), fake_encoder, RankPlan(mode=mode))
    try:
        assert "volcano" not in " ".join(h.text for h in reader.search("volcano eruption ash", k=3))
        _md(tmp_path / "more", "volcano.md", "# Volcano\n\nThe volcano eruption covered the island in ash.\n")
        ingest([tmp_path / "more"], idx, fake_encoder, PLAN)
        assert reader.search("volcano eruption ash", k=1)[0].title == "Volcano"
        ingest([corpus, tmp_path / "more"], idx, fake_encoder, PLAN, IngestRun(rebuild=True))  # the store file is replaced
        assert reader.search("volcano eruption ash", k=1)[0].title == "Volcano"
    finally:
        reader.close()


# -- honest storage errors -------------------------------------------------------------------------

@pytest.mark.parametrize("cause,kind,needle", [
    (sqlite3.OperationalError("attempt to write a readonly database"), IndexUnwritable, "cannot be written"),
    (sqlite3.OperationalError("database or disk is full"), IndexUnwritable, "is full"),
    (sqlite3.OperationalError("database is locked"), IndexBusy, "is locked"),
    (OSError(errno.ENOSPC, "No space left on device"), IndexUnwritable, "is full"),
    (OSError(errno.EROFS, "Read-only file system"), IndexUnwritable, "cannot be written"),
])
def test_storage_failures_are_named_for_what_they_are(corpus, tmp_path, fake_encoder, monkeypatch, cause, kind, needle):
    idx = tmp_path / "idx"
    ingest([corpus], idx, fake_encoder, PLAN)
    assert isinstance(storage_error(idx, cause), kind)

    def fail(*args, **kwargs):
        raise cause

    monkeypatch.setattr(Store, "transaction", fail)
    _md(corpus, "more.md", "# More\n\nAnother report.\n")
    with pytest.raises(kind, match=needle) as err:
        ingest([corpus], idx, fake_encoder, PLAN)
    assert "damaged" not in str(err.value) and "--rebuild" not in str(err.value)


_KILLED_UPLOAD = """
import sys
from pathlib import Path
import index.ingest.writer
from index.storage.layout import IndexDir
from qa.retrieve.retriever import Retriever
from tests.fakes import HashingEncoder
from ui.desk import Desk

index.ingest.writer.BATCH_CHUNKS = 2  # the upload's four articles commit in two batches


class StopsInSecondBatch(HashingEncoder):
    calls = 0

    def encode(self, texts, progress=None):
        StopsInSecondBatch.calls += 1
        if StopsInSecondBatch.calls == 2:
            print("first batch committed", flush=True)
            sys.stdin.read()  # killed here
        return super().encode(texts, progress)


encoder = StopsInSecondBatch()
Desk(Retriever(IndexDir.open(Path(sys.argv[1]), encoder.model_id), encoder)).add_files([sys.argv[2]])
"""


def test_an_upload_killed_mid_ingest_is_finished_at_the_next_start(desk, tmp_path, fake_encoder):
    import signal
    import subprocess
    import sys

    from tests.conftest import ROOT

    upload = tmp_path / "batch.jsonl"
    upload.write_text("".join(_record(f"https://up.example/{i}", f"Upload {i}", f"Short upload item{i} text.")
                              for i in range(4)))
    child = subprocess.Popen([sys.executable, "-c", _KILLED_UPLOAD, str(desk.index_path), str(upload)], cwd=ROOT,
                             env=dict(os.environ, PYTHONPATH=str(ROOT)), stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "first batch committed"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=60)
    partial = {t for t, _ in _docs(desk.index_path).values() if t.startswith("Upload")}
    assert partial == {"Upload 0", "Upload 1"}  # partly indexed, and nothing recorded the file as done
    report = Desk(desk.retriever).resume_uploads()
    assert report is not None and (report.added, report.unchanged) == (2, 2)
    assert {t for t, _ in _docs(desk.index_path).values() if t.startswith("Upload")} == {f"Upload {i}" for i in range(4)}


def test_the_upload_status_says_what_happened(desk, tmp_path):
    new = _md(tmp_path / "n", "quay.md", "# Quay opens\n\nThe new quay opened to ferries on Friday.\n")
    added = desk.add_files([new])
    assert desk.describe_upload(added) == ("Added 1 article (1 passage indexed). Ask about them now.", True)
    assert desk.describe_upload(desk.add_files([new])) == ("These articles are already indexed; nothing changed.", True)
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{not json\n")
    text, ok = desk.describe_upload(desk.add_files([broken]))
    assert not ok and text.startswith("Nothing was added. Skipped broken.jsonl:1") and str(tmp_path) not in text


def test_an_upload_the_disk_cannot_hold_is_reported_and_leaves_no_file(desk, tmp_path, monkeypatch):
    def full(source, target, *args, **kwargs):
        target.write(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(index.ingest.uploads.shutil, "copyfileobj", full)
    upload = _md(tmp_path / "u", "big.md", "# Big\n\nA report.\n")
    with pytest.raises(IndexUnwritable, match="is full"):
        desk.add_files([upload])
    assert list((desk.index_path / "uploads").iterdir()) == []
