"""Fit the answerability model from labelled feature rows (``colnato-qa fit``).

A row is one gold question answered with abstention off: the features of the sentence the engine
chose, and the label "answerable, and the chosen sentence holds a gold answer". The model is an
L2-regularised logistic regression (scikit-learn); its strength is chosen by stratified k-fold
cross-validation on log-loss, then it is refitted on all rows. Deterministic: same rows, same weights.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..components.answerability import FEATURE_SCHEMA, FEATURES
from ..errors import ColnatoError
from .gold import GoldItem
from .metrics import contains_answer

C_GRID = (0.03, 0.1, 0.3, 1.0, 3.0, 10.0)


@dataclass(frozen=True)
class FitRow:
    features: dict[str, float]
    label: bool


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def fit_answerability(rows: Sequence[FitRow], folds: int = 5, seed: int = 0) -> dict[str, Any]:
    """The fitted weights as the config stores them, with the cross-validated figures."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss, roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    if len(rows) < 2 * folds:
        raise ColnatoError(f"Fitting needs at least {2 * folds} gold questions, got {len(rows)}.")
    x = np.array([[float(r.features.get(name, 0.0)) for name in FEATURES] for r in rows])
    y = np.array([bool(r.label) for r in rows])
    if y.all() or not y.any():
        raise ColnatoError("Fitting needs both kinds of rows: questions answered right and questions that were not.")
    k = min(folds, int(y.sum()), int((~y).sum()))
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    best_c, best_loss, best_pred = None, float("inf"), None
    for c in C_GRID:
        pred = np.zeros(len(y))
        for train, test in splitter.split(x, y):
            model = LogisticRegression(C=c, max_iter=5000).fit(x[train], y[train])
            pred[test] = model.predict_proba(x[test])[:, 1]
        loss = log_loss(y, pred)
        if loss < best_loss - 1e-12:
            best_c, best_loss, best_pred = c, loss, pred
    model = LogisticRegression(C=best_c, max_iter=5000).fit(x, y)
    return {
        "schema": FEATURE_SCHEMA,
        "bias": round(float(model.intercept_[0]), 6),
        "weights": {name: round(float(w), 6) for name, w in zip(FEATURES, model.coef_[0])},
        "fit": {
            "rows": len(rows),
            "positives": int(y.sum()),
            "C": best_c,
            "folds": k,
            "cv_log_loss": round(float(best_loss), 4),
            "cv_auc": round(float(roc_auc_score(y, best_pred)), 4),
        },
    }


def feature_rows(engine: Any, items: Sequence[GoldItem]) -> list[FitRow]:
    """One row per question: the features of the sentence the never-abstaining engine chose, and
    whether the question is answerable and that sentence holds a gold answer. Metadata questions
    (answered from the byline, not by the model) are left out."""
    zero = engine.variant(threshold=0.0)
    rows = []
    for item in items:
        answer = zero.ask(item.question, list(item.history) or None)
        features = answer.debug.get("features")
        if not features:
            continue
        label = item.answerable and not answer.abstained and contains_answer(item.answers, answer.answer)
        rows.append(FitRow({name: float(features.get(name, 0.0)) for name in FEATURES}, bool(label)))
    return rows
