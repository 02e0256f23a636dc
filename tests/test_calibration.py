"""Threshold calibration on synthetic records whose best threshold is known by hand."""

from __future__ import annotations

import random

import pytest

from colnato_qa.evaluation.calibration import (
    CalibrationError, CalibrationRecord, best_accuracy_threshold, calibrate, candidate_thresholds,
    choose_threshold, cross_validate, declined_shares, fold_ids, highest_threshold_within, precision_coverage_curve,
    precision_threshold, stats_at,
)


def R(id, conf, correct, answerable=True):
    return CalibrationRecord(id=id, confidence=conf, correct=correct, answerable=answerable)


# answerable right at 0.9 0.8 0.6, unanswerable at 0.5 0.4 0.3, answerable wrong at 0.2:
# answering exactly the top three is the only way to get 6/7 decisions right -> t = (0.5+0.6)/2
UNIQUE = [R("a1", 0.9, True), R("a2", 0.8, True), R("a3", 0.6, True),
          R("u1", 0.5, False, False), R("u2", 0.4, False, False), R("u3", 0.3, False, False),
          R("a4", 0.2, False)]

# accuracy by threshold (hand-computed): 0->3/8 .15->3/8 .25->4/8 .4->5/8 .55->4/8 .65->5/8 .75->5/8 .85->4/8 .95->3/8
TIED = [R("a1", 0.9, True), R("a2", 0.8, True), R("a3", 0.7, False), R("u1", 0.6, False, False),
        R("a4", 0.5, True), R("u2", 0.3, False, False), R("u3", 0.2, False, False), R("a5", 0.1, False)]


def test_candidate_thresholds():
    assert candidate_thresholds([0.2, 0.6, 0.2, 0.4]) == pytest.approx([0.0, 0.3, 0.5, 0.8])
    assert candidate_thresholds([1.0, 0.5]) == pytest.approx([0.0, 0.75])   # no "abstain all" above 1
    assert candidate_thresholds([]) == [0.0]


def test_stats_at():
    s = stats_at(UNIQUE, 0.55)
    assert (s.answered, s.n) == (3, 7)
    assert s.accuracy == pytest.approx(6 / 7)
    assert s.precision == 1.0
    assert s.coverage == pytest.approx(3 / 7)
    assert s.answer_recall == pytest.approx(3 / 4)
    s0 = stats_at(UNIQUE, 0.0)
    assert s0.accuracy == pytest.approx(3 / 7) and s0.precision == pytest.approx(3 / 7) and s0.coverage == 1.0
    top = stats_at(UNIQUE, 0.95)
    assert top.answered == 0 and top.precision is None and top.accuracy == pytest.approx(3 / 7)


def test_best_accuracy_threshold_unique():
    assert best_accuracy_threshold(UNIQUE) == pytest.approx(0.55)
    shuffled = UNIQUE[:]
    random.Random(3).shuffle(shuffled)
    assert best_accuracy_threshold(shuffled) == pytest.approx(0.55)


def test_best_accuracy_ties_go_to_lowest_threshold():
    assert stats_at(TIED, 0.4).accuracy == stats_at(TIED, 0.65).accuracy == stats_at(TIED, 0.75).accuracy == 5 / 8
    assert best_accuracy_threshold(TIED) == pytest.approx(0.4)


@pytest.mark.parametrize("target, expected", [(0.3, 0.0), (0.6, 0.4), (0.65, 0.65), (0.9, 0.75), (1.0, 0.75)])
def test_precision_threshold(target, expected):
    # precision by threshold: 0->3/8 .15->3/7 .25->3/6 .4->3/5 .55->2/4 .65->2/3 .75->1 .85->1
    assert precision_threshold(TIED, target) == pytest.approx(expected)


def test_unreachable_precision():
    recs = [R("a", 0.9, False), R("u", 0.5, False, False)]
    assert precision_threshold(recs, 0.5) is None
    with pytest.raises(CalibrationError, match="no threshold reaches precision 0.50"):
        choose_threshold(recs, 0.5)
    with pytest.raises(CalibrationError):
        precision_threshold(recs, 0.0)
    with pytest.raises(CalibrationError):
        calibrate([])


def test_folds_deterministic_and_stratified():
    recs = list(UNIQUE)
    f1 = fold_ids(recs, 3)
    f2 = fold_ids(list(reversed(recs)), 3)
    assert dict(zip([r.id for r in recs], f1)) == dict(zip([r.id for r in reversed(recs)], f2))
    # stratified: both kinds are spread over the folds
    by_fold = {}
    for r, f in zip(recs, f1):
        by_fold.setdefault(f, []).append(r.answerable)
    assert set(by_fold) == {0, 1, 2}
    assert all(any(not a for a in v) for v in by_fold.values())


def test_folds_are_scikit_learns_stratified_folds():
    from sklearn.model_selection import StratifiedKFold

    recs = sorted(UNIQUE, key=lambda r: r.id)
    expected = [0] * len(recs)
    for fold, (_, test) in enumerate(StratifiedKFold(n_splits=2).split(recs, [r.answerable for r in recs])):
        for i in test:
            expected[i] = fold
    assert fold_ids(recs, 2) == expected


def test_cross_validation_and_final_choice():
    recs = [R(f"a{i:02d}", 0.6 + 0.01 * i, True) for i in range(20)] + \
           [R(f"u{i:02d}", 0.1 + 0.01 * i, False, False) for i in range(20)]
    res = calibrate(recs, k=5, previous_threshold=0.7)
    assert 0.29 < res.threshold < 0.6                        # separates the two groups perfectly
    assert res.in_sample.accuracy == 1.0
    assert res.heldout["k"] == 5 and res.heldout["n"] == 40
    assert res.heldout["accuracy"] == 1.0
    assert len(res.folds) == 5 and sum(f["n"] for f in res.folds) == 40
    assert res.previous_threshold == 0.7 and res.previous.accuracy < 1.0
    assert res.to_dict() == calibrate(list(reversed(recs)), k=5, previous_threshold=0.7).to_dict()


def test_cross_validation_small_n_uses_n_folds():
    heldout, folds, notes = cross_validate(UNIQUE[:3], k=5)
    assert heldout["k"] == 3 and len(folds) == 3
    heldout, folds, notes = cross_validate(UNIQUE[:1], k=5)
    assert heldout["accuracy"] is None and notes


def test_precision_calibration_end_to_end():
    res = calibrate(TIED, target_precision=0.9, k=2)
    assert res.threshold == pytest.approx(0.75)
    assert res.objective == "precision>=0.9"
    assert res.in_sample.precision == 1.0


def test_precision_coverage_curve():
    curve = precision_coverage_curve(UNIQUE)
    assert curve[0].coverage == 1.0
    assert [c.coverage for c in curve] == sorted((c.coverage for c in curve), reverse=True)
    assert curve[-1].answered == 0


# -- the general model's threshold: decline the most while answerable questions stay answered (issue 22) -----------

def test_declined_shares_by_hand():
    # At 0.45: UNIQUE's unanswerable 0.5 0.4 0.3 -> 2 of 3 declined; answerable 0.9 0.8 0.6 0.2 -> 1 of 4 declined.
    assert declined_shares(UNIQUE, 0.45) == pytest.approx((2 / 3, 1 / 4))
    assert declined_shares([R("a", 0.9, True)], 0.5) == (None, 0.0)
    assert declined_shares([R("u", 0.1, False, False)], 0.5) == (1.0, None)


def test_highest_threshold_within_averages_articles_equally():
    # Article A: answerable 0.9 0.7 0.2 0.1; article B: answerable 0.8 0.6. Candidates: 0 and the midpoints of all
    # confidences (0.15 0.25 0.4 0.55 0.65 0.75 0.85 0.95). Mean share wrongly declined, A and B weighing the same:
    # 0.15 -> (1/4 + 0)/2 = 0.125; 0.25, 0.4, 0.55 -> (2/4 + 0)/2 = 0.25; 0.65 -> (2/4 + 1/2)/2 = 0.5; 0.75 -> 0.625.
    a = [R("a1", 0.9, True), R("a2", 0.7, True), R("a3", 0.2, True), R("a4", 0.1, True), R("u1", 0.3, False, False)]
    b = [R("b1", 0.8, True), R("b2", 0.6, True), R("u2", 0.5, False, False)]
    assert highest_threshold_within([a, b], 0.125) == pytest.approx(0.15)
    assert highest_threshold_within([a, b], 0.25) == pytest.approx(0.55)
    assert highest_threshold_within([a, b], 0.5) == pytest.approx(0.65)
    assert highest_threshold_within([a, b], 0.0) == 0.0                     # answer everything
    with pytest.raises(CalibrationError, match="no answerable"):
        highest_threshold_within([[R("u", 0.3, False, False)]], 0.1)
