"""Retrievers: dense (FAISS), sparse (BM25) and their fusion, all behind one interface."""

from .base import Hit
from .fusion import reciprocal_rank_fusion

__all__ = ["Hit", "reciprocal_rank_fusion"]
