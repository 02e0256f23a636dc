"""The answerability model: features of the chosen sentence in, a confidence in [0, 1] out.

A logistic model whose weights are fitted by ``colnato-qa fit`` on a gold file (never by hand) and
kept in the config with the feature schema they were fitted for. Loading weights fitted for another
schema is refused with the command that refits them.

    >>> model = AnswerabilityModel({"schema": FEATURE_SCHEMA, "bias": 0.0,
    ...                             "weights": {name: 0.0 for name in FEATURES}})
    >>> model.run({name: 1.0 for name in FEATURES})
    0.5
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError

# The features, in order. Bump FEATURE_SCHEMA whenever their definition changes: weights fitted for
# another schema are refused.
FEATURES: tuple[str, ...] = (
    "reranker_score",       # cross-encoder logit of (question, chosen sentence)
    "reranker_margin",      # its lead over the best sentence of another passage
    "sentence_cosine",      # MiniLM cosine of question and chosen sentence (with its window)
    "passage_cosine",       # MiniLM cosine of question and the chosen passage
    "unknown_name",         # 1 when the question names something (a capitalised name, an acronym) the corpus never mentions
    "kind_missing",         # 1 when the question asks for a date, number, person or place and the answer holds none
    "vocabulary_coverage",  # IDF-weighted share of the question's words the corpus holds
)
FEATURE_SCHEMA = 2
REFIT_COMMAND = "colnato-qa fit corpus/gold/natural/train.jsonl"


class AnswerabilityModel:
    """``run(features) -> confidence``; settings (the fitted weights) in ``__init__``."""

    def __init__(self, fitted: Mapping[str, Any]) -> None:
        schema = fitted.get("schema")
        if schema != FEATURE_SCHEMA:
            raise ConfigError(
                f"The answerability weights in the config were fitted for feature schema {schema!r}, but this "
                f"code computes schema {FEATURE_SCHEMA}. Refit them: {REFIT_COMMAND}"
            )
        weights = fitted.get("weights")
        if not isinstance(weights, Mapping) or set(weights) != set(FEATURES):
            raise ConfigError(
                f"The answerability weights must name exactly these features: {list(FEATURES)}. "
                f"Refit them: {REFIT_COMMAND}"
            )
        self.bias = float(fitted.get("bias", 0.0))
        self.weights = {name: float(weights[name]) for name in FEATURES}

    def run(self, features: Mapping[str, float]) -> float:
        z = self.bias + sum(self.weights[name] * float(features.get(name, 0.0)) for name in FEATURES)
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)
