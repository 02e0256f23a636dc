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
    """``BM25Retriever(model).search(query_text, _, k)``; also knows each term's document frequency."""

    def __init__(self, model):
        self.model = model
        self.vocab: dict[str, int] = dict(model.vocab_dict)
        indptr = np.asarray(model.scores["indptr"])
        self.doc_freq = np.diff(indptr)  # CSC over terms: documents holding each term
        self.n_docs = int(model.scores.get("num_docs", 0) or len(model.corpus or []) or self._infer_docs())

    def _infer_docs(self) -> int:
        indices = np.asarray(self.model.scores["indices"])
        return int(indices.max()) + 1 if indices.size else 0

    def df(self, term: str) -> int:
        i = self.vocab.get(term)
        return int(self.doc_freq[i]) if i is not None and i < len(self.doc_freq) else 0

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
