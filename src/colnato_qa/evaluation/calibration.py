"""Choose the abstention threshold from (confidence, correct-if-answered, answerable) records.

The records come from ``engine.variant(threshold=0.0)``, which never abstains, so every question
has a candidate answer and a confidence. At threshold ``t`` the engine answers exactly the
questions with ``confidence >= t`` and abstains on the rest.

Objectives (see docs/evaluation.md):

* ``accuracy`` (default, SQuAD v2 "best_f1" style): share of questions where the answer/abstain
  decision is right: an answerable question scores 1 if answered and correct, an unanswerable one
  scores 1 if abstained.
* ``precision`` (``--precision P``): the lowest threshold whose precision on answered questions
  (correct answered / answered) is at least P; unanswerable questions answered count as wrong.

Candidate thresholds: 0.0 (answer everything), the midpoints between consecutive distinct
confidences (answer exactly those above the cut), and the midpoint between the highest confidence
and 1.0 (abstain on everything; only when that confidence is below 1). Ties in accuracy go to the
lowest threshold (the one that answers most). Held-out figures come from k-fold cross-validation
with deterministic folds; the final threshold is then chosen on all records.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import ColnatoError


class CalibrationError(ColnatoError, ValueError):
    """No threshold can be chosen (no records, or the precision target is out of reach)."""


@dataclass(frozen=True)
class CalibrationRecord:
    id: str
    confidence: float
    correct: bool        # the candidate answer is right (always False for an unanswerable question)
    answerable: bool


@dataclass(frozen=True)
class ThresholdStats:
    threshold: float
    n: int
    answered: int
    accuracy: float | None       # right decisions / n
    precision: float | None      # correct answered / answered (None when nothing is answered)
    coverage: float | None       # answered / n
    answer_recall: float | None  # correct answered / answerable

    def to_dict(self) -> dict[str, Any]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


@dataclass
class CalibrationResult:
    threshold: float
    objective: str                   # "accuracy" or "precision>=P"
    target_precision: float | None
    in_sample: ThresholdStats        # on all records, at the chosen threshold
    heldout: dict[str, Any]          # cross-validation figures
    folds: list[dict[str, Any]] = field(default_factory=list)
    previous_threshold: float | None = None
    previous: ThresholdStats | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "threshold": round(self.threshold, 6),
            "objective": self.objective,
            "target_precision": self.target_precision,
            "in_sample": self.in_sample.to_dict(),
            "heldout": self.heldout,
            "folds": self.folds,
            "previous_threshold": self.previous_threshold,
            "previous": self.previous.to_dict() if self.previous else None,
            "notes": list(self.notes),
        }


def stats_at(records: Sequence[CalibrationRecord], threshold: float) -> ThresholdStats:
    """How the answer/abstain decision does at ``threshold`` (answer when confidence >= threshold)."""
    n = len(records)
    answered = [r for r in records if r.confidence >= threshold]
    correct_answered = sum(1 for r in answered if r.answerable and r.correct)
    right_abstained = sum(1 for r in records if r.confidence < threshold and not r.answerable)
    n_answerable = sum(1 for r in records if r.answerable)
    return ThresholdStats(
        threshold=threshold, n=n, answered=len(answered),
        accuracy=(correct_answered + right_abstained) / n if n else None,
        precision=correct_answered / len(answered) if answered else None,
        coverage=len(answered) / n if n else None,
        answer_recall=correct_answered / n_answerable if n_answerable else None,
    )


def candidate_thresholds(confidences: Sequence[float]) -> list[float]:
    """0.0, midpoints between consecutive distinct confidences, and one above the highest (if < 1)."""
    cs = sorted({float(c) for c in confidences})
    out = [0.0]
    for lo, hi in zip(cs, cs[1:]):
        out.append((lo + hi) / 2.0)
    if cs and cs[-1] < 1.0:
        out.append((cs[-1] + 1.0) / 2.0)
    return sorted(set(out))


def best_accuracy_threshold(records: Sequence[CalibrationRecord]) -> float:
    """The threshold with the highest decision accuracy; ties go to the lowest threshold."""
    if not records:
        raise CalibrationError("no records to calibrate on")
    best_t, best_acc = 0.0, -1.0
    for t in candidate_thresholds([r.confidence for r in records]):
        acc = stats_at(records, t).accuracy or 0.0
        if acc > best_acc + 1e-12:
            best_t, best_acc = t, acc
    return best_t


def declined_shares(records: Sequence[CalibrationRecord], threshold: float) -> tuple[float | None, float | None]:
    """At ``threshold``: the share of unanswerable questions declined and the share of answerable ones
    wrongly declined (None where the records hold no question of that kind)."""
    unanswerable = [r for r in records if not r.answerable]
    answerable = [r for r in records if r.answerable]
    declined = sum(r.confidence < threshold for r in unanswerable) / len(unanswerable) if unanswerable else None
    wrongly = sum(r.confidence < threshold for r in answerable) / len(answerable) if answerable else None
    return declined, wrongly


def highest_threshold_within(groups: Sequence[Sequence[CalibrationRecord]], max_wrongly_declined: float) -> float:
    """The highest threshold (declining the most) at which the share of answerable questions wrongly declined,
    averaged over ``groups`` (one per article, each weighing the same), is at most ``max_wrongly_declined``."""
    shares = [[r for r in g if r.answerable] for g in groups]
    shares = [g for g in shares if g]
    if not shares:
        raise CalibrationError("no answerable questions to calibrate on")
    best = 0.0
    for t in candidate_thresholds([r.confidence for g in groups for r in g]):
        wrongly = sum(sum(r.confidence < t for r in g) / len(g) for g in shares) / len(shares)
        if wrongly <= max_wrongly_declined + 1e-12:
            best = max(best, t)
    return best


def precision_threshold(records: Sequence[CalibrationRecord], target: float) -> float | None:
    """The lowest threshold whose precision on answered questions is >= target, or None."""
    if not records:
        raise CalibrationError("no records to calibrate on")
    if not 0.0 < target <= 1.0:
        raise CalibrationError(f"the precision target must be in (0, 1], got {target}")
    for t in candidate_thresholds([r.confidence for r in records]):
        p = stats_at(records, t).precision
        if p is not None and p >= target - 1e-12:
            return t
    return None


def choose_threshold(records: Sequence[CalibrationRecord], target_precision: float | None = None) -> float:
    if target_precision is None:
        return best_accuracy_threshold(records)
    t = precision_threshold(records, target_precision)
    if t is None:
        best = max((stats_at(records, c).precision or 0.0) for c in candidate_thresholds([r.confidence for r in records]))
        raise CalibrationError(
            f"no threshold reaches precision {target_precision:.2f} on these {len(records)} questions; "
            f"the highest precision reachable is {best:.2f}. Lower --precision or improve the engine."
        )
    return t


def fold_ids(records: Sequence[CalibrationRecord], k: int) -> list[int]:
    """Deterministic fold of each record: scikit-learn's ``StratifiedKFold`` (no shuffling) over the
    records sorted by id, stratified by answerable, so every fold gets its share of answerable and
    unanswerable questions and the folds do not depend on input order."""
    from sklearn.model_selection import StratifiedKFold

    order = sorted(range(len(records)), key=lambda i: records[i].id)
    labels = [records[i].answerable for i in order]
    folds = [0] * len(records)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The least populated class")   # fewer of a kind than folds
        for fold, (_, test) in enumerate(StratifiedKFold(n_splits=k).split(order, labels)):
            for pos in test:
                folds[order[pos]] = fold
    return folds


def cross_validate(records: Sequence[CalibrationRecord], target_precision: float | None = None,
                   k: int = 5) -> tuple[dict[str, Any], list[dict[str, Any]], list[str]]:
    """k-fold CV of the whole procedure (k at most the number of questions of the larger kind). Held-out figures pool the held-out decisions
    of all folds. A fold whose training part cannot reach the precision target uses the threshold
    of highest training precision (noted)."""
    n = len(records)
    answerable = sum(1 for r in records if r.answerable)
    k = min(k, max(answerable, n - answerable))   # StratifiedKFold: no more folds than the larger kind has questions
    notes: list[str] = []
    if k < 2:
        return {"k": k, "n": n, "accuracy": None, "precision": None, "coverage": None,
                "answer_recall": None}, [], ["too few questions for cross-validation"]
    assign = fold_ids(records, k)
    heldout_decisions: list[tuple[CalibrationRecord, float]] = []
    folds: list[dict[str, Any]] = []
    for f in range(k):
        train = [r for r, a in zip(records, assign) if a != f]
        test = [r for r, a in zip(records, assign) if a == f]
        try:
            t = choose_threshold(train, target_precision)
        except CalibrationError:
            cands = candidate_thresholds([r.confidence for r in train])
            t = max(cands, key=lambda c: ((stats_at(train, c).precision or 0.0), -c))
            notes.append(f"fold {f + 1}: training part cannot reach the precision target; used t={t:.4f}")
        s = stats_at(test, t)
        folds.append({"fold": f + 1, "threshold": round(t, 6), **{k_: v for k_, v in s.to_dict().items() if k_ != "threshold"}})
        heldout_decisions.extend((r, t) for r in test)
    # pooled held-out figures: each record judged at the threshold learned without it
    right = answered = correct_answered = n_answerable = 0
    for r, t in heldout_decisions:
        is_answered = r.confidence >= t
        answered += is_answered
        n_answerable += r.answerable
        if is_answered and r.answerable and r.correct:
            correct_answered += 1
            right += 1
        elif not is_answered and not r.answerable:
            right += 1
    heldout = {
        "k": k, "n": n,
        "accuracy": round(right / n, 4),
        "precision": round(correct_answered / answered, 4) if answered else None,
        "coverage": round(answered / n, 4),
        "answer_recall": round(correct_answered / n_answerable, 4) if n_answerable else None,
        "threshold_mean": round(sum(f_["threshold"] for f_ in folds) / k, 6),
    }
    return heldout, folds, notes


def calibrate(records: Sequence[CalibrationRecord], target_precision: float | None = None, k: int = 5,
              previous_threshold: float | None = None) -> CalibrationResult:
    """Cross-validate the procedure, then choose the final threshold on all records."""
    if not records:
        raise CalibrationError("no records to calibrate on")
    ids = [r.id for r in records]
    if len(set(ids)) != len(ids):
        raise CalibrationError("calibration records must have unique ids")
    heldout, folds, notes = cross_validate(records, target_precision, k)
    t = choose_threshold(records, target_precision)
    return CalibrationResult(
        threshold=t,
        objective="accuracy" if target_precision is None else f"precision>={target_precision}",
        target_precision=target_precision,
        in_sample=stats_at(records, t),
        heldout=heldout, folds=folds,
        previous_threshold=previous_threshold,
        previous=stats_at(records, previous_threshold) if previous_threshold is not None else None,
        notes=notes,
    )


def records_from_results(results: Sequence[Any]) -> list[CalibrationRecord]:
    """CalibrationRecords from QuestionResults of a never-abstaining run."""
    return [
        CalibrationRecord(id=r.id, confidence=float(r.confidence),
                          correct=bool(r.answerable and r.answer_hit), answerable=bool(r.answerable))
        for r in results
    ]


def precision_coverage_curve(records: Sequence[CalibrationRecord]) -> list[ThresholdStats]:
    """Stats at every candidate threshold, lowest threshold (highest coverage) first."""
    return [stats_at(records, t) for t in candidate_thresholds([r.confidence for r in records])]
