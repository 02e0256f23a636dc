"""Cleaning the scraped page: boilerplate out, content paragraphs verbatim."""

from __future__ import annotations

import pytest

from colnato_qa.cleaning import clean_page, render_document
from colnato_qa.corpus import load_corpus, parse_document

from .conftest import CORPUS_DIR, SEED

BOILERPLATE = [
    "Home World", "0 comments", "You may also like", "Leave a Comment", "Welcome to The Innovation Times",
    "Edtior's Picks", "Latest Articles", "This website uses cookies", "Privacy & Cookies Policy",
]


@pytest.fixture(scope="module")
def raw() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def article(raw):
    return clean_page(raw, source=SEED.name)


def test_metadata_found(article):
    assert article.title == "Colombia’s Path to NATO Partnership: A South American Country’s Growing Role in Global Security"
    assert article.author == "Ferdinand Miracle"
    assert article.publisher == "The Innovation Times"


@pytest.mark.parametrize("junk", BOILERPLATE)
def test_boilerplate_removed(article, junk):
    assert all(junk not in p for p in article.paragraphs)


def test_every_content_paragraph_kept_verbatim(raw, article):
    raw_lines = [line for line in raw.splitlines() if len(line) > 120 and not line.startswith("Welcome to")
                 and "cookies" not in line]
    assert len(raw_lines) == 18  # every long line of the page is article text
    for line in raw_lines:
        assert line in article.paragraphs
    assert "Some of the primary objectives of the ITPP include:" in article.paragraphs
    assert len(article.paragraphs) == 19


def test_curly_quotes_kept(article):
    text = "\n".join(article.paragraphs)
    assert "“global partner”" in text and "Colombia’s" in text
    assert '"global partner"' not in text


def test_title_not_repeated_in_body(article):
    assert all(article.title not in p for p in article.paragraphs)


def test_committed_corpus_is_the_cleaned_seed(raw):
    """corpus/ is produced by the cleaning code: re-running it gives the committed file."""
    docs = load_corpus(CORPUS_DIR)
    assert len(docs) == 1
    doc = docs[0]
    expected = render_document(clean_page(raw, source=doc.metadata["source"]), doc.doc_id)
    assert doc.text == expected


def test_render_then_parse_round_trip(article):
    doc = parse_document(render_document(article, "x"))
    assert doc.doc_id == "x"
    assert doc.metadata["author"] == "Ferdinand Miracle"
    assert doc.metadata["publisher"] == "The Innovation Times"
    assert [doc.block_text(b) for b in doc.blocks if b.kind == "paragraph"] == article.paragraphs


def test_empty_page_gives_no_paragraphs():
    assert clean_page("").paragraphs == []


@pytest.fixture
def project_copy(tmp_path):
    """A copy of the project's corpus/ (the article and its source page) in a temporary project root."""
    import shutil

    corpus = tmp_path / "corpus"
    (corpus / "sources").mkdir(parents=True)
    committed = next(CORPUS_DIR.glob("*.md"))
    shutil.copy(committed, corpus / committed.name)
    shutil.copy(SEED, corpus / "sources" / SEED.name)
    return corpus, committed


def _import_page(*args):
    from click.testing import CliRunner

    from colnato_qa.cli import main

    return CliRunner().invoke(main, ["import-page", *map(str, args)])


def test_import_page_reproduces_the_committed_file_byte_for_byte(project_copy, monkeypatch, tmp_path):
    corpus, committed = project_copy
    monkeypatch.chdir(tmp_path.parent)                     # the working directory does not matter
    res = _import_page(corpus / "sources" / SEED.name, "--corpus", corpus)
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in corpus.glob("*.md")) == [committed.name]       # no second copy
    assert (corpus / committed.name).read_bytes() == committed.read_bytes()


def test_import_page_replaces_the_document_of_the_same_article(project_copy):
    corpus, committed = project_copy
    res = _import_page(corpus / "sources" / SEED.name, "--corpus", corpus, "--doc-id", "renamed")
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in corpus.glob("*.md")) == ["renamed.md"]
    assert load_corpus(corpus)[0].doc_id == "renamed"
    assert _import_page(corpus / "sources" / SEED.name, "--corpus", corpus).exit_code == 0
    assert sorted(p.name for p in corpus.glob("*.md")) == ["renamed.md"]           # keeps the existing doc id


def test_document_id_is_the_main_title():
    from colnato_qa.cleaning import document_id

    assert document_id("Colombia’s Path to NATO Partnership: A South American Country’s Growing Role") == \
        "colombia-path-to-nato-partnership"
