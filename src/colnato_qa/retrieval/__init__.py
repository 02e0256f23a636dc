"""Retrievers: dense (FAISS), sparse (BM25) and their fusion, all behind one interface."""

from .base import Hit, Retriever
from .fusion import reciprocal_rank_fusion

__all__ = ["Hit", "Retriever", "reciprocal_rank_fusion"]
