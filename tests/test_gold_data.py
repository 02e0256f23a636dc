"""The project's gold set, corpus/gold/colnato_gold.jsonl, checked against the article itself."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from colnato_qa.evaluation.gold import check_evidence, load_gold
from colnato_qa.evaluation.metrics import fold_text

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "corpus" / "gold" / "colnato_gold.jsonl"
SEED = ROOT / "corpus" / "sources" / "000_61c0c8e9987a0027.txt"
TYPES = {"direct", "paraphrase", "yes_no", "list", "meta", "followup", "unanswerable"}
BODY_PARAGRAPHS = 19


def _corpus_files() -> list[Path]:
    return sorted(p for p in (ROOT / "corpus").iterdir()
                  if p.is_file() and p.suffix in (".md", ".txt") and p.name.lower() != "readme.md")


@pytest.fixture(scope="module")
def article_text() -> str:
    """The cleaned corpus document(s), whole file text (front matter included); else the seed page."""
    files = _corpus_files()
    if files:
        return "\n\n".join(p.read_text(encoding="utf-8") for p in files)
    if not SEED.exists():
        pytest.skip("neither corpus/*.md nor the seed page is available")
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def body_paragraphs(article_text) -> list[str]:
    """The article's body paragraphs (the 4 ITPP objectives and their lead-in included)."""
    if _corpus_files():
        from colnato_qa.corpus import load_corpus

        docs = load_corpus(ROOT / "corpus")
        return [d.block_text(b) for d in docs for b in d.blocks if b.kind == "paragraph"]
    lines = [ln.strip() for ln in article_text.split("\n") if ln.strip()]
    start = next(i for i, ln in enumerate(lines) if ln.startswith("The announcement in 2017"))
    return lines[start:lines.index("You may also like")]


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
    assert len(items) >= 70
    unanswerable = [it for it in items if not it.answerable]
    assert len(unanswerable) >= 18
    types = Counter(it.type for it in items)
    assert set(types) <= TYPES, set(types) - TYPES
    assert set(types) == TYPES                      # every kind is present
    assert types["followup"] >= 6
    assert all(it.history for it in items if it.type == "followup")
    assert all(not it.answerable for it in items if it.type == "unanswerable")
    assert all(it.answerable for it in items if it.type != "unanswerable")


def test_splits_stratified(items):
    splits = Counter(it.split for it in items)
    assert set(splits) == {"dev", "test"}
    assert abs(splits["dev"] - splits["test"]) <= max(4, len(items) // 10)
    for t in TYPES:
        per = Counter(it.split for it in items if it.type == t)
        assert abs(per["dev"] - per["test"]) <= 1, (t, per)


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
    assert len(body_paragraphs) == BODY_PARAGRAPHS
    evidences = [fold_text(it.evidence) for it in items if it.evidence]
    uncovered = [p[:60] for p in body_paragraphs if not any(e in fold_text(p) for e in evidences)]
    assert not uncovered


def test_meta_questions_cover_author_publisher_title(items):
    meta_answers = {a for it in items if it.type == "meta" for a in it.answers}
    assert "Ferdinand Miracle" in meta_answers
    assert "The Innovation Times" in meta_answers
    assert any(a.startswith("Colombia’s Path to NATO Partnership") for a in meta_answers)


def test_questions_are_distinct_and_some_not_english(items):
    qs = [(it.question.strip().lower(), it.history) for it in items]
    assert len(set(qs)) == len(qs)
    assert any(not it.question.isascii() for it in items if not it.answerable)
