"""Gradient-boosted trees kept as plain JSON and read without scikit-learn.

The answerability model for an article nobody fitted for (scripts/fit_general_answerability.py) is fitted with
scikit-learn's ``HistGradientBoostingClassifier``; serving only walks its trees, so the fitted trees are
written out as lists of numbers and evaluated here: no pickle, no scikit-learn import on the answer path.

A tree is five parallel lists, one entry per node: the feature's index, the threshold (go left when the value
is at most it), the left and right children (-1 at a leaf) and the leaf's value. The model's log-odds are its
baseline plus the value of the leaf each tree sends the features to.

    >>> stump = Tree(feature=(0, -1, -1), threshold=(0.5, 0.0, 0.0), left=(1, -1, -1), right=(2, -1, -1),
    ...              value=(0.0, -1.0, 2.0))
    >>> BoostedTrees(("x",), 0.5, (stump,)).log_odds({"x": 0.9})
    2.5
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


#: Features are read to this many decimals, when fitting and when serving alike: the trees' splits are chosen
#: among near-equal candidates, and features that differ in the 16th decimal between two runs (the encoder's
#: float sums) chose different trees. Rounded, the same committed data gives the same trees.
FEATURE_DECIMALS = 6


def feature_vector(features: Mapping[str, float], names: Sequence[str]) -> list[float]:
    """The features named by ``names``, in order, rounded to ``FEATURE_DECIMALS`` (0.0 when absent)."""
    return [round(float(features.get(name, 0.0)), FEATURE_DECIMALS) for name in names]


@dataclass(frozen=True)
class Tree:
    feature: tuple[int, ...]       # index into BoostedTrees.features (-1 at a leaf)
    threshold: tuple[float, ...]   # go left when the feature's value is <= threshold
    left: tuple[int, ...]          # child node indices (-1 at a leaf)
    right: tuple[int, ...]
    value: tuple[float, ...]       # the leaf's contribution to the log-odds (0 elsewhere)

    def leaf_value(self, x: Sequence[float]) -> float:
        node = 0
        while self.left[node] >= 0:
            node = self.left[node] if x[self.feature[node]] <= self.threshold[node] else self.right[node]
        return self.value[node]

    def to_dict(self) -> dict[str, list]:
        return {"feature": list(self.feature), "threshold": list(self.threshold), "left": list(self.left),
                "right": list(self.right), "value": list(self.value)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], n_features: int) -> "Tree":
        tree = cls(tuple(int(v) for v in d["feature"]), tuple(float(v) for v in d["threshold"]),
                   tuple(int(v) for v in d["left"]), tuple(int(v) for v in d["right"]),
                   tuple(float(v) for v in d["value"]))
        n = len(tree.feature)
        if not n or any(len(part) != n for part in (tree.threshold, tree.left, tree.right, tree.value)):
            raise ValueError("a tree's five lists must be non-empty and of one length")
        for i in range(n):
            if (tree.left[i] < 0) != (tree.right[i] < 0):
                raise ValueError(f"node {i} has one child")
            if tree.left[i] >= 0 and not (i < tree.left[i] < n and i < tree.right[i] < n
                                          and 0 <= tree.feature[i] < n_features):
                raise ValueError(f"node {i} points outside the tree or names no feature")
        return tree


@dataclass(frozen=True)
class BoostedTrees:
    """``log_odds(features)`` and ``probability(features)``: baseline plus one leaf value per tree."""

    features: tuple[str, ...]
    baseline: float
    trees: tuple[Tree, ...]

    def log_odds(self, features: Mapping[str, float]) -> float:
        x = feature_vector(features, self.features)
        return self.baseline + sum(tree.leaf_value(x) for tree in self.trees)

    def probability(self, features: Mapping[str, float]) -> float:
        z = self.log_odds(features)
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)

    def to_dict(self) -> dict[str, Any]:
        return {"features": list(self.features), "baseline": self.baseline,
                "trees": [tree.to_dict() for tree in self.trees]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "BoostedTrees":
        features = tuple(str(f) for f in d["features"])
        return cls(features, float(d["baseline"]), tuple(Tree.from_dict(t, len(features)) for t in d["trees"]))


def from_sklearn(model: Any, features: Sequence[str]) -> BoostedTrees:
    """The trees of a fitted binary ``HistGradientBoostingClassifier`` (numeric features, no missing values)."""
    trees = []
    for (predictor,) in model._predictors:
        nodes = predictor.nodes
        leaf = nodes["is_leaf"].astype(bool)
        trees.append(Tree(
            feature=tuple(-1 if leaf[i] else int(nodes["feature_idx"][i]) for i in range(len(nodes))),
            threshold=tuple(0.0 if leaf[i] else float(nodes["num_threshold"][i]) for i in range(len(nodes))),
            left=tuple(-1 if leaf[i] else int(nodes["left"][i]) for i in range(len(nodes))),
            right=tuple(-1 if leaf[i] else int(nodes["right"][i]) for i in range(len(nodes))),
            value=tuple(float(nodes["value"][i]) if leaf[i] else 0.0 for i in range(len(nodes)))))
    return BoostedTrees(tuple(features), float(model._baseline_prediction.ravel()[0]), tuple(trees))
