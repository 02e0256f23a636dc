"""Rank fusion, a pure function (ranks start at 1, as in Cormack, Clarke & Buettcher 2009)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[Hashable]], k: int = 60, weights: Sequence[float] | None = None
) -> dict[Hashable, float]:
    """RRF: ``score(d) = sum_i w_i / (k + rank_i(d))``, ranks from 1, best first in each list.

    >>> reciprocal_rank_fusion([["a", "b"], ["b", "c"]])["b"] == 1/62 + 1/61
    True
    """
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError(f"Got {len(weights)} weights for {len(rankings)} rankings")
    scores: dict[Hashable, float] = {}
    for ranking, w in zip(rankings, weights):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + w / (k + rank)
    return scores


def fused_order(scores: dict[Hashable, float]) -> list[Hashable]:
    """Items by fused score, best first; ties keep the order of first appearance (stable)."""
    return [item for item, _ in sorted(scores.items(), key=lambda kv: -kv[1])]
