"""Dense retrieval at sentence level: a passage ranks by its best sentence (read alone or with the
sentence before it). Finds the one relevant sentence of a long paragraph that the paragraph's
own vector dilutes. Exact search over an in-memory matrix, used up to ``max_sentences``."""

from __future__ import annotations

import numpy as np

from .base import Hit


class SentenceRetriever:
    def __init__(self, sentence_vectors: np.ndarray, window_vectors: np.ndarray, sentence_offsets: np.ndarray):
        self.matrix = np.ascontiguousarray(np.vstack([sentence_vectors, window_vectors]), dtype=np.float32)
        owner = np.repeat(np.arange(len(sentence_offsets) - 1), np.diff(sentence_offsets))
        self.owner = np.concatenate([owner, owner])  # row of the passage each vector belongs to
        self.n_rows = len(sentence_offsets) - 1

    def search(self, query_text: str, query_vector: np.ndarray | None, k: int) -> list[Hit]:
        if query_vector is None or not len(self.matrix):
            return []
        scores = self.matrix @ np.asarray(query_vector, dtype=np.float32)
        best = np.full(self.n_rows, -np.inf, dtype=np.float32)
        np.maximum.at(best, self.owner, scores)
        k = min(k, self.n_rows)
        top = np.argpartition(-best, k - 1)[:k]
        top = top[np.argsort(-best[top], kind="stable")]
        return [Hit(int(r), float(best[r])) for r in top]
