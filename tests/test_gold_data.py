"""The project's gold set, corpus/gold/colnato_gold.jsonl, checked against the article itself."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from colnato_qa.corpus import load_corpus
from colnato_qa.evaluation.gold import check_evidence, load_gold
from colnato_qa.text import fold

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "corpus" / "gold" / "colnato_gold.jsonl"
TYPES = {"direct", "paraphrase", "yes_no", "list", "meta", "followup", "unanswerable"}


@pytest.fixture(scope="module")
def documents():
    return load_corpus(ROOT / "corpus")


@pytest.fixture(scope="module")
def article_text(documents) -> str:
    """The corpus document(s), whole file text (front matter included)."""
    return "\n\n".join(d.text for d in documents)


@pytest.fixture(scope="module")
def body_paragraphs(documents) -> list[str]:
    """The article's body paragraphs as the corpus loader reads them."""
    return [d.block_text(b) for d in documents for b in d.blocks if b.kind == "paragraph"]


@pytest.fixture(scope="module")
def raw_lines() -> list[dict]:
    return [json.loads(ln) for ln in GOLD.read_text(encoding="utf-8").splitlines() if ln.strip()]


@pytest.fixture(scope="module")
def items():
    return load_gold(GOLD)


def test_loads_and_ids_unique(items, raw_lines):
    assert len(items) == len(raw_lines)
    assert len({it.id for it in items}) == len(items)
    assert all(it.id.startswith("q") for it in items)


def test_counts(items):
    assert len(items) >= 70                         # 89 written; dev questions twinned with test ones removed
    unanswerable = [it for it in items if not it.answerable]
    assert len(unanswerable) >= 15
    types = Counter(it.type for it in items)
    assert set(types) <= TYPES, set(types) - TYPES
    assert set(types) == TYPES                      # every kind is present
    assert types["followup"] >= 6
    assert all(it.history for it in items if it.type == "followup")
    assert all(not it.answerable for it in items if it.type == "unanswerable")
    assert all(it.answerable for it in items if it.type != "unanswerable")


def test_splits_hold_every_type(items):
    """Written stratified; dev then lost its near twins of test questions (scripts/dedupe_gold.py), so
    the test split is the larger one, and every kind of question is still in both."""
    splits = Counter(it.split for it in items)
    assert set(splits) == {"dev", "test"}
    assert splits["test"] >= splits["dev"]
    for t in TYPES:
        per = Counter(it.split for it in items if it.type == t)
        assert per["dev"] >= 1 and per["test"] >= 1, (t, per)


def test_answers_are_verbatim(items, article_text):
    missing = [(it.id, a) for it in items for a in it.answers if a not in article_text]
    assert not missing


def test_evidence_is_verbatim_and_in_one_paragraph(items, body_paragraphs):
    check_evidence(items, body_paragraphs)
    for it in items:
        if it.answerable and it.type != "meta":
            assert it.evidence, f"{it.id} is answerable but has no evidence"
        if it.evidence:
            assert any(it.evidence in p for p in body_paragraphs), it.id


def test_every_body_paragraph_is_covered(items, body_paragraphs):
    """Some gold question's evidence lies in each paragraph of the article, whatever their number."""
    assert body_paragraphs
    evidences = [fold(it.evidence, keep_case=True) for it in items if it.evidence]
    uncovered = [p[:60] for p in body_paragraphs if not any(e in fold(p, keep_case=True) for e in evidences)]
    assert not uncovered


def test_meta_questions_cover_author_publisher_title(items, documents):
    """The article's author, publisher and title, as its metadata gives them, are gold answers."""
    meta_answers = {a for it in items if it.type == "meta" for a in it.answers}
    for doc in documents:
        assert doc.author in meta_answers and doc.publisher in meta_answers
        assert any(doc.title.startswith(a) for a in meta_answers)


def test_questions_are_distinct_and_some_not_english(items):
    qs = [(it.question.strip().lower(), it.history) for it in items]
    assert len(set(qs)) == len(qs)
    assert any(not it.question.isascii() for it in items if not it.answerable)
