"""Word alignment: is each word the question asks about matched by some word of the answer, its passage, the
article? Features of the model for an article nobody fitted for (issue 22).

A near miss names one thing the article does not say ("How many *beds* does the new hospital have?" against the
sentence on the new hospital): the whole-sentence cosine stays high, but that one word finds no close word in the
sentence, nor anywhere in the article. Each question word piece's vector (contextual, from the same encoder) is
compared with every word piece vector of the other text; its best cosine is how well it is matched. The worst
matched word (min) and the average (mean) over the question's content pieces are the features
(docs/ablation.md, "Issue 22, round 4: word alignment").

``WordAlignment().run(question, sentence, passage, article) -> {feature: value}``; each text is its word pieces'
unit vectors (``Encoder.encode_tokens``), the question's with its pieces.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..lexicon import STOPWORDS

#: The features, in the order the model for any article reads them after answerability.FEATURES.
ALIGNMENT_FEATURES: tuple[str, ...] = (
    "align_sentence_min",   # the question's worst matched content word piece: its best cosine to a piece of the answer
    "align_sentence_mean",  # the mean over the question's content pieces of that best cosine
    "align_passage_min",    # ... to a piece of the answer's passage
    "align_passage_mean",
    "align_article_min",    # ... to a piece anywhere in the article
    "align_article_mean",
)


def content_pieces(pieces: Sequence[str]) -> np.ndarray:
    """Which word pieces carry the question's content: letters or digits, and not a stopword
    (a continuation piece "##ing" belongs to its word and counts). All of them when none does."""
    keep = np.array([(p[2:] if p.startswith("##") else p).isalnum()
                     and (p.startswith("##") or p.lower() not in STOPWORDS) for p in pieces], dtype=bool)
    return keep if keep.any() else np.ones(len(pieces), dtype=bool)


def best_matches(question: np.ndarray, other: np.ndarray) -> np.ndarray:
    """For each question row, its best cosine to a row of ``other`` (unit vectors); 0 when ``other`` is empty."""
    if len(question) == 0:
        return np.zeros(0, dtype=np.float32)
    if len(other) == 0:
        return np.zeros(len(question), dtype=np.float32)
    return (question @ other.T).max(axis=1)


def min_and_mean(matches: np.ndarray) -> tuple[float, float]:
    return (float(matches.min()), float(matches.mean())) if len(matches) else (0.0, 0.0)


class WordAlignment:
    """No settings; the question's pieces and vectors and the other texts' vectors in ``run``."""

    def run(self, question: tuple[Sequence[str], np.ndarray], sentence: np.ndarray, passage: np.ndarray,
            article: np.ndarray) -> dict[str, float]:
        pieces, vectors = question
        asked = vectors[content_pieces(pieces)] if len(pieces) else vectors
        out: dict[str, float] = {}
        for name, other in (("sentence", sentence), ("passage", passage), ("article", article)):
            low, mean = min_and_mean(best_matches(asked, other))
            out[f"align_{name}_min"], out[f"align_{name}_mean"] = low, mean
        return out
