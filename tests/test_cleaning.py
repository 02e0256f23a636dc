"""Cleaning the scraped page: boilerplate out, content paragraphs verbatim."""

from __future__ import annotations

from pathlib import Path

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


# -- a page from another site (issue 22, item 5) ---------------------------------------------------
ANOTHER_LAYOUT = Path(__file__).parent / "fixtures" / "pages" / "open-columns-another-layout.txt"
THIRD_ARTICLE = CORPUS_DIR / "articles" / "open-columns"
# Furniture of that page; none of these labels is known to the cleaner.
OTHER_SITE_BOILERPLATE = [
    "Skip to main content", "Podcasts", "Sign in", "Culture › Libraries", "11 min read", "Share on Facebook",
    "Copy link", "Listen to this article", "Advertisement", "Photograph: Astrid Holm", "Read more: The archivists",
    "Sign up for The Weekly Review", "Enter your email address", "Digital heritage", "More from Culture",
    "Why Nordic Libraries Are Betting on Open Data", "Ferry Fares to Rise Again", "Join the conversation",
    "Comments (2)", "forty thousand lines myself", "Reply", "Advertise with us", "Cookie settings",
    "All rights reserved", "We use cookies", "How a national library handed",
]


@pytest.fixture(scope="module")
def third_article() -> list[str]:
    (doc,) = load_corpus(THIRD_ARTICLE)
    return [doc.block_text(b) for b in doc.blocks if b.kind == "paragraph"]


@pytest.fixture(scope="module")
def other_site():
    return clean_page(ANOTHER_LAYOUT.read_text(encoding="utf-8"), source=ANOTHER_LAYOUT.name)


def test_a_page_from_another_site_gives_the_article_text_and_nothing_else(other_site, third_article):
    """A scraped page in another layout (nav menu, share buttons, a caption, a pull quote, related
    links, a newsletter box, comments, a footer) around the third article's text: exactly its
    paragraphs come out, in order, verbatim."""
    assert other_site.paragraphs == third_article
    for junk in OTHER_SITE_BOILERPLATE:
        assert all(junk not in p for p in other_site.paragraphs), junk


def test_a_page_from_another_site_gives_its_metadata(other_site):
    assert other_site.title == "The Crowd That Read a Century of Newsprint"     # from breadcrumb and window title
    assert other_site.author == "Tomas Brenner-Lund"                            # "By ... | date | read time"
    assert other_site.publisher == "The Northern Review of Ideas"               # from the © line


def test_what_the_cleaner_could_not_tell_apart_is_listed(other_site):
    assert other_site.uncertain == [
        "Volunteers at a correction evening in the library's reading room. Photograph: Astrid Holm/The Northern Review",
        "Read more: The archivists racing to save the nation's magnetic tape",
    ]
    assert len(other_site.other_prose) == 2 and all("Reply" not in p for p in other_site.other_prose)


def test_import_page_lists_what_it_dropped_for_a_person_to_check(tmp_path, third_article):
    corpus = tmp_path / "corpus"
    res = _import_page(ANOTHER_LAYOUT, "--corpus", corpus)
    assert res.exit_code == 0, res.output
    (doc,) = load_corpus(corpus)
    assert [doc.block_text(b) for b in doc.blocks if b.kind == "paragraph"] == third_article
    assert "kept 17 paragraphs" in res.output
    assert "dropped 2 short line(s) inside the article" in res.output and "Read more: The archivists" in res.output
    assert "not imported: 2 paragraph-like line(s) outside the article" in res.output


@pytest.mark.parametrize("line, prose", [
    ("The council approved the plant in November 2017 by 29 votes to 18, after a long debate.", True),
    ("Why Nordic Libraries Are Betting on Open Data and What It Means for Readers Everywhere.", False),  # title case
    ("Sign up for our newsletter to get the best of our journalism every single morning.", False),     # furniture
    ("Read more: the archivists racing to save the nation's magnetic tape before it crumbles", False),   # no full stop
    ("It did not.", False),                                                                             # too short
])
def test_prose_is_told_by_its_shape(line, prose):
    from colnato_qa.cleaning import is_prose

    assert is_prose(line) is prose
