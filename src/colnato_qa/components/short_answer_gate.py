"""The short answer's own confidence: is the bold phrase (not only its sentence) the answer?

``ShortAnswerGate(fitted).run(features) -> confidence``; ``shown(confidence)`` says whether the phrase is
shown in bold. A logistic model fitted by ``scripts/fit_short_answer_gate.py`` on training questions whose
quoted sentence was right (label: the phrase shares a word with a gold answer), its threshold chosen on dev
questions so that few bold phrases miss; both kept in ``config/short_answer.json``.
``short_answer_features`` is the one definition of what it reads, for serving and fitting alike.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..text import content_terms

GATE_SCHEMA = 1
KINDS = ("date", "number", "person", "place", "expansion", "reason", "thing", "action")
FEATURES: tuple[str, ...] = tuple(f"kind_{k}" for k in KINDS) + (
    "score",              # the extractor's own score of the phrase
    "phrase_words",       # words in the phrase (/ 10)
    "phrase_share",       # the phrase's length over the quote's
    "question_overlap",   # share of the phrase's content terms that the question already has
    "has_digit",          # the phrase holds a digit (a year, a number)
    "question_words",     # words in the question (/ 20): long, rambling questions are often read for the wrong kind
)
REFIT_COMMAND = "python scripts/fit_short_answer_gate.py --write"
_DIGIT = re.compile(r"\d")


def short_answer_features(question: str, quote: str, phrase: str, kind: str, score: float) -> dict[str, float]:
    terms = set(content_terms(phrase))
    asked = set(content_terms(question))
    features = {f"kind_{k}": 1.0 if kind == k else 0.0 for k in KINDS}
    features.update({
        "score": float(score),
        "phrase_words": len(phrase.split()) / 10,
        "phrase_share": len(phrase) / max(len(quote), 1),
        "question_overlap": len(terms & asked) / len(terms) if terms else 0.0,
        "has_digit": 1.0 if _DIGIT.search(phrase) else 0.0,
        "question_words": len(question.split()) / 20,
    })
    return features


class ShortAnswerGate:
    """Settings (the fitted weights and the threshold) in ``__init__``, a phrase's features in ``run``."""

    def __init__(self, fitted: Mapping[str, Any]) -> None:
        weights = fitted.get("weights")
        if fitted.get("schema") != GATE_SCHEMA or not isinstance(weights, Mapping) or set(weights) != set(FEATURES):
            raise ConfigError(f"The short-answer gate was fitted for other features (schema {fitted.get('schema')!r}, "
                              f"this code reads {GATE_SCHEMA}: {list(FEATURES)}). Refit it: {REFIT_COMMAND}")
        self.weights = {k: float(weights[k]) for k in FEATURES}
        self.bias = float(fitted.get("bias", 0.0))
        self.threshold = float(fitted.get("threshold", 0.5))

    def run(self, features: Mapping[str, float]) -> float:
        z = self.bias + sum(self.weights[k] * float(features.get(k, 0.0)) for k in FEATURES)
        return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))

    def shown(self, confidence: float) -> bool:
        return confidence >= self.threshold


def load_short_answer_gate(path: str | Path | None) -> ShortAnswerGate | None:
    """The gate in ``path``; None (every phrase shown, confidence 1) when there is no such file."""
    if path is None or not Path(path).exists():
        return None
    try:
        fitted = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"Cannot read the short-answer gate {path} ({exc}). Refit it: {REFIT_COMMAND}") from exc
    return ShortAnswerGate(fitted)
