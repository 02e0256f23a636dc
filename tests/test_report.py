"""The evaluation report (report.html and results.csv; issue 9, item 9), read as data: the
failures come first with what an evaluator needs to judge them, the table can be sorted and
filtered offline, the outcome chart's series differ and add up, the histogram has axis labels,
the settings name the real model, the CSV has the question type and the follow-up reading."""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pytest

from colnato_qa.evaluation.gold import GoldItem
from colnato_qa.evaluation.metrics import compute_metrics, score_answer
from colnato_qa.evaluation.report import (
    CSV_COLUMNS,
    OUTCOMES,
    outcome,
    render_report,
    write_outputs,
)
from colnato_qa.evaluation.runner import EvalRun, evaluate

PARA = "The lighthouse of Port Alder was built in 1872 by the engineer Mara Quill. It is 31 metres tall."

# id -> (gold item, the engine's answer dict); every outcome appears at least once.
CASES = {
    "a1": (GoldItem("a1", "When was it built?", ("1872",), type="direct"),
           {"answer": "The lighthouse of Port Alder was built in 1872", "abstained": False, "confidence": 0.91}),
    "a2": (GoldItem("a2", "Who built it?", ("Mara Quill",), type="direct"),
           {"answer": "It is 31 metres tall.", "abstained": False, "confidence": 0.62}),
    "a3": (GoldItem("a3", "And how tall?", ("31 metres",), history=("Who built the lighthouse?",), type="followup"),
           {"answer": None, "abstained": True, "confidence": 0.18, "interpreted_as": "How tall is the lighthouse?"}),
    "a4": (GoldItem("a4", "And when?", ("1872",), history=("Who built the lighthouse?",), type="followup"),
           {"answer": "The lighthouse of Port Alder was built in 1872", "abstained": False, "confidence": 0.77,
            "interpreted_as": "When was the lighthouse built?"}),
    "u1": (GoldItem("u1", "Who won the World Cup?", (), type="unanswerable"),
           {"answer": None, "abstained": True, "confidence": 0.05}),
    "u2": (GoldItem("u2", "How many visitors come?", (), type="unanswerable"),
           {"answer": "It is 31 metres tall.", "abstained": False, "confidence": 0.55}),
}
MISSES = {"a2", "a3", "u2"}


def results():
    out = []
    for item, answer in CASES.values():
        answer = {"citations": [{"text": PARA, "paragraph": 2, "passage_id": "p2"}], "interpreted_as": None, **answer}
        out.append(score_answer(id=item.id, question=item.question, gold_answers=item.answers, evidence=None,
                                answer=answer, latency_ms=12.0, history=item.history))
    return out


@pytest.fixture
def report():
    rs = results()
    run = EvalRun("hybrid (default)", rs, compute_metrics(rs),
                  settings={"retrieval": "hybrid", "model": "all-MiniLM-L6-v2", "encoder": "onnx", "top_k": None})
    text = render_report([run], [item for item, _ in CASES.values()], threshold=0.3)
    return text, ET.fromstring(text.split("\n", 1)[1])


def by_id(root, element_id):
    return next(e for e in root.iter() if e.get("id") == element_id)


def text_of(element) -> str:
    return " ".join("".join(element.itertext()).split())


def rows(root, table_id):
    table = by_id(root, table_id)
    head = [text_of(th) for th in table.find("thead").iter("th")]
    return [dict(zip(head, (text_of(td) for td in tr.iter("td"))), _tr=tr) for tr in table.find("tbody").iter("tr")]


# -- failures first ----------------------------------------------------------------------------------
def test_the_failures_come_before_everything_but_the_summary(report):
    text, root = report
    assert text.index('id="failures"') < text.index('id="metrics"') < text.index('id="all-questions"')


def test_each_failure_shows_question_gold_answer_reading_and_confidence(report):
    _, root = report
    failures = rows(root, "failure-table")
    assert {r["id"] for r in failures} == MISSES
    for r in failures:
        item, answer = CASES[r["id"]]
        assert item.question in r["question"]
        assert all(h in r["question"] for h in item.history), "a follow-up shows what it followed"
        assert r["gold answer"] == (" | ".join(item.answers) or "(unanswerable)")
        assert r["confidence"] == f"{answer['confidence']:.3f}"
        assert r["read as"] == (answer.get("interpreted_as") or "")
        if answer["abstained"]:
            assert "declined" in r["quoted sentence"]
        else:
            assert r["quoted sentence"] == answer["answer"]
        assert r["outcome"] in OUTCOMES[2:], "a failure names its kind of failure"


def test_the_full_table_holds_every_question_once_failures_first(report):
    _, root = report
    table = rows(root, "questions")
    assert sorted(r["id"] for r in table) == sorted(CASES)
    kinds = [r["_tr"].get("data-result") for r in table]
    assert kinds == sorted(kinds, key=lambda k: k != "miss"), kinds
    assert {r["id"] for r in table if r["_tr"].get("data-result") == "miss"} == MISSES


def test_outcome_sort_key_puts_failures_first(report):
    _, root = report
    keys = {r["id"]: next(td for td in r["_tr"].iter("td") if td.get("class") == "outcome").get("data-sort")
            for r in rows(root, "questions")}
    assert max(keys[i] for i in MISSES) < min(keys[i] for i in set(CASES) - MISSES)


def test_outcomes_partition_hits_and_failures():
    for r in results():
        assert (outcome(r) in OUTCOMES[:2]) == r.hit


# -- sortable and filterable, offline -----------------------------------------------------------------
def test_the_table_has_sort_buttons_and_hidden_filter_controls(report):
    text, root = report
    headers = list(by_id(root, "questions").find("thead").iter("th"))
    assert all(th.find("button") is not None for th in headers)
    numeric = {text_of(th) for th in headers if th.get("data-type") == "number"}
    assert {"confidence", "ms"} <= numeric
    controls = by_id(root, "table-controls")
    assert controls.get("hidden") is not None, "without the script the controls would do nothing: hidden"
    labelled = {lab.get("for") for lab in controls.iter("label")}
    assert {"filter-text", "filter-result"} <= labelled
    scripts = list(root.iter("script"))
    assert len(scripts) == 1 and scripts[0].get("src") is None
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text, re.I), "nothing loaded from elsewhere"


# -- charts -----------------------------------------------------------------------------------------
def svg_after(text: str, anchor: str) -> ET.Element:
    start = text.index("<svg", text.index(anchor))
    return ET.fromstring(text[start:text.index("</svg>", start) + len("</svg>")])


def test_outcome_chart_series_differ_and_add_up_to_each_group(report):
    text, _ = report
    svg = svg_after(text, 'id="outcomes"')
    segments = [rect.find("title").text for rect in svg.iter("rect")]
    parsed = [re.fullmatch(r"(.+) \(n=(\d+)\): (.+), (\d+) of (\d+)", s).groups() for s in segments]
    groups: dict[str, dict[str, int]] = {}
    for group, n, kind, count, total in parsed:
        assert n == total
        groups.setdefault(group, {})[kind] = int(count)
    expected: dict[str, dict[str, int]] = {}
    for r, (item, _) in zip(results(), CASES.values()):
        expected.setdefault(item.type, {}).setdefault(outcome(r), 0)
        expected[item.type][outcome(r)] += 1
    assert groups == expected
    followup = groups["followup"]
    assert len(followup) == 2, "a group with a hit and a failure shows two different series"


def test_histogram_has_both_axis_labels(report):
    text, _ = report
    svg = svg_after(text, 'id="confidence"')
    labels = [text_of(t) for t in svg.iter("text")]
    assert any(label.startswith("confidence") for label in labels)
    assert any("questions" == label for label in labels)
    rotated = [t for t in svg.iter("text") if "rotate(-90" in (t.get("transform") or "")]
    assert [text_of(t) for t in rotated] == ["questions"], "the y axis is labelled along the axis"


# -- settings ---------------------------------------------------------------------------------------
def test_settings_print_no_unset_values(report):
    text, _ = report
    line = re.search(r"settings: ([^·<]*)", text).group(1)
    assert "None" not in line
    assert "model=all-MiniLM-L6-v2" in line and "encoder=onnx" in line


@dataclass(frozen=True)
class _Settings:
    retrieval: str = "hybrid"
    answer_mode: str = "sentence"
    abstain_threshold: float = 0.3
    model: str | None = None       # the setting: None = the packaged default model
    encoder: str = "onnx"


@dataclass
class _Encoder:
    model_name: str = "sentence-transformers/all-MiniLM-L6-v2"
    backend: str = "onnx"


class _Engine:
    settings = _Settings()
    embedder = _Encoder()

    def ask(self, question, history=None):
        return {"answer": None, "abstained": True, "confidence": 0.1, "citations": []}


def test_a_run_reports_the_model_the_encoder_really_runs():
    items = [GoldItem("x", "Who?", ())]
    run = evaluate(_Engine(), items, warm=False)
    assert run.settings["model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert run.settings["encoder"] == "onnx"
    text = render_report([run], items)
    assert "model=None" not in text and "model=sentence-transformers/all-MiniLM-L6-v2" in text


# -- CSV --------------------------------------------------------------------------------------------
def test_csv_has_type_and_interpreted_as_in_gold_order(tmp_path):
    rs = results()
    items = [item for item, _ in CASES.values()]
    paths = write_outputs(tmp_path, [EvalRun("main", rs, compute_metrics(rs))], items)
    with paths["csv"].open(encoding="utf-8", newline="") as f:
        table = list(csv.DictReader(f))
    assert {"type", "interpreted_as"} <= set(table[0]) and list(table[0]) == list(CSV_COLUMNS)
    assert [r["id"] for r in table] == list(CASES)
    for r in table:
        item, answer = CASES[r["id"]]
        assert r["type"] == item.type
        assert r["interpreted_as"] == (answer.get("interpreted_as") or "")
        assert r["hit"] == ("0" if r["id"] in MISSES else "1")


def test_each_question_type_gets_its_curve_against_the_other_side_of_the_run():
    from colnato_qa.evaluation.calibration import CalibrationRecord
    from colnato_qa.evaluation.report import type_curve_records

    records = [CalibrationRecord("a", 0.9, True, True), CalibrationRecord("b", 0.4, False, True),
               CalibrationRecord("n", 0.5, False, False), CalibrationRecord("m", 0.1, False, False)]
    types = {"a": "paraphrase", "b": "followup", "n": "near_miss", "m": "off_topic"}
    by_type = type_curve_records(records, types)
    assert sorted(by_type) == ["followup", "near_miss", "off_topic", "paraphrase"]
    assert [r.id for r in by_type["paraphrase"]] == ["a", "n", "m"]      # with every unanswerable
    assert [r.id for r in by_type["near_miss"]] == ["a", "b", "n"]       # with every answerable


# -- what the report counts (issue 20, item 10) --------------------------------------------------------
def test_the_headline_says_it_counts_the_sentence_and_gives_the_short_answer_apart(report):
    text, root = report
    headline = text_of(by_id(root, "headline"))
    rs = results()
    answerable = [r for r in rs if r.answerable]
    em = sum(r.exact_match for r in answerable) / len(answerable)
    f1 = sum(r.f1 for r in answerable) / len(answerable)
    assert f"Right sentence: {len(CASES) - len(MISSES)} of {len(CASES)}" in headline
    assert f"exact match {em:.3f}, F1 {f1:.3f}" in headline and "Right short answer" in headline
    assert "The headline counts the quoted sentence" in text_of(root)


def test_the_question_table_scores_the_sentence_and_the_short_answer_apart(report):
    _, root = report
    table = {r["id"]: r for r in rows(root, "questions")}
    by = {r.id: r for r in results()}
    for id_, row in table.items():
        assert row["EM"] == f"{by[id_].exact_match:.0f}" and row["F1"] == f"{by[id_].f1:.2f}"
        assert row["short answer"] == ("" if by[id_].abstained else (by[id_].short_answer or "(none)"))
    assert table["a1"]["outcome"] == "right sentence quoted"
    assert all(td.get("data-label") for r in table.values() for td in r["_tr"].iter("td")), "phone card labels"


def test_the_auc_says_what_it_separates_and_every_figure_is_defined_inline(report):
    _, root = report
    table = by_id(root, "metrics-table")
    names = [text_of(tr.find("th")) for tr in table.find("tbody").iter("tr")]
    assert "confidence_auc (answerable vs unanswerable)" in names
    definitions = [text_of(list(tr.iter("td"))[-1]) for tr in table.find("tbody").iter("tr")]
    assert len(definitions) == len(names) and all(len(d) > 10 for d in definitions)


def test_results_csv_holds_the_sentence_short_answer_em_and_f1(tmp_path):
    rs = results()
    paths = write_outputs(tmp_path, [EvalRun("run", rs, compute_metrics(rs))], [item for item, _ in CASES.values()])
    table = list(csv.DictReader(paths["csv"].open(encoding="utf-8")))
    assert {"sentence", "short_answer", "exact_match", "f1"} <= set(table[0])
    by = {r.id: r for r in rs}
    for row in table:
        r = by[row["id"]]
        assert row["sentence"] == (r.sentence or "") and row["short_answer"] == (r.short_answer or "")
        assert float(row["exact_match"]) == r.exact_match and abs(float(row["f1"]) - r.f1) < 1e-6
