"""Reciprocal rank fusion against values computed by hand (ranks start at 1)."""

from __future__ import annotations

import pytest

from colnato_qa.components.selector import idf
from colnato_qa.retrieval.fusion import fused_order, reciprocal_rank_fusion


def test_rrf_hand_values():
    scores = reciprocal_rank_fusion([["a", "b"], ["b", "c"]])
    assert scores["a"] == 1 / 61
    assert scores["b"] == 1 / 62 + 1 / 61
    assert scores["c"] == 1 / 62
    assert fused_order(scores) == ["b", "a", "c"]


def test_rrf_weights_and_k():
    scores = reciprocal_rank_fusion([["x"], ["y"]], k=0, weights=[2.0, 1.0])
    assert scores == {"x": 2.0, "y": 1.0}


@pytest.mark.parametrize("kwargs, message", [
    ({"k": -1}, "k must be >= 0"),
    ({"weights": [1.0]}, "1 weights for 2 rankings"),
])
def test_rrf_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        reciprocal_rank_fusion([["a"], ["b"]], **kwargs)


def test_idf_matches_bm25_formula():
    import math

    assert idf(0, 10) == pytest.approx(math.log(10.5 / 0.5 + 1))
    assert idf(10, 10) == pytest.approx(math.log(0.5 / 10.5 + 1))
    assert idf(0, 10) > idf(1, 10) > idf(10, 10) > 0


def test_bm25_document_frequencies_by_hand():
    """df and n_docs come from bm25s's public API; counted by hand on a three-document corpus."""
    from colnato_qa.retrieval.bm25 import BM25Retriever, build_bm25

    r = BM25Retriever(build_bm25(["Harbours and harbour lights", "The light keeper", "Storms at sea"]))
    assert r.n_docs == 3
    assert (r.df("harbour"), r.df("light"), r.df("keeper"), r.df("storm"), r.df("absent")) == (1, 2, 1, 1, 0)
    assert [h.row for h in r.search("light keeper", None, 5)] == [1, 0]


def test_sentence_retriever_ranks_passages_by_best_sentence():
    import numpy as np

    from colnato_qa.retrieval.sentences import SentenceRetriever

    # passage 0 has sentences a, b; passage 1 has sentence c (rows 0-based)
    sentences = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]], dtype=np.float32)
    windows = np.array([[1.0, 0.0], [0.6, 0.8], [0.6, 0.8]], dtype=np.float32)
    r = SentenceRetriever(sentences, windows, np.array([0, 2, 3]))
    hits = r.search("", np.array([0.0, 1.0], dtype=np.float32), 5)
    assert [(h.row, round(h.score, 6)) for h in hits] == [(0, 1.0), (1, 0.8)]
    assert r.search("", None, 5) == []
