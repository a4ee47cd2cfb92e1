"""Feed files read by `ingest`: RSS 0.9x/1.0/2.0, Atom and JSON Feed items become articles; bad feeds are reported."""
from __future__ import annotations

import json
from pathlib import Path

from index.ingest import ingest
from index.parse import SUPPORTED_SUFFIXES, parse_file_report
from index.storage.layout import IndexDir
from bench.feed_server import Story, atom, json_feed, rss

BASE = "https://paper.example"
STORIES = [Story("lava", "Lava reaches the coast road", "The volcano on the island erupted on Tuesday. Lava crossed "
                 "the coast road by evening, officials said.", topics=("Science", "Disasters")),
           Story("vote", "Council votes on the harbour", "The council voted 7 to 2 to rebuild the harbour wall.",
                 author="Bo Writer", topics=("Politics",))]


def _docs(folder: Path, name: str, data: bytes):
    path = folder / name
    path.write_bytes(data)
    return parse_file_report(path, folder)


def test_rss_items_become_articles_with_their_fields(tmp_path):
    docs, problems = _docs(tmp_path, "paper.rss", rss("The Local Paper", BASE, STORIES))
    assert problems == []
    lava = docs[0]
    assert lava.doc_id == lava.url == f"{BASE}/news/lava.html"  # canonical: the utm_source parameter is gone
    assert lava.title == "Lava reaches the coast road"
    assert lava.outlet == "The Local Paper" and lava.outlet_domain == "paper.example"
    assert lava.published == "2026-12-07T10:00:00Z" and lava.author == "Ann Reporter"
    assert lava.topics == ("Science", "Disasters")
    assert lava.text.startswith("The volcano on the island erupted") and "<p>" not in lava.text  # full content, as text


def test_atom_and_json_feed_items_become_the_same_articles(tmp_path):
    from_atom, problems = _docs(tmp_path, "paper.atom", atom("The Local Paper", BASE, STORIES))
    assert problems == []
    from_json, problems = _docs(tmp_path, "paper.json", json_feed("The Local Paper", BASE, STORIES))
    assert problems == []
    for docs in (from_atom, from_json):
        assert [d.doc_id for d in docs] == [f"{BASE}/news/lava.html", f"{BASE}/news/vote.html"]  # relative links resolved
        assert docs[1].author == "Bo Writer" and docs[1].topics == ("Politics",)
        assert docs[1].text == "The council voted 7 to 2 to rebuild the harbour wall."


def test_rss_091_and_rss_10_and_a_summary_only_feed(tmp_path):
    old = (b'<?xml version="1.0"?><rss version="0.91"><channel><title>Old Times</title><link>http://old.example/</link>'
           b"<item><title>Mill closes</title><link>http://old.example/mill</link><description>The mill &lt;b&gt;closed"
           b"&lt;/b&gt; after 90 years.</description></item></channel></rss>")
    docs, problems = _docs(tmp_path, "old.xml", old)
    assert problems == [] and docs[0].text == "The mill closed after 90 years." and docs[0].outlet == "Old Times"
    rdf = (b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
           b'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel '
           b'rdf:about="http://r.example/"><title>R Daily</title><link>http://r.example/</link></channel>'
           b'<item rdf:about="http://r.example/1"><title>Bridge opens</title><link>http://r.example/1</link>'
           b"<description>The bridge opened.</description><dc:date>2026-12-01T10:00:00Z</dc:date>"
           b"<dc:subject>Transport</dc:subject><dc:creator>Zed</dc:creator></item></rdf:RDF>")
    docs, problems = _docs(tmp_path, "r.xml", rdf)
    assert problems == [] and (docs[0].published, docs[0].author, docs[0].topics) == ("2026-12-01T10:00:00Z", "Zed",
                                                                                         ("Transport",))
    untitled = rss("", BASE, STORIES[:1], full=False).replace(b"<title></title>", b"")
    docs, _ = _docs(tmp_path, "untitled.rss", untitled)
    assert docs[0].outlet == "paper.example"  # no feed title: the link's site
    assert docs[0].text == STORIES[0].body[:80]  # the summary, when the feed carries nothing more


def test_an_item_without_a_link_is_one_problem_and_the_others_stay(tmp_path):
    feed = rss("The Local Paper", BASE, STORIES).replace(f"<link>{BASE}/news/vote.html?utm_source=rss</link>".encode(),
                                                         b"").replace(f"<guid>{BASE}/news/vote.html</guid>".encode(), b"")
    docs, problems = _docs(tmp_path, "paper.rss", feed)
    assert [d.doc_id for d in docs] == [f"{BASE}/news/lava.html"]
    assert [str(p) for p in problems] == ["paper.rss: item 2 ('Council votes on the harbour') has no http(s) link; "
                                          "skipped: give each item a link (RSS <link>, Atom <link href>, JSON Feed "
                                          "url), or leave it out"]


def test_files_that_are_not_feeds_are_reported_by_name(tmp_path):
    cases = {"page.xml": b"<!DOCTYPE html><html><body><p>hi</p></body></html>",
             "sitemap.xml": b'<?xml version="1.0"?><urlset><url><loc>https://a.example/</loc></url></urlset>',
             "text.rss": b"https://paper.example/feed.xml",  # a url is never fetched by the parser
             "bomb.xml": b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;'
                         b'&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><rss version="2.0"><channel>'
                         b"<title>&c;</title></channel></rss>"}
    for name, data in cases.items():
        docs, problems = _docs(tmp_path, name, data)
        assert docs == [] and len(problems) == 1 and str(problems[0]).startswith(name + ": "), (name, problems)
    assert {".rss", ".atom", ".xml"} <= SUPPORTED_SUFFIXES


def test_a_json_file_that_is_not_a_feed_is_still_an_article_record(tmp_path):
    docs, problems = _docs(tmp_path, "a.json", json.dumps({"title": "Plain record", "body": "Text.",
                                                          "url": f"{BASE}/plain", "version": "2"}).encode())
    assert problems == [] and docs[0].title == "Plain record"


def test_ingest_indexes_a_folder_of_feeds_and_a_changed_item_updates(tmp_path, fake_encoder):
    articles, index = tmp_path / "articles", tmp_path / "index"
    articles.mkdir()
    (articles / "paper.rss").write_bytes(rss("The Local Paper", BASE, STORIES))
    (articles / "other.json").write_bytes(json_feed("Other", "https://other.example", STORIES[:1]))
    report = ingest([articles], index, fake_encoder)
    assert (report.added, report.errors) == (3, ())
    changed = [STORIES[0], Story("vote", "Council votes on the harbour", "The council voted 5 to 4 instead.",
                                 author="Bo Writer", topics=("Politics",))]
    (articles / "paper.rss").write_bytes(rss("The Local Paper", BASE, changed))
    report = ingest([articles], index, fake_encoder)
    assert (report.added, report.updated, report.unchanged) == (0, 1, 2)
    opened = IndexDir.open(index, fake_encoder.model_id)
    try:
        assert opened.store.document(f"{BASE}/news/vote.html").text == "The council voted 5 to 4 instead."
    finally:
        opened.close()
