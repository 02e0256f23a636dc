"""Corpus loading, sentence splitting and chunking."""

from __future__ import annotations

import pytest

from colnato_qa.chunking import Chunker, is_lead_in
from colnato_qa.corpus import load_corpus, parse_document
from colnato_qa.errors import CorpusError
from colnato_qa.sentences import split_sentences

from .conftest import CORPUS_DIR


@pytest.fixture(scope="module")
def passages():
    return Chunker().run(load_corpus(CORPUS_DIR))


def test_one_passage_per_paragraph_with_offsets(passages):
    doc = load_corpus(CORPUS_DIR)[0]
    body = [p for p in passages if p.kind == "paragraph"]
    assert len(body) == 18  # 19 paragraphs, the lead-in merged with the first list item
    for p in passages:
        assert doc.text[p.span.start:p.span.end] == p.text
        for s in p.sentences:
            assert p.text[s.start:s.end].strip() == p.text[s.start:s.end]
    assert [p.paragraph for p in body] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16, 17, 18, 19]


def test_lead_in_is_not_a_chunk_of_its_own(passages):
    lead = [p for p in passages if "Some of the primary objectives" in p.text]
    assert len(lead) == 1
    assert lead[0].text.startswith("Some of the primary objectives of the ITPP include:\n\nDefending shared")
    assert (lead[0].paragraph, lead[0].paragraph_end) == (10, 11)
    # The other list items carry the lead-in as retrieval context.
    items = [p for p in passages if p.paragraph in (12, 13, 14)]
    assert all(p.context == "Some of the primary objectives of the ITPP include:" for p in items)


def test_ids_are_stable_and_unique(passages):
    again = Chunker().run(load_corpus(CORPUS_DIR))
    assert [p.passage_id for p in passages] == [p.passage_id for p in again]
    assert len({p.passage_id for p in passages}) == len(passages)


def test_title_byline_metadata_passages(passages):
    kinds = {p.kind: p for p in passages}
    assert kinds["byline"].text == "by Ferdinand Miracle"
    assert kinds["title"].text.startswith("Colombia’s Path to NATO Partnership")
    assert "publisher: The Innovation Times" in kinds["metadata"].text
    assert not any(p.searchable for p in (kinds["byline"], kinds["title"], kinds["metadata"]))


@pytest.mark.parametrize("text, expected", [
    ("Colombia remained a steadfast ally of the U.S. under both administrations. Then it changed.",
     ["Colombia remained a steadfast ally of the U.S. under both administrations.", "Then it changed."]),
    ("During the presidency of Álvaro Uribe (2002-2010), ties grew. Santos followed.",
     ["During the presidency of Álvaro Uribe (2002-2010), ties grew.", "Santos followed."]),
    ("Was it? Yes! It was.", ["Was it?", "Yes!", "It was."]),
    ("Lead-in:\n\nItem one. Item two.", ["Lead-in:", "Item one.", "Item two."]),
])
def test_sentence_splitter(text, expected):
    assert [text[s.start:s.end] for s in split_sentences(text)] == expected


def test_long_paragraph_split_on_sentence_boundaries():
    sentence = "The alliance trained officers in many fields of modern defence work. "
    doc = parse_document("---\ntitle: T\n---\n\n" + sentence * 40 + "\n")
    parts = Chunker(max_tokens=64).run([doc])
    body = [p for p in parts if p.kind == "paragraph"]
    assert len(body) > 1
    assert all(p.paragraph == 1 for p in body)
    assert all(p.text.endswith(".") for p in body)
    assert "".join(p.text for p in body).replace(" ", "") == (sentence * 40).replace(" ", "")


@pytest.mark.parametrize("text, expected", [
    ("Some of the primary objectives of the ITPP include:", True),
    ("The objectives are these.", False),
    ("A: b\nc:", False),
])
def test_is_lead_in(text, expected):
    assert is_lead_in(text) is expected


def test_loader_takes_txt_and_md(tmp_path):
    (tmp_path / "a.md").write_text("---\ntitle: A doc\nauthor: X\n---\n\nFirst paragraph here.\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Second document title\n\nIts only paragraph.\n", encoding="utf-8")
    (tmp_path / "notes.json").write_text("{}", encoding="utf-8")
    docs = load_corpus(tmp_path)
    assert [d.title for d in docs] == ["A doc", "Second document title"]
    assert docs[0].author == "X"


@pytest.mark.parametrize("setup, message", [
    (lambda d: None, "holds no documents"),
    (lambda d: (d / "x.md").write_bytes(b"\xff\xfe bad"), "not UTF-8"),
    (lambda d: (d / "x.md").write_text("---\ntitle: only\n---\n", encoding="utf-8"), "no paragraphs"),
])
def test_bad_corpus(tmp_path, setup, message):
    setup(tmp_path)
    with pytest.raises(CorpusError, match=message):
        load_corpus(tmp_path)


def test_missing_corpus_dir(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        load_corpus(tmp_path / "nope")
