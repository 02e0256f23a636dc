"""The question-form prior: how likely a question, by its form alone, is one an article answers.

Near misses look alike on every article ("what was the exact date", "how much did it cost", "what did X think
of it"): a logistic model over the encoder's question vector, fitted on the training questions of several
articles (``scripts/fit_general_answerability.py``), reads that form. It is the ``form_prior`` feature of the
general answerability model, the one used on an article nobody wrote training questions for; the model fitted
for this article gives it no weight (its question bank reads the same thing, better, for its own article).

``QuestionPrior(weights, bias).run(vector) -> probability``; ``QuestionPrior.none()`` says 0.5 to everything.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..files import write_bytes_atomic

PRIOR_SCHEMA = 1
REFIT_COMMAND = "python scripts/fit_general_answerability.py --write"


class QuestionPrior:
    """Settings (the fitted weights over the question vector) in ``__init__``, a question's vector in ``run``."""

    def __init__(self, weights: np.ndarray | None = None, bias: float = 0.0, meta: dict[str, Any] | None = None) -> None:
        self.weights = None if weights is None else np.asarray(weights, np.float32)
        self.bias = float(bias)
        self.meta = dict(meta or {})

    @classmethod
    def none(cls) -> "QuestionPrior":
        return cls(None)

    def run(self, vector: np.ndarray) -> float:
        if self.weights is None:
            return 0.5
        z = float(self.weights @ np.asarray(vector, np.float32)) + self.bias
        return 1.0 / (1.0 + np.exp(-z)) if z >= 0 else float(np.exp(z) / (1.0 + np.exp(z)))

    def save(self, path: str | Path) -> None:
        buf = io.BytesIO()
        np.savez_compressed(buf, weights=self.weights, bias=np.array(self.bias),
                            meta=np.array(json.dumps(dict(self.meta, schema=PRIOR_SCHEMA), sort_keys=True)))
        write_bytes_atomic(Path(path), buf.getvalue())


def fit_question_prior(vectors: np.ndarray, answerable: np.ndarray, meta: dict[str, Any], c: float = 1.0) -> QuestionPrior:
    """An L2-regularised logistic regression (scikit-learn) of "answerable" on the question vectors."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=5000).fit(np.asarray(vectors), np.asarray(answerable, bool))
    return QuestionPrior(model.coef_[0], float(model.intercept_[0]), dict(meta, C=c, questions=len(answerable)))


def load_question_prior(path: str | Path | None, model_fingerprint: str | None = None) -> QuestionPrior:
    """The prior in ``path`` (fitted for any article, for one encoder); ``none()`` without a file or for
    another encoder."""
    if path is None or not Path(path).exists():
        return QuestionPrior.none()
    try:
        with np.load(Path(path), allow_pickle=False) as data:
            weights, bias, meta = data["weights"], float(data["bias"]), json.loads(str(data["meta"]))
    except (OSError, KeyError, ValueError) as exc:
        raise ConfigError(f"Cannot read the question prior {path} ({exc}). Refit it: {REFIT_COMMAND}") from exc
    if meta.get("schema") != PRIOR_SCHEMA or weights.ndim != 1:
        raise ConfigError(f"The question prior {path} has another schema. Refit it: {REFIT_COMMAND}")
    if model_fingerprint is not None and meta.get("model_fingerprint") not in (None, model_fingerprint):
        return QuestionPrior.none()
    return QuestionPrior(weights, bias, meta)
