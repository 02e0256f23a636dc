"""Metric functions against hand-computed values (see docs/evaluation.md for the definitions)."""

from __future__ import annotations

import pytest

from colnato_qa.evaluation.metrics import (
    abstain_scores, citation_rank, compute_exact, compute_f1, compute_metrics, contains_answer,
    exact_match_score, f1_score, mean_reciprocal_rank, normalize_answer, percentile, recall_at,
    score_answer, without_latency,
)
from colnato_qa.text import fold


# -- normalization: the official SQuAD v2.0 script's behaviour, plus Unicode punctuation ----------------
@pytest.mark.parametrize("raw, expected", [
    ("The Cat", "cat"),
    ("Hello, World!", "hello world"),
    ("a  b\tc", "b c"),                      # article dropped, whitespace folded
    ("the U.S.A.", "usa"),                   # punctuation removed without a space
    ("An apple and THE pear", "apple and pear"),
    ("theatre anna", "theatre anna"),        # articles only as whole words
    ("$100 + 5%", "100 5"),                  # string.punctuation includes symbols
    ("“pink tide,”", "pink tide"),           # curly double quotes
    ("Colombia’s ‘global’ role", "colombias global role"),  # curly single quotes
    ("2002–2010", "20022010"),               # en dash
    ("counter—terror", "counterterror"),     # em dash
    ("‘an’ apple", "apple"),                 # quotes go first, then the article
    ("¿Qué?", "qué"),
    ("", ""),
])
def test_normalize_answer(raw, expected):
    assert normalize_answer(raw) == expected


def test_exact_and_f1_per_answer():
    assert compute_exact("Álvaro Uribe", "álvaro uribe.") == 1
    assert compute_exact("Uribe", "Álvaro Uribe") == 0
    # gold [álvaro, uribe], pred [president, álvaro, uribe]: P=2/3, R=1 -> F1=0.8
    assert compute_f1("Álvaro Uribe", "President Álvaro Uribe") == pytest.approx(0.8)
    # gold [cat, sat], pred [cat, sat, on, mat]: P=1/2, R=1 -> 2/3
    assert compute_f1("the cat sat", "cat sat on the mat") == pytest.approx(2 / 3)
    # repeated tokens count with multiplicity: common = min(2, 3) "y" = 2 -> P=R=2/3
    assert compute_f1("x y y", "y y y") == pytest.approx(2 / 3)
    assert compute_f1("x", "z") == 0.0
    # no-answer rules of the official script
    assert compute_f1("", "") == 1.0
    assert compute_f1("x", "") == 0.0
    assert compute_f1("", "x") == 0.0


def test_scores_over_gold_lists():
    assert exact_match_score(["1872", "in 1872"], "In 1872.") == 1.0
    assert f1_score(["Tomas Brek", "Brek"], "Brek") == 1.0
    assert f1_score(["Tomas Brek"], "Brek") == pytest.approx(2 / 3)
    # unanswerable: 1 only when the system abstains (None or "")
    assert exact_match_score([], None) == 1.0
    assert exact_match_score([], "") == 1.0
    assert exact_match_score([], "something") == 0.0
    assert f1_score([], "something") == 0.0
    # answerable but abstained: 0
    assert exact_match_score(["1872"], None) == 0.0
    assert f1_score(["1872"], None) == 0.0
    # gold answers that normalize to nothing are dropped, as in the official script
    assert exact_match_score(["the", "!!"], None) == 1.0


def test_contains_answer():
    assert contains_answer(["pink tide"], "part of the so-called “pink tide,” attempted")
    assert contains_answer(["2010-2018"], "Juan Manuel Santos (2010-2018) pushed")
    assert contains_answer(["nope", "Santos"], "Juan Manuel Santos")
    assert not contains_answer(["Uribe"], "Uribes")             # whole tokens only
    assert not contains_answer(["tide pink"], "pink tide")        # contiguous, in order
    assert not contains_answer(["1872"], None)
    assert not contains_answer(["1872"], "")
    assert not contains_answer([], "anything")
    assert not contains_answer(["the"], "the")                   # empty after normalization


def test_citation_rank_folds_quotes_and_whitespace():
    texts = ["foo bar", "He said “hi there”\n  now, ‘twice’."]
    assert citation_rank(texts, 'said "hi there" now') == 2   # ranks start at 1
    assert citation_rank(texts, "said “hi  there” now, 'twice'") == 2
    assert citation_rank(texts, "foo") == 1
    assert citation_rank(texts, "Foo") is None                 # case is kept
    assert citation_rank([], "foo") is None
    assert fold("a\u00a0 “b”\n’c’", keep_case=True) == "a \"b\" 'c'"
    assert fold("A\u00a0 “B”") == 'a "b"'


def test_recall_and_mrr():
    ranks = [1, 3, None, 2]
    assert recall_at(ranks, 1) == 0.25
    assert recall_at(ranks, 3) == 0.75
    assert recall_at(ranks, 5) == 0.75
    assert mean_reciprocal_rank(ranks) == pytest.approx((1 + 1 / 3 + 0 + 1 / 2) / 4)
    assert recall_at([], 1) is None
    assert mean_reciprocal_rank([]) is None


def test_abstain_scores():
    # unanswerable = positives at 0 and 2; abstained at 0, 1, 4 -> TP=1, P=1/3, R=1/2, F1=0.4
    s = abstain_scores([True, True, False, False, True], [False, True, False, True, True])
    assert s["abstain_precision"] == pytest.approx(1 / 3)
    assert s["abstain_recall"] == pytest.approx(0.5)
    assert s["abstain_f1"] == pytest.approx(0.4)


@pytest.mark.parametrize("abstained, answerable, expected", [
    ([False, False], [False, True], (1.0, 0.0, 0.0)),   # never abstains but should: P=1 (0/0), R=0
    ([False, False], [True, True], (1.0, 1.0, 1.0)),    # nothing to catch, nothing abstained
    ([True, False], [True, True], (0.0, 1.0, 0.0)),     # abstained wrongly, nothing to catch (R 0/0 = 1)
    ([True, True], [False, False], (1.0, 1.0, 1.0)),
])
def test_abstain_scores_zero_division(abstained, answerable, expected):
    s = abstain_scores(abstained, answerable)
    assert (s["abstain_precision"], s["abstain_recall"], s["abstain_f1"]) == expected


def test_percentile_linear_interpolation():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10, 20, 30, 40, 50], 95) == pytest.approx(48.0)
    assert percentile([5, 1, 3], 50) == 3
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) is None
    with pytest.raises(ValueError):
        percentile([1], 101)


def _results():
    ev_a = "built in 1872"
    ev_b = "the last keeper, Tomas Brek"
    ev_e = "electrified in 1931"
    para_a = "The lighthouse was built in 1872 by Mara Quill."
    para_b = "Since 1994, the last keeper, Tomas Brek, retired."
    para_e = "The light was electrified in 1931."

    def cite(*texts):
        return [{"text": t, "paragraph": i + 1, "passage_id": f"p{i + 1}"} for i, t in enumerate(texts)]

    return [
        score_answer(id="A", question="When built?", gold_answers=["1872"], evidence=ev_a, latency_ms=10,
                     answer={"answer": "It was built in 1872.", "abstained": False, "confidence": 0.9,
                             "citations": cite(para_a, para_b)}, groups={"type": "direct"}),
        score_answer(id="B", question="Last keeper?", gold_answers=["Tomas Brek"], evidence=ev_b, latency_ms=20,
                     answer={"answer": "Mara Quill", "abstained": False, "confidence": 0.6,
                             "citations": cite(para_a, para_b)}, groups={"type": "direct"}),
        score_answer(id="C", question="Visitors?", gold_answers=[], evidence=None, latency_ms=30,
                     answer={"answer": None, "abstained": True, "confidence": 0.1, "citations": cite(para_a)},
                     groups={"type": "unanswerable"}),
        score_answer(id="D", question="World Cup?", gold_answers=[], evidence=None, latency_ms=40,
                     answer={"answer": "in 1931", "abstained": False, "confidence": 0.55, "citations": cite(para_e)},
                     groups={"type": "unanswerable"}),
        score_answer(id="E", question="Electrified?", gold_answers=["1931"], evidence=ev_e, latency_ms=50,
                     answer={"answer": "In 1931", "abstained": True, "confidence": 0.3, "citations": cite(para_e)},
                     groups={"type": "followup"}),
    ]


def test_score_answer_record():
    a, b, c, d, e = _results()
    assert (a.exact_match, a.answer_hit, a.hit, a.citation_rank, a.cited_paragraph) == (0.0, True, True, 1, 1)
    assert a.f1 == pytest.approx(1 / 3)    # pred [it, was, built, in, 1872] vs [1872]
    assert (b.hit, b.citation_rank) == (False, 2)
    assert (c.exact_match, c.f1, c.hit, c.prediction) == (1.0, 1.0, True, None)
    assert (d.exact_match, d.hit) == (0.0, False)
    assert (e.prediction, e.candidate, e.abstained, e.answer_hit, e.hit) == (None, "In 1931", True, False, False)


def test_compute_metrics_hand_computed():
    m = compute_metrics(_results(), by=["type"])
    assert (m["n"], m["answerable"], m["unanswerable"]) == (5, 3, 2)
    assert m["exact_match"] == 0.2
    assert m["f1"] == round((1 / 3 + 1) / 5, 4)
    assert m["has_ans_exact_match"] == 0.0
    assert m["has_ans_f1"] == round(1 / 9, 4)
    assert m["no_ans_exact_match"] == 0.5
    assert m["no_ans_f1"] == 0.5
    assert m["answer_recall"] == round(1 / 3, 4)
    assert m["hit_rate"] == 0.4
    assert m["with_evidence"] == 3
    assert m["citation_at_1"] == round(2 / 3, 4)
    assert m["citation_recall_at_3"] == 1.0
    assert m["citation_recall_at_5"] == 1.0
    assert m["mrr"] == round(2.5 / 3, 4)
    assert m["abstained"] == 2
    assert (m["abstain_precision"], m["abstain_recall"], m["abstain_f1"]) == (0.5, 0.5, 0.5)
    assert m["latency_ms_p50"] == 30.0
    assert m["latency_ms_p95"] == 48.0
    assert set(m["by_type"]) == {"direct", "unanswerable", "followup"}
    assert m["by_type"]["direct"]["n"] == 2
    assert m["by_type"]["direct"]["answer_recall"] == 0.5
    assert m["by_type"]["unanswerable"]["hit_rate"] == 0.5
    assert m["by_type"]["followup"]["answer_recall"] == 0.0


def test_compute_metrics_empty_and_reproducible():
    m = compute_metrics([])
    assert m["n"] == 0 and m["exact_match"] is None and m["abstain_f1"] is None and m["latency_ms_p50"] is None
    r1, r2 = _results(), _results()
    for r in r2:
        r.latency_ms *= 3.7
    assert compute_metrics(r1, by=["type"]) != compute_metrics(r2, by=["type"])
    assert without_latency(compute_metrics(r1, by=["type"])) == without_latency(compute_metrics(r2, by=["type"]))


@pytest.mark.parametrize("scores, positives, expected", [
    ([0.9, 0.8, 0.2, 0.1], [True, True, False, False], 1.0),       # every positive above every negative
    ([0.1, 0.2, 0.8, 0.9], [True, True, False, False], 0.0),
    ([0.5, 0.5], [True, False], 0.5),                                # a tie counts one half
    ([0.9, 0.4, 0.6, 0.1], [True, True, False, False], 0.75),       # 3 of the 4 pairs ordered right
    ([0.3, 0.2], [True, True], None),                                # one class only
])
def test_roc_auc_by_hand(scores, positives, expected):
    from colnato_qa.evaluation.metrics import roc_auc

    assert roc_auc(scores, positives) == expected


def test_confidence_auc_per_type_sets_a_one_sided_group_against_the_other_side_of_the_run():
    # Confidences: answerable A 0.9, B 0.6 (direct), E 0.3 (followup); unanswerable C 0.1, D 0.55.
    by_type = compute_metrics(_results(), by=["type"])["by_type"]
    # direct {0.9, 0.6} against every unanswerable {0.1, 0.55}: all 4 pairs ordered right.
    assert by_type["direct"]["confidence_auc"] == 1.0
    # followup {0.3} against {0.1, 0.55}: 1 of 2 pairs.
    assert by_type["followup"]["confidence_auc"] == 0.5
    # unanswerable {0.1, 0.55} against every answerable {0.9, 0.6, 0.3}: 0.1 below all 3, 0.55 below 2 of 3.
    assert by_type["unanswerable"]["confidence_auc"] == round(5 / 6, 4)


def test_roc_auc_is_scikit_learns(monkeypatch):
    import random

    from sklearn.metrics import roc_auc_score

    from colnato_qa.evaluation import metrics

    rng = random.Random(1)
    scores = [round(rng.random(), 1) for _ in range(60)]            # many ties
    labels = [rng.random() < 0.6 for _ in range(60)]
    assert metrics.roc_auc(scores, labels) == pytest.approx(roc_auc_score(labels, scores), abs=0)
    # The library's, not a hand-written loop (imported when called: importing scikit-learn sets os.environ).
    import sklearn.metrics

    calls = []
    monkeypatch.setattr(sklearn.metrics, "roc_auc_score", lambda y, s: calls.append((y, s)) or 0.25)
    assert metrics.roc_auc([0.1, 0.9], [False, True]) == 0.25 and calls == [([False, True], [0.1, 0.9])]
