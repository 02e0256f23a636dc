"""The answerability model: features of the chosen sentence in, a confidence in [0, 1] out.

A logistic model whose weights are fitted by ``colnato-qa fit`` on a gold file (never by hand) and
kept in the config with the feature schema they were fitted for; or, for an article nobody fitted for,
gradient-boosted trees fitted on several articles (scripts/fit_general_answerability.py). Loading a model
fitted for another schema is refused with the command that refits it.

    >>> model = AnswerabilityModel({"schema": FEATURE_SCHEMA, "bias": 0.0,
    ...                             "weights": {name: 0.0 for name in FEATURES}})
    >>> model.run({name: 1.0 for name in FEATURES})
    0.5
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError
from .alignment import ALIGNMENT_FEATURES
from .boosted_trees import BoostedTrees

# The features, in order. Bump FEATURE_SCHEMA whenever their definition changes: weights fitted for
# another schema are refused.
FEATURES: tuple[str, ...] = (
    "sentence_cosine",      # MiniLM cosine of question and chosen sentence (with its window)
    "passage_cosine",       # MiniLM cosine of question and the chosen passage
    "vocabulary_coverage",  # IDF-weighted share of the question's words the corpus holds (soft credit for near words)
    "type_match",           # the answer holds the kind of thing asked for (1), cannot (0), unknown (0.5)
    "kind_missing",         # 1 when the question asks for a date, number, person or place and the answer holds none
    "null_margin",          # the chosen sentence's cosine minus the query adapter's "no answer" score
    "unknown_name",         # 1 when the asking sentence names something (a rare name, an acronym) the corpus never mentions, 0.5 for a capitalised common word
    "bank_cosine",          # best cosine between the question and a bank question answered by the chosen sentence
    "bank_margin",          # best cosine to an answerable bank question minus best cosine to an unanswerable one
    "asks_opinion",         # 1 when the question asks for the chatbot's own opinion ("what do you think")
    "negation_mismatch",    # 1 when exactly one of the question and the chosen sentence is negated
    "sentence_overlap",     # IDF-weighted share of the question's words the chosen sentence holds
    "passage_overlap",      # IDF-weighted share of the question's words the chosen sentence's passage holds
)
FEATURE_SCHEMA = 9
#: What a model may read: the features, or (the model for any article) the features and the word alignment's.
FEATURE_SETS: tuple[tuple[str, ...], ...] = (FEATURES, FEATURES + ALIGNMENT_FEATURES)
#: A logistic model (``colnato-qa fit``: weights by feature name) or gradient-boosted trees (the model for any
#: article, scripts/fit_general_answerability.py: components/boosted_trees.py).
MODEL_KINDS = ("logistic", "boosted_trees")
DEFAULT_MODEL_FILE = "answerability.json"
REFIT_COMMAND = "colnato-qa fit corpus/gold/natural/train.jsonl corpus/gold/forms/train.jsonl corpus/gold/squad_v2.json:dev"
GENERAL_REFIT_COMMAND = "python scripts/fit_general_answerability.py --write"


class AnswerabilityModel:
    """``run(features) -> confidence``; settings (the fitted weights or trees) in ``__init__``."""

    def __init__(self, fitted: Mapping[str, Any]) -> None:
        refit = GENERAL_REFIT_COMMAND if fitted.get("name") == "general" else REFIT_COMMAND
        schema = fitted.get("schema")
        if schema != FEATURE_SCHEMA:
            raise ConfigError(
                f"The answerability weights in the config were fitted for feature schema {schema!r}, but this "
                f"code computes schema {FEATURE_SCHEMA}. Refit them: {refit}"
            )
        kind = fitted.get("kind", "logistic")
        if kind not in MODEL_KINDS:
            raise ConfigError(f"Unknown answerability model kind {kind!r}; valid kinds: {', '.join(MODEL_KINDS)}. "
                              f"Refit it: {refit}")
        self.kind = kind
        self.trees: BoostedTrees | None = None
        self.bias, self.weights = 0.0, {name: 0.0 for name in FEATURES}
        if kind == "boosted_trees":
            try:
                self.trees = BoostedTrees.from_dict(fitted)
            except (KeyError, TypeError, ValueError) as exc:
                raise ConfigError(f"The answerability model's trees cannot be read ({exc}). Refit it: "
                                  f"{refit}") from exc
            if not any(set(self.trees.features) == set(names) for names in FEATURE_SETS):
                raise ConfigError(f"The answerability model's trees must read exactly these features: "
                                  f"{list(FEATURES)}, or those and {list(ALIGNMENT_FEATURES)}. Refit it: {refit}")
        else:
            weights = fitted.get("weights")
            if not isinstance(weights, Mapping) or set(weights) != set(FEATURES):
                raise ConfigError(
                    f"The answerability weights must name exactly these features: {list(FEATURES)}. "
                    f"Refit them: {refit}"
                )
            self.bias = float(fitted.get("bias", 0.0))
            self.weights = {name: float(weights[name]) for name in FEATURES}
        # A model fitted for any article (no adapter, no bank) carries the threshold chosen with it.
        threshold = fitted.get("threshold")
        self.threshold = None if threshold is None else float(threshold)
        self.name = str(fitted.get("name", "fitted"))
        self.features: tuple[str, ...] = self.trees.features if self.trees is not None else FEATURES
        #: Does the model read the word alignment (then the engine computes it; it costs a second question pass)?
        self.reads_alignment = any(name in ALIGNMENT_FEATURES for name in self.features)

    @classmethod
    def neutral(cls, alignment: bool = False) -> "AnswerabilityModel":
        """All weights zero (every confidence 0.5): what ``colnato-qa fit`` answers with while it
        collects features, so that a missing or stale model file never stops a refit. With ``alignment``
        the engine computes the word alignment's features too (scripts/fit_general_answerability.py)."""
        model = cls({"schema": FEATURE_SCHEMA, "bias": 0.0, "weights": {name: 0.0 for name in FEATURES}})
        model.reads_alignment = alignment
        return model

    def run(self, features: Mapping[str, float]) -> float:
        if self.trees is not None:
            return self.trees.probability(features)
        z = self.bias + sum(self.weights[name] * float(features.get(name, 0.0)) for name in FEATURES)
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)


def load_answerability(path: str | Path) -> AnswerabilityModel:
    """The model fitted by ``colnato-qa fit`` and kept in ``path`` (JSON); errors say how to refit it."""
    path = Path(path)
    try:
        fitted = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"No answerability model at {path}. Fit one: {REFIT_COMMAND}") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"Cannot read the answerability model {path} ({exc}). Refit it: {REFIT_COMMAND}") from exc
    if not isinstance(fitted, dict):
        raise ConfigError(f"{path} must hold a JSON object. Refit it: {REFIT_COMMAND}")
    model = AnswerabilityModel(fitted)
    model.name = path.name
    return model
