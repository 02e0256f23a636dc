"""Sparse retrieval with bm25s over stemmed content words."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..text import content_terms
from .base import Hit

log = logging.getLogger(__name__)


def build_bm25(texts: list[str]):
    import bm25s

    corpus_tokens = [content_terms(t) or ["\u2205"] for t in texts]
    model = bm25s.BM25()
    model.index(corpus_tokens, show_progress=False)
    return model


def save_bm25(model, directory: Path) -> None:
    model.save(str(directory), show_progress=False)


def load_bm25(directory: Path):
    import bm25s

    return bm25s.BM25.load(str(directory), show_progress=False, verbosity=0)


class BM25Retriever:
    """``BM25Retriever(model).search(query_text, _, k)``; also knows each term's document frequency.

    Only bm25s's public API is used: ``vocab_dict`` and ``get_scores``. A term's document
    frequency is the number of documents it scores above zero in (BM25's idf and term-frequency
    factors are positive for every document holding the term), counted once per term."""

    def __init__(self, model):
        self.model = model
        self.vocab: dict[str, int] = dict(model.vocab_dict)
        self.n_docs = len(model.get_scores([next(iter(self.vocab))])) if self.vocab else 0
        self._doc_freq: dict[str, int] = {}

    def df(self, term: str) -> int:
        if term not in self.vocab:
            return 0
        n = self._doc_freq.get(term)
        if n is None:
            n = self._doc_freq[term] = int(np.count_nonzero(self.model.get_scores([term])))
        return n

    def scores(self, query_text: str) -> np.ndarray:
        terms = [t for t in content_terms(query_text) if t in self.vocab]
        if not terms:
            return np.zeros(self.n_docs, dtype=np.float32)
        return np.asarray(self.model.get_scores(terms), dtype=np.float32)

    def search(self, query_text: str, query_vector: np.ndarray | None, k: int) -> list[Hit]:
        scores = self.scores(query_text)
        if not scores.size or float(scores.max()) <= 0.0:
            return []
        k = min(k, scores.size)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [Hit(int(r), float(scores[r])) for r in top if scores[r] > 0]
