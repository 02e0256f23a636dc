"""How sure a figure is: bootstrap 95% intervals of the headline figures, the paired bootstrap of
the difference between two runs on the same questions, and how much one question moves a figure.

Each headline figure is a share over a set of questions (``answer_recall``: the hits among the
answerable questions). Resampling the questions with replacement (scipy.stats.bootstrap,
percentile method, 2000 resamples, a fixed seed so that a run's intervals are reproducible) and recomputing the
share gives its interval. Two runs are compared question by question: both are resampled with the
same draw (``paired=True``), so the interval is that of the difference itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import warnings

import numpy as np
from scipy.stats import DegenerateDataWarning, bootstrap

from .metrics import QuestionResult

RESAMPLES = 2000
SEED = 0
CONFIDENCE = 0.95
#: Below this many questions the report says how much one question moves each figure.
SMALL_SET = 50


def _rank(r: QuestionResult) -> float:
    return 1.0 / r.citation_rank if r.citation_rank else 0.0


#: figure -> (value of a question, does it count): the figure is the mean value over the questions that count.
FIGURES: dict[str, tuple[Callable[[QuestionResult], float], Callable[[QuestionResult], bool]]] = {
    "answer_recall": (lambda r: float(r.answer_hit and not r.abstained), lambda r: r.answerable),
    "hit_rate": (lambda r: float(r.hit), lambda r: True),
    "exact_match": (lambda r: r.exact_match, lambda r: True),
    "f1": (lambda r: r.f1, lambda r: True),
    "has_ans_f1": (lambda r: r.f1, lambda r: r.answerable),
    "citation_at_1": (lambda r: float(r.citation_rank == 1), lambda r: r.answerable and bool(r.evidence)),
    "mrr": (_rank, lambda r: r.answerable and bool(r.evidence)),
    "abstain_recall": (lambda r: float(r.abstained), lambda r: not r.answerable),
    "abstain_precision": (lambda r: float(not r.answerable), lambda r: r.abstained),
    "wrongly_declined": (lambda r: float(r.abstained), lambda r: r.answerable),
}


def _arrays(results: Sequence[QuestionResult], name: str) -> tuple[np.ndarray, np.ndarray]:
    value, counts = FIGURES[name]
    return (np.array([value(r) for r in results], dtype=float),
            np.array([1.0 if counts(r) else 0.0 for r in results], dtype=float))


def _share(values: np.ndarray, counted: np.ndarray, axis: int = -1) -> np.ndarray:
    total = counted.sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (values * counted).sum(axis=axis) / np.where(total > 0, total, 1), np.nan)


def _interval(data: tuple[np.ndarray, ...], statistic: Callable[..., np.ndarray]) -> list[float] | None:
    """The percentile interval of the bootstrap distribution. A resample that holds none of the
    questions a share is over (no unanswerable question drawn) has no value and is left out."""
    if len(data[0]) < 2:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)   # those resamples without a value
        res = bootstrap(data, statistic, paired=True, vectorized=True, n_resamples=RESAMPLES, method="percentile",
                        confidence_level=CONFIDENCE, rng=np.random.default_rng(SEED))
    values = res.bootstrap_distribution[~np.isnan(res.bootstrap_distribution)]
    if not values.size:
        return None
    tail = (1 - CONFIDENCE) / 2 * 100
    lo, hi = np.percentile(values, [tail, 100 - tail])
    return [round(float(lo), 4), round(float(hi), 4)]


def figure_intervals(results: Sequence[QuestionResult]) -> dict[str, list[float] | None]:
    """figure -> [low, high] of its bootstrap 95% interval (None when its set is empty or too small)."""
    out: dict[str, list[float] | None] = {}
    for name in FIGURES:
        values, counted = _arrays(results, name)
        out[name] = _interval((values, counted), _share) if counted.sum() else None
    return out


def one_question(results: Sequence[QuestionResult]) -> dict[str, float | None]:
    """figure -> how much one question more or less right moves it: 1 / the number of questions it
    is a share of (None when that set is empty)."""
    out: dict[str, float | None] = {}
    for name in FIGURES:
        n = int(_arrays(results, name)[1].sum())
        out[name] = round(1.0 / n, 4) if n else None
    return out


def paired_differences(a: Sequence[QuestionResult], b: Sequence[QuestionResult]) -> dict[str, dict[str, Any]]:
    """figure -> {a, b, delta, interval} over the questions both runs answered (matched by id): the
    paired bootstrap 95% interval of ``b - a``. An interval that excludes 0 is a real difference."""
    by_id = {r.id: r for r in b}
    pairs = [(r, by_id[r.id]) for r in a if r.id in by_id]
    ra, rb = [p[0] for p in pairs], [p[1] for p in pairs]
    out: dict[str, dict[str, Any]] = {}
    for name in FIGURES:
        va, ca = _arrays(ra, name)
        vb, cb = _arrays(rb, name)
        fa, fb = _share(va, ca), _share(vb, cb)
        if np.isnan(fa) or np.isnan(fb):
            out[name] = {"a": None if np.isnan(fa) else round(float(fa), 4),
                         "b": None if np.isnan(fb) else round(float(fb), 4), "delta": None, "interval": None}
            continue

        def delta(va_, ca_, vb_, cb_, axis=-1):
            return _share(vb_, cb_, axis) - _share(va_, ca_, axis)

        out[name] = {"a": round(float(fa), 4), "b": round(float(fb), 4), "delta": round(float(fb - fa), 4),
                     "interval": _interval((va, ca, vb, cb), delta)}
    return out
