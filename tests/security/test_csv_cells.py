"""Item 7 of issue 18: results.csv of ``colnato-qa eval`` neutralises formula-leading cells
(OWASP, CSV injection: a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
is prefixed with a single quote, so that a spreadsheet shows it as text and runs nothing). Ids,
questions, gold answers and readings come from the gold file; predictions from the article."""

from __future__ import annotations

import csv

import pytest

from colnato_qa.evaluation.gold import GoldItem
from colnato_qa.evaluation.metrics import compute_metrics, score_answer
from colnato_qa.evaluation.report import write_outputs
from colnato_qa.evaluation.runner import EvalRun

PARA = "=1+1 is how the article starts. It was signed in 2021."
HOSTILE = ['=HYPERLINK("http://evil.example","x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\tSUM(1)",
           "\r=1"]
TEXT_COLUMNS = ("id", "type", "question", "gold", "prediction", "interpreted_as")


def hostile_run() -> tuple[list[EvalRun], list[GoldItem]]:
    items, results = [], []
    for n, value in enumerate(HOSTILE):
        item = GoldItem(f"{value}{n}", value, (value,), type=value)
        answer = {"answer": PARA.split(".")[0], "abstained": False, "confidence": 0.9, "interpreted_as": value,
                  "citations": [{"text": PARA, "paragraph": 1, "passage_id": "p1"}]}
        items.append(item)
        results.append(score_answer(id=item.id, question=item.question, gold_answers=item.answers, evidence=None,
                                    answer=answer, latency_ms=1.0, history=()))
    return [EvalRun("main", results, compute_metrics(results))], items


def test_formula_leading_cells_of_results_csv_are_prefixed_with_a_quote(tmp_path):
    runs, items = hostile_run()
    paths = write_outputs(tmp_path, runs, items)
    with paths["csv"].open(encoding="utf-8", newline="") as f:
        table = list(csv.DictReader(f))
    assert len(table) == len(HOSTILE)
    for row, value in zip(table, HOSTILE):
        for column in TEXT_COLUMNS:
            assert row[column][:1] not in ("=", "+", "-", "@", "\t", "\r"), (column, row[column])
        assert row["question"] == "'" + value
        assert row["prediction"] == "'" + PARA.split(".")[0]
        assert row["confidence"] == "0.900000"          # numbers stay numbers


@pytest.mark.parametrize("value", ["When was it signed?", "", "2021", "'quoted", "a=b"])
def test_other_cells_are_kept(tmp_path, value):
    item = GoldItem("q1", value or "?", ("x",), type="direct")
    result = score_answer(id="q1", question=value, gold_answers=("x",), evidence=None,
                          answer={"answer": None, "abstained": True, "confidence": 0.1, "citations": []},
                          latency_ms=1.0, history=())
    paths = write_outputs(tmp_path, [EvalRun("main", [result], compute_metrics([result]))], [item])
    with paths["csv"].open(encoding="utf-8", newline="") as f:
        assert next(csv.DictReader(f))["question"] == value
