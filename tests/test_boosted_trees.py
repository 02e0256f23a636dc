"""Gradient-boosted trees kept as JSON (components/boosted_trees.py) and the general answerability model that
uses them (scripts/fit_general_answerability.py, evaluation/fitting.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from colnato_qa.components.answerability import FEATURE_SCHEMA, FEATURES, AnswerabilityModel
from colnato_qa.components.boosted_trees import BoostedTrees, Tree, from_sklearn
from colnato_qa.errors import ConfigError
from colnato_qa.evaluation.fitting import (
    BOOSTING, FitRow, boosted_classifier, evidence_hit_rate, feature_matrix, fit_boosted_answerability)

ROOT = Path(__file__).resolve().parents[1]
GENERAL = ROOT / "config" / "answerability_general.json"

# x <= 0.5 ? (y <= 0.2 ? -1 : 0.5) : 2    and    a stump on y: y <= 0.7 ? -0.25 : 0.75
DEPTH_TWO = Tree(feature=(0, 1, -1, -1, -1), threshold=(0.5, 0.2, 0, 0, 0), left=(1, 2, -1, -1, -1),
                 right=(4, 3, -1, -1, -1), value=(0, 0, -1.0, 0.5, 2.0))
STUMP = Tree(feature=(1, -1, -1), threshold=(0.7, 0, 0), left=(1, -1, -1), right=(2, -1, -1), value=(0, -0.25, 0.75))
MODEL = BoostedTrees(("x", "y"), 0.1, (DEPTH_TWO, STUMP))


@pytest.mark.parametrize("x, y, log_odds", [
    (0.2, 0.1, 0.1 - 1.0 - 0.25),     # left, left; stump left
    (0.5, 0.9, 0.1 + 0.5 + 0.75),     # x at the threshold goes left; y > 0.2 right; stump right
    (0.8, 0.7, 0.1 + 2.0 - 0.25),     # right leaf; y at the stump's threshold goes left
])
def test_log_odds_by_hand(x, y, log_odds):
    assert MODEL.log_odds({"x": x, "y": y}) == pytest.approx(log_odds)
    assert MODEL.probability({"x": x, "y": y}) == pytest.approx(1 / (1 + np.exp(-log_odds)))


def test_round_trip_through_json():
    again = BoostedTrees.from_dict(json.loads(json.dumps(MODEL.to_dict())))
    assert again == MODEL


@pytest.mark.parametrize("change, message", [
    ({"left": [1, 2, -1, -1, -1, 0]}, "one length"),
    ({"right": [4, -1, -1, -1, -1]}, "one child"),
    ({"left": [1, 9, -1, -1, -1]}, "outside the tree"),
    ({"feature": [0, 7, -1, -1, -1]}, "names no feature"),
])
def test_malformed_trees_are_refused(change, message):
    bad = dict(DEPTH_TWO.to_dict(), **change)
    with pytest.raises(ValueError, match=message):
        Tree.from_dict(bad, n_features=2)


def _rows(n: int = 200, seed: int = 0) -> list[FitRow]:
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        f = {name: float(rng.random()) for name in FEATURES}
        answerable = f["sentence_cosine"] + 0.3 * f["passage_overlap"] > 0.6
        rows.append(FitRow(f, answerable and f["sentence_overlap"] > 0.3, answerable))
    return rows


def test_exported_trees_give_scikit_learns_probabilities():
    rows = _rows()
    x, y = feature_matrix(rows), [r.answerable for r in rows]
    fitted = boosted_classifier().fit(x, y)
    trees = from_sklearn(fitted, FEATURES)
    ours = [trees.probability(r.features) for r in rows]
    assert ours == pytest.approx(fitted.predict_proba(x)[:, 1], abs=1e-9)


def test_boosted_fit_is_deterministic_learns_the_signal_and_loads():
    rows = _rows()
    a, b = fit_boosted_answerability(rows), fit_boosted_answerability(rows)
    assert a == b
    assert a["schema"] == FEATURE_SCHEMA and a["kind"] == "boosted_trees" and a["target"] == "answerable"
    assert a["settings"] == BOOSTING and len(a["trees"]) == BOOSTING["max_iter"]
    assert a["fit"]["cv_auc"] > 0.9
    model = AnswerabilityModel(a)
    low = {name: 0.5 for name in FEATURES} | {"sentence_cosine": 0.1, "passage_overlap": 0.1}
    high = {name: 0.5 for name in FEATURES} | {"sentence_cosine": 0.9, "passage_overlap": 0.9}
    assert model.run(high) > 0.5 > model.run(low)


def test_fitting_target_must_be_one_the_fit_knows():
    with pytest.raises(Exception, match="valid targets: answerable, label"):
        fit_boosted_answerability(_rows(), target="correct")


def test_evidence_hit_rate_by_hand():
    f = {name: 0.0 for name in FEATURES}
    rows = [FitRow(f, True, True), FitRow(f, False, True), FitRow(f, False, True), FitRow(f, False, False)]
    assert evidence_hit_rate(rows) == pytest.approx(1 / 3)   # 1 of the 3 answerable; the unanswerable row not counted
    assert evidence_hit_rate([FitRow(f, False, False)]) == 0.0


@pytest.mark.parametrize("change, message", [
    ({"kind": "forest"}, "valid kinds: logistic, boosted_trees"),
    ({"trees": [{"feature": [0]}]}, "cannot be read"),
    ({"features": ...}, "exactly these features"),     # the committed features with the last one renamed
    ({"schema": FEATURE_SCHEMA - 1}, "scripts/fit_general_answerability.py"),
])
def test_a_broken_general_model_is_refused_with_the_fix(change, message):
    committed = json.loads(GENERAL.read_text(encoding="utf-8"))
    if change.get("features") is ...:
        change = {"features": committed["features"][:-1] + ["another_feature"]}
    with pytest.raises(ConfigError, match=message):
        AnswerabilityModel(committed | change)


def test_the_general_model_reads_the_word_alignment_and_the_fitted_model_does_not():
    assert AnswerabilityModel(json.loads(GENERAL.read_text(encoding="utf-8"))).reads_alignment
    assert not AnswerabilityModel.neutral().reads_alignment and AnswerabilityModel.neutral(alignment=True).reads_alignment


def test_committed_general_model_holds_out_the_cross_article_test_article():
    committed = json.loads(GENERAL.read_text(encoding="utf-8"))
    assert committed["kind"] == "boosted_trees" and committed["name"] == "general" and committed["target"] == "answerable"
    assert 0.0 < committed["threshold"] < 1.0
    fitted_on = [s["gold"] for s in committed["fitted_on"]]
    assert fitted_on and not any("port-ardley" in g or "test" in g for g in fitted_on)
    assert set(committed["calibration"]["held_out_articles"]) == {s["corpus"] for s in committed["fitted_on"]}
