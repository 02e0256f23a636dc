"""The hybrid retriever: which passages a question's answer is looked for in.

``HybridRetriever(mode, top_k, rrf_k).run(text, vector, rankers) -> list[int]`` (searchable rows,
best first). In ``hybrid`` mode three rankings are fused by reciprocal rank fusion: the passage
vectors (FAISS), BM25 over the passages' words, and the passages' best sentence vectors.

With ``adaptive`` fusion the BM25 ranking weighs as much as the question's words are found in the
corpus (``lexical_share``, IDF-weighted): a paraphrase that shares few words with the article leans
on the dense rankings, a question in the article's own words keeps all three.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..retrieval.base import Hit
from ..retrieval.fusion import fused_order, reciprocal_rank_fusion
from ..settings import RETRIEVAL_MODES

# How deep each ranking is read before fusion.
FUSION_DEPTH = 20


class Ranker(Protocol):
    def search(self, query_text: str, query_vector: np.ndarray | None, k: int) -> list[Hit]: ...


@dataclass(frozen=True)
class Rankers:
    """The rankings a corpus index offers; ``sentences`` is None for corpora too large for it."""

    dense: Ranker
    bm25: Ranker
    sentences: Ranker | None = None


class HybridRetriever:
    """Settings in ``__init__``, the question in ``run``."""

    def __init__(self, mode: str = "hybrid", top_k: int = 5, rrf_k: int = 60, *, sentence_ranking: bool = True,
                 adaptive: bool = False, depth: int = FUSION_DEPTH) -> None:
        if mode not in RETRIEVAL_MODES:
            raise ValueError(f"Unknown retrieval mode {mode!r}; valid values: {', '.join(RETRIEVAL_MODES)}")
        self.mode, self.top_k, self.rrf_k = mode, top_k, rrf_k
        self.sentence_ranking, self.adaptive, self.depth = sentence_ranking, adaptive, depth

    def run(self, text: str, vector: np.ndarray, rankers: Rankers, lexical_share: float = 1.0) -> list[int]:
        if self.mode == "dense":
            order = [h.row for h in rankers.dense.search(text, vector, self.top_k)]
        elif self.mode == "bm25":
            order = [h.row for h in rankers.bm25.search(text, None, self.top_k)]
        else:
            rankings = [[h.row for h in rankers.dense.search(text, vector, self.depth)],
                        [h.row for h in rankers.bm25.search(text, None, self.depth)]]
            weights = [1.0, lexical_share if self.adaptive else 1.0]
            if self.sentence_ranking and rankers.sentences is not None:
                rankings.append([h.row for h in rankers.sentences.search(text, vector, self.depth)])
                weights.append(1.0)
            order = fused_order(reciprocal_rank_fusion(rankings, k=self.rrf_k, weights=weights))
        return [int(r) for r in order[: self.top_k]]

