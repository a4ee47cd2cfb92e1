"""Chunking: spans round-trip, the model's token limit is never exceeded, ids are stable."""
from __future__ import annotations

import pytest

from index.chunk import ChunkPlan, chunk_document, split_sentences
from index.document import Document
from tests.fakes import WordTokenizer


def _doc(text: str, title: str = "A title") -> Document:
    return Document(doc_id="https://example.com/a", title=title, text=text, source="a.txt", outlet="Example News")


def test_sentences_respect_abbreviations_and_quotes():
    text = 'Mr. Smith met U.S. officials. He said "no." Then left!\n\nA heading\nLast line'
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "Mr. Smith met U.S. officials.", 'He said "no."', "Then left!", "A heading", "Last line"]


WRAPPED = ("# Northwind opens in Gdansk\n\nNorthwind, the Swedish battery maker, opened a factory in Gdansk on Tuesday that will\n"
           "employ 1,200 people by 2026, the company said. The talks, led by Dr.\nJane Roe of the\n"
           "Polish Investment Agency, took a year.\n\nKey points:\n- cells for buses\n- a second line\n  that wraps\n"
           "Short heading\nThe end.")


def test_a_single_line_break_inside_a_paragraph_is_a_space_not_a_sentence_end():
    sentences = [WRAPPED[s:e] for s, e in split_sentences(WRAPPED)]
    assert sentences == [
        "# Northwind opens in Gdansk",
        "Northwind, the Swedish battery maker, opened a factory in Gdansk on Tuesday that will\n"
        "employ 1,200 people by 2026, the company said.",
        "The talks, led by Dr.\nJane Roe of the\nPolish Investment Agency, took a year.",
        "Key points:", "- cells for buses", "- a second line\n  that wraps", "Short heading", "The end."]


@pytest.mark.parametrize("max_tokens,overlap", [(32, 0), (48, 12), (64, 24)])
def test_chunks_round_trip_and_fit_the_budget(max_tokens, overlap):
    text = " ".join(f"Sentence number {i} talks about topic {i % 7} in some detail." for i in range(60))
    doc = _doc(text)
    tok = WordTokenizer()
    chunks = chunk_document(doc, tok, ChunkPlan(max_tokens, overlap), model_max_tokens=64)
    assert len(chunks) > 3
    for c in chunks:
        assert doc.text[c.start : c.end] == c.text
        assert tok.count([c.embed_text])[0] + 2 <= min(max_tokens, 64)
        assert c.embed_text.startswith("A title | Example News\n")
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())
    if overlap:
        assert any(b.start < a.end for a, b in zip(chunks, chunks[1:]))
    else:
        assert all(b.start >= a.end for a, b in zip(chunks, chunks[1:]))


def test_overlong_sentence_is_cut_not_truncated():
    text = " ".join(["word"] * 500) + "."
    chunks = chunk_document(_doc(text), WordTokenizer(), ChunkPlan(64, 0), model_max_tokens=64)
    assert sum(len(c.text.split()) for c in chunks) == 500


def test_chunk_ids_are_stable_and_distinct():
    doc = _doc("One fact. Another fact. " * 40)
    a = chunk_document(doc, WordTokenizer(), ChunkPlan(32, 8), 64)
    b = chunk_document(doc, WordTokenizer(), ChunkPlan(32, 8), 64)
    assert [c.chunk_id for c in a] == [c.chunk_id for c in b]
    assert len({c.chunk_id for c in a}) == len(a)
    assert all(0 < c.chunk_id < 2**63 for c in a)


def test_real_tokenizer_budget(real_encoder):
    text = open(__file__.replace("test_chunk.py", "../seeds/004_f8e56c66953da029.txt")).read()
    doc = _doc(text, title="Face China Ai Septembermatsakissemafor")
    chunks = chunk_document(doc, real_encoder.tokenizer, ChunkPlan(256, 32), real_encoder.max_tokens)
    counts = real_encoder.tokenizer.count([c.embed_text for c in chunks])
    assert max(counts) + 2 <= real_encoder.max_tokens
    assert all(doc.text[c.start : c.end] == c.text for c in chunks)


def test_chunking_many_documents_at_once_equals_one_by_one():
    from index.chunk import chunk_documents

    docs = [Document(doc_id=f"https://example.com/{n}", title=f"Title {n}", text="Fact one. Fact two is longer. " * n,
                     source=f"{n}.txt", outlet="Example News" if n % 2 else None) for n in range(1, 40)]
    together = chunk_documents(docs, WordTokenizer(), ChunkPlan(32, 8), 64)
    assert together == [chunk_document(d, WordTokenizer(), ChunkPlan(32, 8), 64) for d in docs]
    assert chunk_documents([], WordTokenizer(), ChunkPlan(32, 8), 64) == []
