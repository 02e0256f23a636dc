"""The word alignment (components/alignment.py): each question word's best match, its min and mean, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from colnato_qa.components.alignment import (
    ALIGNMENT_FEATURES, WordAlignment, best_matches, content_pieces, min_and_mean)
from colnato_qa.index_store import WordPieces

X, Y, Z = np.eye(3, dtype=np.float32)
DIAGONAL = np.array([1.0, 1.0, 0.0], dtype=np.float32) / np.sqrt(2)


def test_content_pieces_leave_out_stopwords_and_punctuation_but_keep_word_continuations():
    assert content_pieces(["how", "many", "beds", "##ide", "?"]).tolist() == [False, False, True, True, False]
    # A question of stopwords only keeps them all: something must be aligned.
    assert content_pieces(["what", "is", "it"]).tolist() == [True, True, True]


def test_best_matches_by_hand():
    question = np.stack([X, Y])
    other = np.stack([DIAGONAL, Z])
    # X . DIAGONAL = Y . DIAGONAL = 1/sqrt(2); both are orthogonal to Z.
    assert best_matches(question, other) == pytest.approx([1 / np.sqrt(2), 1 / np.sqrt(2)])
    assert best_matches(question, np.stack([X])) == pytest.approx([1.0, 0.0])
    assert best_matches(question, np.zeros((0, 3), dtype=np.float32)).tolist() == [0.0, 0.0]


def test_min_and_mean():
    assert min_and_mean(np.array([0.2, 0.8, 0.5])) == pytest.approx((0.2, 0.5))
    assert min_and_mean(np.zeros(0)) == (0.0, 0.0)


def test_a_question_word_the_sentence_lacks_pulls_the_minimum_down():
    question = (("beds", "hospital"), np.stack([Z, X]))     # "beds" has no match in the sentence
    sentence = np.stack([X, DIAGONAL])
    passage = np.stack([X, Y])
    article = np.stack([X, Y, Z])                           # but the article holds it
    got = WordAlignment().run(question, sentence, passage, article)
    assert set(got) == set(ALIGNMENT_FEATURES)
    assert got["align_sentence_min"] == pytest.approx(0.0) and got["align_sentence_mean"] == pytest.approx(0.5)
    assert got["align_passage_min"] == pytest.approx(0.0) and got["align_passage_mean"] == pytest.approx(0.5)
    assert got["align_article_min"] == pytest.approx(1.0) and got["align_article_mean"] == pytest.approx(1.0)


def test_word_pieces_are_stacked_with_their_spans():
    a, b, c = np.ones((2, 3)), np.zeros((1, 3)), np.full((3, 3), 0.5)
    pieces = WordPieces.stack([a], [b, c], dimension=3)
    assert pieces.passages.tolist() == [[0, 2]] and pieces.sentences.tolist() == [[2, 3], [3, 6]]
    assert pieces.vectors.dtype == np.float16 and pieces.vectors.shape == (6, 3)
    assert WordPieces.stack([], [], dimension=3).vectors.shape == (0, 3)
