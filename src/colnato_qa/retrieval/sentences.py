"""Dense retrieval at sentence level: a passage ranks by its best sentence (read alone or with the
sentence before it). Finds the one relevant sentence of a long paragraph that the paragraph's
own vector dilutes. Exact search over an in-memory matrix, used up to ``max_sentences``.

``window_scores`` is the one definition of a sentence's score against a question, used here, by the
sentence selector and by the query adapter's fitting."""

from __future__ import annotations

import numpy as np

from .base import Hit


#: How much a sentence read with the one before it counts against the sentence alone.
WINDOW_MIX = 0.5


def window_scores(single, window, mix: float = WINDOW_MIX):
    """A sentence's score: its cosine with the question, or, when higher, the mix of that and the cosine of the
    sentence read with the one before it ("This status conferred..." needs its antecedent). Works on numpy
    arrays and on torch tensors (the adapter's fitting) alike."""
    mixed = mix * window + (1 - mix) * single
    return mixed.maximum(single) if hasattr(mixed, "maximum") else np.maximum(mixed, single)


class SentenceRetriever:
    def __init__(self, sentence_vectors: np.ndarray, window_vectors: np.ndarray, sentence_offsets: np.ndarray):
        self.sentences = np.ascontiguousarray(sentence_vectors, dtype=np.float32)
        self.windows = np.ascontiguousarray(window_vectors, dtype=np.float32)
        self.owner = np.repeat(np.arange(len(sentence_offsets) - 1), np.diff(sentence_offsets))  # passage row of each
        self.n_rows = len(sentence_offsets) - 1

    def search(self, query_text: str, query_vector: np.ndarray | None, k: int) -> list[Hit]:
        if query_vector is None or not len(self.sentences):
            return []
        q = np.asarray(query_vector, dtype=np.float32)
        scores = window_scores(self.sentences @ q, self.windows @ q)
        best = np.full(self.n_rows, -np.inf, dtype=np.float32)
        np.maximum.at(best, self.owner, scores)
        k = min(k, self.n_rows)
        top = np.argpartition(-best, k - 1)[:k]
        top = top[np.argsort(-best[top], kind="stable")]
        return [Hit(int(r), float(best[r])) for r in top]
