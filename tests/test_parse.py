"""Parse stage: the seeds become the right Documents, and bad files are reported, never crash."""
from __future__ import annotations

import json
import os
import re
import time
from dataclasses import asdict
from pathlib import Path

import pytest
import yaml

from index.document import untagged
from index.errors import ParseError
from index.parse import MAX_FILE_BYTES, SUPPORTED_SUFFIXES, ParseNote, discover, parse_file, parse_file_report

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
CORPUS = ROOT.parent / "shared" / "eval" / "multihop-rag" / "corpus.jsonl"
CHINADAILY_1 = "https://global.chinadaily.com.cn/a/202402/21/WS65d5382ba31082fc043b8335.html"
CHINADAILY_2 = "https://global.chinadaily.com.cn/a/202403/06/WS65e7c8b1a31082fc043baeb6.html"
ESM_RELATED = ("https://www.esmmagazine.com/features/"
               "ai-and-computer-vision-to-be-major-trends-in-the-retail-sector-in-2024-259826")
FORBES_RELATED = ("https://www.forbes.com/sites/forbesbusinessdevelopmentcouncil/2024/03/07/"
                  "ai-integration-in-aerial-imagery-spells-big-changes-for-key-industries/")



def _write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _only_error(path: Path, root: Path) -> ParseError:
    with pytest.raises(ParseError) as caught:
        parse_file(path, root)
    return caught.value


# --- the seeds -------------------------------------------------------------------------------------

def test_seed_folder_yields_two_articles_two_related_and_the_page():
    documents = [doc for root, path in discover([SEEDS]) for doc in parse_file(path, root)]
    assert [(doc.kind, untagged(doc.doc_id)) for doc in documents] == [
        ("article", CHINADAILY_1),
        ("related", ESM_RELATED),
        ("article", CHINADAILY_2),
        ("related", FORBES_RELATED),
        ("article", "004_f8e56c66953da029.txt"),
    ]


def test_yaml_record_fields():
    article, related = parse_file(SEEDS / "000_de7141812fa84b3b.txt", SEEDS)
    assert article.title == "China and US should join their strengths in AI revolution"
    assert article.text.startswith("From media to finance, healthcare to transportation, GenAI")
    assert article.url == CHINADAILY_1
    assert (article.outlet, article.outlet_domain) == ("中国日报网", "chinadaily.com.cn")
    assert article.published == "2024-02-21T01:01:00Z"
    assert article.topics == ("AI in Robotics", "AI", "AI Hardware")
    assert (article.quality, article.category, article.source) == (41, "news", "000_de7141812fa84b3b.txt")
    assert article.images == ("https://img2.chinadaily.com.cn/images/202402/21/65d54123a31082fc2b68ddb4.jpeg",)
    assert related.kind == "related" and related.parent_id == CHINADAILY_1
    assert related.title == "AI And Computer Vision To Be Major Trends In The Retail Sector In 2024"
    assert related.text.startswith("Within the growing suite of AI-powered applications")
    assert (related.outlet, related.published, related.quality) == ("esmmagazine.com", "2024-02-21T09:43:00Z", 54)

    article, related = parse_file(SEEDS / "001_1d1f82bdae50f831.txt", SEEDS)
    assert (article.title, article.published, article.topics) == (
        "AI industrial chain spurred on by Sora", "2024-03-06T01:45:00Z", ("AI Ethics", "AI"))
    assert (related.outlet, related.outlet_domain, related.parent_id) == ("Forbes", "forbes.com", CHINADAILY_2)


@pytest.mark.parametrize("name", ["000_de7141812fa84b3b.txt", "001_1d1f82bdae50f831.txt"])
def test_secured_token_appears_in_no_field(name):
    secured = yaml.safe_load((SEEDS / name).read_text(encoding="utf-8").split("\n---")[0])["secured"]
    documents = parse_file(SEEDS / name, SEEDS)
    assert len(documents) == 2
    for document in documents:
        stored = json.dumps(asdict(document), ensure_ascii=False)
        assert secured not in stored and secured[:16] not in stored


def test_scraped_page_loses_its_boilerplate():
    (page,) = parse_file(SEEDS / "004_f8e56c66953da029.txt", SEEDS)
    raw = (SEEDS / "004_f8e56c66953da029.txt").read_text(encoding="utf-8")
    assert page.title == "Face China Ai Septembermatsakissemafor"
    assert page.text.startswith("In September 2024")
    assert "Healthy Speaks" not in page.text
    assert page.text in raw  # the body is the original characters, so spans point into the file
    assert (untagged(page.doc_id), page.url, page.published, page.outlet) == ("004_f8e56c66953da029.txt", None, None, "Healthy Speaks")


def test_page_heuristic_is_not_tied_to_the_seed(tmp_path):
    path = _write(tmp_path, "news/page.txt", "Daily Planet\nHome  World  Sport\nDaily Planet - all the news\n\n"
                  "Mayor opens new bridge\nBy Lois Lane\nMarch 3, 2024\n\n"
                  "The mayor opened the bridge on Sunday. Crowds lined the river to watch.\n\nMore text here.\n")
    (page,) = parse_file(path, tmp_path)
    assert (page.title, page.author, page.published, page.outlet) == (
        "Mayor opens new bridge", "Lois Lane", "2024-03-03", "Daily Planet")
    assert page.text == "The mayor opened the bridge on Sunday. Crowds lined the river to watch.\n\nMore text here."
    assert untagged(page.doc_id) == page.source == "news/page.txt"


# --- other formats ---------------------------------------------------------------------------------

def test_multihop_jsonl_sample(tmp_path):
    if not CORPUS.exists():
        pytest.skip(f"{CORPUS} is not in this checkout")
    with CORPUS.open(encoding="utf-8") as corpus:
        lines = [next(corpus) for _ in range(3)]
    path = _write(tmp_path, "sample.jsonl", "".join(lines))
    documents, problems = parse_file_report(path, tmp_path)
    assert problems == [] and len(documents) == 3
    for document, line in zip(documents, lines):
        record = json.loads(line)
        assert document.doc_id == document.url == re.sub(r"&utm_[^&]*", "", record["url"])  # tracking dropped
        assert (document.title, document.outlet, document.category) == (record["title"], record["source"], record["category"])
        assert document.text == record["body"].strip()
    first = documents[0]
    assert (first.outlet, first.published, first.author) == ("Mashable", "2023-11-27T08:45:59Z", None)


def test_jsonl_broken_line_keeps_the_good_ones(tmp_path):
    path = _write(tmp_path, "dump.jsonl", '{"title": "One", "body": "First body.", "link": "https://a.example/1"}\n'
                  '{"title": "Two", "body": \n'
                  '\n'
                  '{"headline": "Three", "content": "Third body.", "publisher": "Wire", "date": "2024-01-02T03:04:05+01:00"}\n'
                  '["not", "an", "object"]\n'
                  '{"author": "nobody"}\n')
    documents, problems = parse_file_report(path, tmp_path)
    assert [doc.title for doc in documents] == ["One", "Three"]
    assert untagged(documents[1].doc_id) == "dump.jsonl#4"
    assert (documents[1].outlet, documents[1].published) == ("Wire", "2024-01-02T02:04:05Z")
    assert [problem.line for problem in problems] == [2, 5, 6]
    assert "not valid JSON" in str(problems[0]) and "dump.jsonl:2" in str(problems[0])
    assert "no title or body" in str(problems[2])
    assert not any(isinstance(problem, ParseNote) for problem in problems)


def test_json_list_file(tmp_path):
    path = _write(tmp_path, "list.json", json.dumps([{"title": "A", "text": "Alpha text."}, {"title": "B", "text": "Beta."}]))
    assert [untagged(doc.doc_id) for doc in parse_file(path, tmp_path)] == ["list.json#1", "list.json#2"]


def test_markdown_with_front_matter(tmp_path):
    path = _write(tmp_path, "notes/story.md", "---\ntitle: Rates held steady\nurl: HTTPS://News.Example.com/rates?id=7&utm_source=x#top\n"
                  "date: 2024-05-01\nsource: Example News\nauthor: [Ann, Bo]\ntopics: [economy, rates]\n---\n"
                  "# Rates held steady\n\nThe central bank kept **rates** unchanged.\n\n## Why\n\nInflation.\n")
    (doc,) = parse_file(path, tmp_path)
    assert doc.title == "Rates held steady"
    assert doc.text == "The central bank kept **rates** unchanged.\n\n## Why\n\nInflation."
    assert doc.url == doc.doc_id == "https://news.example.com/rates?id=7"
    assert (doc.published, doc.outlet, doc.author, doc.topics) == ("2024-05-01", "Example News", "Ann, Bo", ("economy", "rates"))
    assert doc.source == "notes/story.md"


def test_markdown_title_from_heading(tmp_path):
    (doc,) = parse_file(_write(tmp_path, "plain.markdown", "# Storm hits coast\n\nWinds reached 120 km/h.\n"), tmp_path)
    assert (doc.title, doc.text, untagged(doc.doc_id)) == ("Storm hits coast", "Winds reached 120 km/h.", "plain.markdown")


def test_html_page(tmp_path):
    page = ("<html><head><title>Fallback title</title><link rel='canonical' href='https://example.com/a/ports'>"
            "<meta property='og:site_name' content='Harbour Times'><meta name='author' content='Jane Doe'>"
            "<meta property='article:published_time' content='2024-03-01T10:00:00+02:00'></head><body>"
            "<nav>Home | About | Contact</nav><article><h1>Ports expand</h1>"
            "<p>The port authority approved a new terminal on Monday, doubling capacity for container ships.</p>"
            "<p>Construction starts next year and should take three years, the authority said.</p></article>"
            "<footer>Copyright 2024</footer></body></html>")
    (doc,) = parse_file(_write(tmp_path, "ports.html", page), tmp_path)
    assert doc.title == "Ports expand"
    assert doc.text.startswith("The port authority approved") and "Copyright" not in doc.text and "About" not in doc.text
    assert (doc.url, doc.outlet, doc.author, doc.published) == ("https://example.com/a/ports", "Harbour Times", "Jane Doe", "2024-03-01")


def test_html_without_article_text(tmp_path):
    error = _only_error(_write(tmp_path, "empty.htm", "<html><head><title>x</title></head><body></body></html>"), tmp_path)
    assert "no article text found" in str(error)


# --- bad input -------------------------------------------------------------------------------------

def test_malformed_yaml_reports_the_line(tmp_path):
    path = _write(tmp_path, "bad.txt", "---\ntitle: fine\nexcerpt: \"unclosed\ntopics:\n  - [a\n---\n")
    error = _only_error(path, tmp_path)
    assert error.line is not None and error.line >= 3
    assert str(error).startswith(f"bad.txt:{error.line}: is not valid YAML")


def test_yaml_scalars_keep_their_spelling(tmp_path):
    path = _write(tmp_path, "odd.yaml", "title: NO\nexcerpt: on\noutlet: 2024-02-21\npublishedDateTime: 2024-02-21\nquality: '7'\n")
    (doc,) = parse_file(path, tmp_path)
    assert (doc.title, doc.text, doc.outlet, doc.published, doc.quality) == ("NO", "on", "2024-02-21", "2024-02-21", 7)


def test_alias_bomb_is_rejected_quickly(tmp_path):
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]  # the classic billion laughs: 9 levels, 74 aliases
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        lines.append(f"{level}: &{level} [" + ", ".join([f"*{previous}"] * 9) + "]")
    path = _write(tmp_path, "bomb.yaml", "\n".join(lines + ["title: *i", "excerpt: *i"]) + "\n")
    started = time.perf_counter()
    error = _only_error(path, tmp_path)
    assert time.perf_counter() - started < 30  # expanding it would take minutes and gigabytes: a loose bound
    assert "aliases" in str(error)


def test_deep_nesting_is_rejected(tmp_path):
    error = _only_error(_write(tmp_path, "deep.yml", "title: x\nexcerpt: " + "[" * 5000 + "]" * 5000 + "\n"), tmp_path)
    assert "nested" in str(error)


def test_empty_and_blank_files(tmp_path):
    assert "file is empty" in str(_only_error(_write(tmp_path, "empty.txt", b""), tmp_path))
    assert "file is empty" in str(_only_error(_write(tmp_path, "blank.md", "  \n\n"), tmp_path))


def test_binary_file_with_text_suffix(tmp_path):
    error = _only_error(_write(tmp_path, "photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))), tmp_path)
    assert "binary" in str(error) and error.path == "photo.txt"


def test_latin1_text_is_decoded_with_a_note(tmp_path):
    path = _write(tmp_path, "old.txt", "Caf\u00e9 news\n\nThe caf\u00e9 opened its doors on Monday. It serves cr\u00e8me br\u00fbl\u00e9e.\n".encode("latin-1"))
    documents, problems = parse_file_report(path, tmp_path)
    assert documents[0].text == "The caf\u00e9 opened its doors on Monday. It serves cr\u00e8me br\u00fbl\u00e9e."
    assert len(problems) == 1 and isinstance(problems[0], ParseNote)
    assert "not valid UTF-8" in str(problems[0]) and problems[0].line == 1


def test_undecodable_text_is_reported(tmp_path):
    error = _only_error(_write(tmp_path, "junk.txt", b"Title\n\n\x81\x8d\x8f\x90\x9d text\n"), tmp_path)
    assert "not UTF-8 text" in str(error) and error.line == 3


def test_oversized_file_names_size_and_cap(tmp_path):
    path = _write(tmp_path, "huge.md", b"# Big\n\n" + b"word " * (MAX_FILE_BYTES // 5 + 10))
    message = str(_only_error(path, tmp_path))
    assert "2.0 MiB" in message and "limit" in message


def test_record_without_title_or_body(tmp_path):
    error = _only_error(_write(tmp_path, "hollow.yaml", "---\nquality: 3\nsecured: abc\n---\n"), tmp_path)
    assert "no title or body" in str(error) and error.line == 2


# --- discover --------------------------------------------------------------------------------------

def test_discover_skips_hidden_unsupported_and_escaping_links(tmp_path):
    corpus, outside = tmp_path / "corpus", tmp_path / "outside"
    _write(corpus, "a.txt", "x")
    _write(corpus, "sub/b.md", "x")
    _write(corpus, ".hidden/c.txt", "x")
    _write(corpus, ".d.txt", "x")
    _write(corpus, "e.pdf", "x")
    _write(outside, "secret.txt", "x")
    os.symlink(outside, corpus / "out_dir")
    os.symlink(outside / "secret.txt", corpus / "out_file.txt")
    os.symlink(corpus, corpus / "sub" / "loop")
    os.symlink(corpus / "self_loop", corpus / "self_loop")
    os.symlink(corpus / "sub" / "b.md", corpus / "inside_link.md")
    pairs = discover([corpus])
    assert [(root, path.relative_to(root).as_posix()) for root, path in pairs] == [(corpus, "a.txt"), (corpus, "sub/b.md")]


def test_discover_direct_file_and_missing_path(tmp_path):
    path = _write(tmp_path, "one.jsonl", "{}")
    assert discover([path]) == [(tmp_path, path)]
    with pytest.raises(ParseError, match="check the path"):
        discover([tmp_path / "missing"])
    assert {".txt", ".jsonl", ".md", ".html"} <= SUPPORTED_SUFFIXES
