"""Soft vocabulary matching: absent words earn credit only when close in meaning to a corpus word."""

from __future__ import annotations

import pytest

from colnato_qa.text import surface_forms
from colnato_qa.vocabulary import SOFT_MATCH_FLOOR, SOFT_MATCH_SPAN, Vocabulary, soft_credit


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


def test_similarity_is_cached(embedder):
    """The second look-up of a word does not reach the model's word table again."""
    asked: list[list[str]] = []

    class Counting:
        def static_word_vectors(self, words):
            asked.append(list(words))
            return embedder.static_word_vectors(words)

    v = Vocabulary({"troops", "concerns"}, Counting())
    first = v.similarity("soldiers")
    calls = len(asked)
    assert v.similarity("soldiers") == first
    assert len(asked) == calls                      # answered from the cache
    v.similarity("capital")
    assert asked[-1] == ["capital"]                 # another word does reach the model


def test_correct_only_unambiguous_close_words(embedder):
    v = Vocabulary({"partnership", "signed", "areas", "colombian", "sighed"}, embedder)
    assert v.correct("partnerhsip") == "partnership"  # two swapped letters are one edit
    assert v.correct("sigend") == "signed"
    assert v.correct("arepas") is None          # a dropped letter in a short word: too often another word
    assert v.correct("colombianos") is None     # two letters longer
    assert v.correct("signed") is None          # already a corpus word
    assert v.correct("sigmed") is None          # "signed" and "sighed" equally close: no guess
