"""Soft vocabulary matching: absent words earn credit only when close in meaning to a corpus word."""

from __future__ import annotations

import pytest

from colnato_qa.vocabulary import SOFT_MATCH_FLOOR, SOFT_MATCH_SPAN, Vocabulary, soft_credit, surface_forms


def test_soft_credit_hand_values():
    assert soft_credit(SOFT_MATCH_FLOOR - 0.1) == 0.0
    assert soft_credit(SOFT_MATCH_FLOOR) == 0.0
    assert soft_credit(SOFT_MATCH_FLOOR + SOFT_MATCH_SPAN / 2) == pytest.approx(0.5)
    assert soft_credit(SOFT_MATCH_FLOOR + SOFT_MATCH_SPAN) == 1.0
    assert soft_credit(0.99) == 1.0


def test_surface_forms():
    assert surface_forms("Colombia’s soldiers were criticised") == {"colombia": "colombia", "soldier": "soldiers",
                                                                     "critic": "criticized"}


@pytest.fixture(scope="module")
def vocab(embedder):
    return Vocabulary({"troops", "concerns", "established", "military", "partnership"}, embedder)


@pytest.mark.parametrize("word, nearest_is_close", [
    ("soldiers", True),
    ("founded", True),
    ("capital", False),
    ("cup", False),
])
def test_static_similarity_separates_synonyms_from_unrelated_words(vocab, word, nearest_is_close):
    credit = soft_credit(vocab.similarity(word))
    assert (credit > 0.5) is nearest_is_close


def test_similarity_is_cached(vocab):
    first = vocab.similarity("soldiers")
    assert vocab.similarity("soldiers") == first
