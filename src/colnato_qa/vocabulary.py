"""Does the article talk about the question's words at all? (the strongest "doesn't say" signal)

A question word found nowhere in the corpus counts against answering, weighted by how rare the
question's other words are (IDF). A word absent in form may be present in meaning: "worry" vs
"concerns", "soldiers" vs "troops". Such a word gets partial credit from its similarity to the
nearest corpus word, measured with the embedding model's *input* word-piece vectors, a table
lookup that costs no encoder pass. Unrelated words ("capital", "cup") stay near zero.
"""

from __future__ import annotations

import logging
import threading

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA


log = logging.getLogger(__name__)

# Static similarity from which an absent word starts to earn credit, and the span to full credit.
SOFT_MATCH_FLOOR = 0.30
SOFT_MATCH_SPAN = 0.25


def soft_credit(similarity: float) -> float:
    """0 below the floor, rising linearly to 1 over the span."""
    return float(min(1.0, max(0.0, (similarity - SOFT_MATCH_FLOOR) / SOFT_MATCH_SPAN)))


# Typo correction: only words this long.
TYPO_MIN_LENGTH = 5


class Vocabulary:
    """The corpus's words as static vectors; ``similarity(word)`` to the nearest of them."""

    def __init__(self, corpus_words: set[str], embedder):
        self._words = sorted(w for w in corpus_words if w.isalpha())
        self._word_set = set(self._words)
        self._by_initial: dict[str, list[str]] = {}
        for w in self._words:
            self._by_initial.setdefault(w[0], []).append(w)
        self._embedder = embedder
        self._matrix: np.ndarray | None = None
        self._lock = threading.Lock()
        self._cache: dict[str, float] = {}

    def _vectors(self) -> np.ndarray | None:
        if self._matrix is None:
            with self._lock:
                if self._matrix is None:
                    m = self._embedder.static_word_vectors(self._words)
                    self._matrix = m if m is not None else np.zeros((0, 1), dtype=np.float32)
        return self._matrix if self._matrix.size else None

    @property
    def words(self) -> list[str]:
        """The corpus's words, sorted."""
        return list(self._words)

    def __contains__(self, word: str) -> bool:
        return word in self._word_set

    def correct(self, word: str) -> str | None:
        """The corpus word ``word`` is most likely a misspelling of (one edit, two for long words,
        same first letter, unambiguous), or None. Edits are counted as optimal string alignment
        (a swap of two adjacent letters is one edit)."""
        w = word.lower()
        if len(w) < TYPO_MIN_LENGTH or not w.isalpha() or w in self._word_set:
            return None
        # Short words: a substituted or swapped letter only (a dropped letter is too often another word).
        limit = 1 if len(w) < 8 else 2
        max_len_diff = 0 if len(w) < 8 else 1
        candidates = [c for c in self._by_initial.get(w[0], ()) if abs(len(c) - len(w)) <= max_len_diff]
        best = process.extract(w, candidates, scorer=OSA.distance, score_cutoff=limit, limit=2)
        if not best:
            return None
        if len(best) > 1 and best[0][1] == best[1][1]:
            return None  # two equally close words: do not guess
        return best[0][0]

    def similarity(self, word: str) -> float:
        """Cosine of ``word``'s static vector with the nearest corpus word (0 when unavailable)."""
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        matrix = self._vectors()
        sim = 0.0
        if matrix is not None:
            v = self._embedder.static_word_vectors([word])
            if v is not None and v.shape[0]:
                sim = float(np.max(matrix @ v[0]))
        if len(self._cache) < 100_000:
            self._cache[word] = sim
        return sim
