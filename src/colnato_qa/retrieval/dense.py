"""Dense retrieval over normalised vectors with FAISS (inner product = cosine)."""

from __future__ import annotations

import numpy as np

from .base import Hit

HNSW_M = 32
HNSW_EF_SEARCH = 128
HNSW_EF_CONSTRUCTION = 200


def make_faiss_index(vectors: np.ndarray, approximate: bool):
    """Exact ``IndexFlatIP``, or ``IndexHNSWFlat`` (inner product) for large corpora."""
    import faiss

    dim = int(vectors.shape[1])
    if approximate:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


class DenseRetriever:
    """``DenseRetriever(faiss_index).search(_, query_vector, k)``."""

    def __init__(self, faiss_index):
        self.index = faiss_index

    def search(self, query_text: str, query_vector: np.ndarray | None, k: int) -> list[Hit]:
        if query_vector is None or self.index.ntotal == 0:
            return []
        k = min(k, int(self.index.ntotal))
        scores, rows = self.index.search(np.asarray(query_vector, dtype=np.float32).reshape(1, -1), k)
        return [Hit(int(r), float(s)) for r, s in zip(rows[0], scores[0]) if r >= 0]
