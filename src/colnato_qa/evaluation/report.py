"""Write an evaluation to a directory: report.html, results.jsonl, results.csv.

report.html is one self-contained file that works offline, from ``file://`` too: inline CSS,
inline SVG charts (``charts.py``) and a few lines of inline script that sort and filter the
question table (without the script the table is whole, failures first). Nothing is loaded from
anywhere. All text goes through :func:`html.escape`; the markup is also well-formed XML.

Top to bottom: what was run (settings with the real model and encoder), the failures (question,
gold answer, what was answered, how a follow-up was read, confidence), the headline metrics, the
outcomes per group, the confidence histograms, the precision-coverage curve, every question.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..files import write_text_atomic
from .calibration import CalibrationRecord, precision_coverage_curve, stats_at
from .charts import COLORS, curve_svg, esc, histogram_svg, legend_html, stacked_shares_svg
from .compare import RUN_FILE, write_run
from .gold import GoldItem
from .intervals import SMALL_SET, figure_intervals, one_question
from .metrics import HEADLINE_KEYS, NORMALIZATION_WHY, QuestionResult, against_other_side, roc_auc
from .runner import EvalRun

CSV_COLUMNS = ("id", "type", "question", "gold", "prediction", "interpreted_as", "hit", "cited_paragraph",
               "confidence", "latency_ms")

# What became of a question: the two kinds of hit, then the three kinds of failure.
CORRECT_ANSWER = "correct answer"
CORRECT_DECLINE = "correctly declined"
WRONG_ANSWER = "wrong answer"
WRONG_DECLINE = "declined, but the article answers it"
WRONG_NON_ANSWER = "answered, but the article doesn't say"
OUTCOMES = (CORRECT_ANSWER, CORRECT_DECLINE, WRONG_ANSWER, WRONG_DECLINE, WRONG_NON_ANSWER)
OUTCOME_COLORS = dict(zip(OUTCOMES, (COLORS[0], COLORS[5], COLORS[4], COLORS[1], COLORS[3])))

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em auto;max-width:80em;
color:#1d232a;line-height:1.4;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccd;padding-bottom:.2em}
nav a{margin-right:1em}
table{border-collapse:collapse;font-size:.9em}th,td{border:1px solid #d5d9e0;padding:.25em .5em;vertical-align:top}
th{background:#eef1f5;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.miss td{background:#fff3f2}td.outcome{font-weight:600;min-width:7em}td.text{min-width:12em}.scroll{overflow-x:auto}
tr.hit td.outcome{color:#116622}tr.miss td.outcome{color:#9b1c10}
th button{font:inherit;font-weight:600;background:none;border:0;padding:0;cursor:pointer;color:inherit;text-align:left}
th[aria-sort=ascending] button::after{content:" \\25B2"}th[aria-sort=descending] button::after{content:" \\25BC"}
.controls{margin:.5em 0;display:flex;gap:1em;flex-wrap:wrap;align-items:center}
.controls input,.controls select{font:inherit;padding:.2em .4em}
.small{color:#4a5260;font-size:.85em}.chart{margin:1em 0}svg text{font-family:inherit}
.legend span{display:inline-block;width:.9em;height:.9em;margin:0 .3em 0 1em;vertical-align:middle}
"""

# Sorting (click a column's header; again to reverse) and filtering (words, and hits/failures) of
# the question table. Offline, no library; rows keep their order among equals.
_SCRIPT = """//<![CDATA[
(function () {
  "use strict";
  var table = document.getElementById("questions");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var text = document.getElementById("filter-text");
  var result = document.getElementById("filter-result");
  var count = document.getElementById("filter-count");
  document.getElementById("table-controls").hidden = false;

  function filter() {
    var words = text.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (row) {
      var haystack = row.textContent.toLowerCase();
      var ok = (result.value === "all" || row.getAttribute("data-result") === result.value) &&
               words.every(function (w) { return haystack.indexOf(w) !== -1; });
      row.hidden = !ok;
      if (ok) shown += 1;
    });
    count.textContent = shown + " of " + rows.length + " questions shown";
  }

  function key(row, index, numeric) {
    var cell = row.cells[index];
    var value = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent;
    if (!numeric) return value.toLowerCase();
    var number = parseFloat(value);
    return isNaN(number) ? Infinity : number;
  }

  function sortBy(th, index) {
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var numeric = th.getAttribute("data-type") === "number";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    rows.sort(function (a, b) {
      var x = key(a, index, numeric), y = key(b, index, numeric);
      var c = numeric ? (x === y ? 0 : (x > y ? 1 : -1)) : x.localeCompare(y, undefined, {numeric: true});
      return ascending ? c : -c;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
    var button = th.querySelector("button");
    if (button) button.addEventListener("click", function () { sortBy(th, index); });
  });
  text.addEventListener("input", filter);
  result.addEventListener("change", filter);
  filter();
})();
//]]>"""


def _fmt(v: Any) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.3f}" if abs(v) < 10 else f"{v:.1f}"
    return str(v)


def outcome(r: QuestionResult) -> str:
    """What became of the question: one of ``OUTCOMES`` (a refused question counts as declined)."""
    if r.answerable:
        if r.hit:
            return CORRECT_ANSWER
        return WRONG_DECLINE if r.abstained else WRONG_ANSWER
    return CORRECT_DECLINE if r.hit else WRONG_NON_ANSWER


def failures_first(results: Sequence[QuestionResult]) -> list[QuestionResult]:
    """The failures, then the hits, each in the gold file's order."""
    return [r for r in results if not r.hit] + [r for r in results if r.hit]


def settings_text(settings: Mapping[str, Any]) -> str:
    """``key=value, ...`` of the run's settings; a setting left unset (None) is not printed."""
    return ", ".join(f"{k}={v}" for k, v in settings.items() if v is not None)


# -- tables -----------------------------------------------------------------------------------
def metrics_table(runs: Sequence[EvalRun]) -> str:
    """Every headline figure of every run, and the bootstrap 95% interval of the first run's."""
    intervals = figure_intervals(runs[0].results)
    head = "".join(f'<th scope="col">{esc(r.label)}</th>' for r in runs) + '<th scope="col">95% interval</th>'
    rows = []
    for key in HEADLINE_KEYS:
        cells = "".join(f'<td class="num">{esc(_fmt(r.metrics.get(key)))}</td>' for r in runs)
        ci = intervals.get(key)
        cells += f'<td class="num">{"" if ci is None else esc(f"[{ci[0]:.3f}, {ci[1]:.3f}]")}</td>'
        rows.append(f'<tr><th scope="row">{esc(key)}</th>{cells}</tr>')
    return f'<table><thead><tr><th scope="col">metric</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


# (header, numeric?) of the question tables, in order.
QUESTION_COLUMNS = (("id", False), ("type", False), ("outcome", False), ("question", False), ("read as", False),
                    ("gold answer", False), ("answered", False), ("confidence", True), ("cited ¶", True),
                    ("evidence rank", True), ("ms", True))


def _answered(r: QuestionResult) -> str:
    if r.error:
        return f'<span class="small">(refused: {esc(r.error)})</span>'
    if r.abstained:
        best = f" best candidate: {esc(r.candidate)}" if r.candidate else ""
        return f'<span class="small">(declined){best}</span>'
    return esc(r.prediction)


def question_row(r: QuestionResult, type_: str) -> str:
    q = esc(r.question)
    if r.history:
        q = f'<span class="small">after: {esc(" / ".join(r.history))}</span><br />' + q
    gold = esc(" | ".join(r.gold_answers)) if r.gold_answers else '<span class="small">(unanswerable)</span>'
    kind = outcome(r)
    result = "hit" if r.hit else "miss"
    # Sorting on the outcome column puts failures first (0), then hits (1).
    return (f'<tr class="{result}" data-result="{result}"><td>{esc(r.id)}</td><td>{esc(type_)}</td>'
            f'<td class="outcome" data-sort="{int(r.hit)} {OUTCOMES.index(kind)}">{esc(kind)}</td>'
            f'<td class="text">{q}</td><td>{esc(r.interpreted_as) if r.interpreted_as else ""}</td>'
            f'<td>{gold}</td><td class="text">{_answered(r)}</td>'
            f'<td class="num">{r.confidence:.3f}</td><td class="num">{esc(_fmt(r.cited_paragraph))}</td>'
            f'<td class="num">{esc(_fmt(r.citation_rank))}</td><td class="num">{r.latency_ms:.1f}</td></tr>')


def question_table(results: Sequence[QuestionResult], types: Mapping[str, str], table_id: str,
                   sortable: bool = False) -> str:
    """The questions as given (callers pass them failures first)."""
    cells = []
    for name, numeric in QUESTION_COLUMNS:
        kind = ' data-type="number"' if numeric else ""
        label = f'<button type="button">{esc(name)}</button>' if sortable else esc(name)
        cells.append(f'<th scope="col"{kind}>{label}</th>')
    rows = "".join(question_row(r, types.get(r.id, "")) for r in results)
    return (f'<div class="scroll"><table id="{table_id}"><thead><tr>{"".join(cells)}</tr></thead>'
            f"<tbody>{rows}</tbody></table></div>")


def _table_controls(n: int) -> str:
    return ('<div id="table-controls" class="controls" hidden="hidden">'
            '<label for="filter-text">Filter questions</label>'
            '<input id="filter-text" type="search" placeholder="words in any column" />'
            '<label for="filter-result">Show</label>'
            '<select id="filter-result"><option value="all" selected="selected">all questions</option>'
            '<option value="miss">failures only</option><option value="hit">hits only</option></select>'
            f'<span id="filter-count" class="small" aria-live="polite">{n} questions</span>'
            '<span class="small">Click a column header to sort by it.</span></div>')


# -- sections ---------------------------------------------------------------------------------
def _header(main: EvalRun, title: str, gold_path: str, split: str | None, threshold: float | None,
            scoring: Mapping[str, str] | None = None) -> list[str]:
    scored = ""
    if scoring:
        scored = (f"scored: {scoring['answer_field']} answers, {scoring['normalize']} normalization "
                  f"({NORMALIZATION_WHY[scoring['normalize']]})")
    info = [f"gold: {gold_path}" if gold_path else "", f"split: {split}" if split else "all questions",
            f"{len(main.results)} questions", f"abstain threshold: {threshold:.3f}" if threshold is not None else "",
            scored,
            f"settings: {settings_text(main.settings)}" if settings_text(main.settings) else "",
            "generated " + _dt.datetime.now().strftime("%Y-%m-%d %H:%M")]
    misses = sum(1 for r in main.results if not r.hit)
    return [f"<h1>{esc(title)}</h1>",
            f'<p class="small">{esc(" · ".join(x for x in info if x))}</p>',
            f"<p><strong>{len(main.results) - misses} of {len(main.results)} right, {misses} "
            f"failure{'' if misses == 1 else 's'}.</strong></p>",
            '<nav class="small"><a href="#failures">Failures</a><a href="#metrics">Headline metrics</a>'
            '<a href="#outcomes">Outcomes by group</a><a href="#confidence">Confidence</a>'
            '<a href="#all-questions">Every question</a></nav>']


def _failures(main: EvalRun, types: Mapping[str, str]) -> list[str]:
    misses = [r for r in main.results if not r.hit]
    parts = [f'<h2 id="failures">Failures ({len(misses)} of {len(main.results)})</h2>']
    if not misses:
        return parts + ["<p>None: every question was answered or declined correctly.</p>"]
    parts.append('<p class="small">Each with the gold answer, what was answered (or the best candidate when it '
                 'declined), how a follow-up was read ("read as") and the confidence.</p>')
    parts.append(question_table(misses, types, "failure-table"))
    return parts


def _outcomes(main: EvalRun, items: Sequence[GoldItem], by: Sequence[str]) -> list[str]:
    item_by_id = {it.id: it for it in items}
    fields = list(by) or (["type"] if any(it.type for it in items) else ["answerable"])
    parts = ['<h2 id="outcomes">Outcomes by group</h2>',
             '<p class="small">Each bar is one group\'s questions: the blue shares are hits (hit rate = correct '
             "answers + correct declines), the others the kinds of failure. (answer_recall, the share of "
             "answerable questions answered correctly, is the hit rate of a group of answerable questions "
             "and undefined for unanswerable ones, so it is not drawn again.)</p>"]
    for name in fields:
        groups: dict[str, list[QuestionResult]] = {}
        for r in main.results:
            it = item_by_id.get(r.id)
            g = r.groups.get(name) or (it.field_value(name) if it else "(none)")
            groups.setdefault(str(g), []).append(r)
        rows = []
        for g, rs in sorted(groups.items()):
            counts = Counter(outcome(r) for r in rs)
            hits = counts[CORRECT_ANSWER] + counts[CORRECT_DECLINE]
            rows.append((f"{g} (n={len(rs)})", dict(counts), f"hit rate {hits / len(rs):.2f}"))
        present = [o for o in OUTCOMES if any(row[1].get(o) for row in rows)]
        parts.append(f"<h3>By {esc(name)}</h3>")
        parts.append(legend_html(present, [OUTCOME_COLORS[o] for o in present]))
        parts.append('<div class="chart">' + stacked_shares_svg(
            rows, [(o, OUTCOME_COLORS[o]) for o in OUTCOMES], f"outcomes by {name}") + "</div>")
    return parts


def _confidence(main: EvalRun, threshold: float | None) -> list[str]:
    ans = [r.confidence for r in main.results if r.answerable]
    unans = [r.confidence for r in main.results if not r.answerable]
    return ['<h2 id="confidence">Confidence: answerable vs unanswerable</h2>',
            legend_html([f"answerable (n={len(ans)})", f"unanswerable (n={len(unans)})"]),
            '<div class="chart">' + histogram_svg([("answerable", ans), ("unanswerable", unans)], threshold,
                                                  title="confidence histogram",
                                                  x_label="confidence (bins of 0.1)",
                                                  y_label="questions") + "</div>"]


def curve_points(records: Sequence[CalibrationRecord], threshold: float | None):
    """(points, current) for ``curve_svg``: (threshold, coverage, precision) at every candidate
    threshold, and at ``threshold`` (None when unknown or nothing is answered there)."""
    points = [(s.threshold, s.coverage, s.precision) for s in precision_coverage_curve(records)
              if s.precision is not None and s.coverage is not None]
    current = None
    if threshold is not None:
        s = stats_at(records, threshold)
        if s.precision is not None and s.coverage is not None:
            current = (threshold, s.coverage, s.precision)
    return points, current


def _curve(curve_records: Sequence[CalibrationRecord], threshold: float | None) -> list[str]:
    parts = ["<h2>Precision–coverage as the abstention threshold moves</h2>",
             '<p class="small">From a run that never abstains (threshold 0): at threshold t the engine '
             "answers the questions with confidence ≥ t. Coverage = share answered; precision = share of "
             "answered that are correct (an answered unanswerable question is wrong).</p>"]
    curve, current = curve_points(curve_records, threshold)
    if current is not None:
        s = stats_at(curve_records, current[0])
        parts.append(f'<p class="small">{esc(f"At the current threshold {current[0]:.3f}: coverage {s.coverage:.3f}, precision {s.precision:.3f}, decision accuracy {s.accuracy:.3f}.")}</p>')
    parts.append('<div class="chart">' + curve_svg(curve, current) + "</div>")
    return parts


def type_curve_records(records: Sequence[CalibrationRecord], types: Mapping[str, str]) -> dict[str, list[CalibrationRecord]]:
    """Per question type, the records its curve and AUC are drawn from: the type's own, and when
    they are all of one side (paraphrases: all answerable; near misses: none), the other side of
    the whole run, as ``metrics.group_confidence_auc`` does."""
    return {t: against_other_side([r for r in records if types.get(r.id) == t], records)
            for t in sorted({types.get(r.id, "") for r in records} - {""})}


def _curves_by_type(records: Sequence[CalibrationRecord], types: Mapping[str, str], threshold: float | None) -> list[str]:
    by_type = type_curve_records(records, types)
    if len(by_type) < 2:
        return []
    parts = ["<h2>Precision–coverage and confidence AUC by question type</h2>",
             '<p class="small">Each type\'s questions; a type of answerable questions only is drawn with every '
             "unanswerable question of the run, a type of unanswerable ones only with every answerable one. "
             "AUC: the chance that an answerable question gets a higher confidence than an unanswerable one.</p>"]
    for t, recs in by_type.items():
        auc = roc_auc([r.confidence for r in recs], [r.answerable for r in recs])
        curve, current = curve_points(recs, threshold)
        auc_text = "AUC —" if auc is None else f"AUC {auc:.3f}"
        parts.append(f'<h3>{esc(t)} ({len([r for r in recs if types.get(r.id) == t])} questions): {esc(auc_text)}</h3>')
        parts.append('<div class="chart">' + curve_svg(curve, current, title=f"precision-coverage: {t}") + "</div>")
    return parts


def _all_questions(main: EvalRun, types: Mapping[str, str]) -> list[str]:
    return [f'<h2 id="all-questions">Every question ({esc(main.label)}), failures first</h2>',
            _table_controls(len(main.results)),
            question_table(failures_first(main.results), types, "questions", sortable=True)]


# -- the report -------------------------------------------------------------------------------
def render_report(
    runs: Sequence[EvalRun],
    items: Sequence[GoldItem],
    *,
    by: Sequence[str] = (),
    threshold: float | None = None,
    curve_records: Sequence[CalibrationRecord] | None = None,
    title: str = "colnato-qa evaluation",
    gold_path: str = "",
    split: str | None = None,
    scoring: Mapping[str, str] | None = None,
) -> str:
    """The HTML text of the report. ``runs[0]`` is the main run (failures, charts, question table)."""
    if not runs:
        raise ValueError("render_report needs at least one run")
    main = runs[0]
    types = {it.id: it.type or "" for it in items}
    parts = _header(main, title, gold_path, split, threshold, scoring)
    parts += _failures(main, types)
    parts += ['<h2 id="metrics">Headline metrics</h2>',
              '<p class="small">Shares in [0, 1]; definitions in docs/evaluation.md. answer_recall is the '
              "headline accuracy on answerable questions; hit_rate counts an unanswerable question as a hit "
              f"when the system abstains. The 95% interval (of {esc(main.label)}) is a bootstrap over the "
              "questions.</p>",
              metrics_table(runs)]
    if len(main.results) < SMALL_SET:
        moves = ", ".join(f"{k} by {v:.3f}" for k, v in one_question(main.results).items() if v is not None)
        parts.append(f'<p class="small">Only {len(main.results)} questions: one question moves {esc(moves)}.</p>')
    parts += _outcomes(main, items, by)
    parts += _confidence(main, threshold)
    if curve_records:
        parts += _curve(curve_records, threshold)
        parts += _curves_by_type(curve_records, types, threshold)
    parts += _all_questions(main, types)
    body = "\n".join(parts)
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8" />'
            '<meta name="viewport" content="width=device-width, initial-scale=1" />'
            f"<title>{esc(title)}</title><style>{_CSS}</style></head>\n<body>\n{body}\n"
            f"<script>{_SCRIPT}</script>\n</body></html>\n")


# Cells a spreadsheet would read as a formula (OWASP, "CSV Injection"): those starting with one of these.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """``text`` prefixed with a single quote when a spreadsheet would run it as a formula (OWASP's
    CSV-injection advice); any other text unchanged."""
    return "'" + text if text.startswith(FORMULA_LEADS) else text


def results_rows(results: Sequence[QuestionResult], types: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """The CSV's rows (``CSV_COLUMNS``), in the gold file's order; ``types``: id -> question type.
    Text cells (from the gold file and the article) go through ``spreadsheet_safe``."""
    types = types or {}
    safe = spreadsheet_safe
    return [{
        "id": safe(r.id), "type": safe(types.get(r.id, "")), "question": safe(r.question),
        "gold": safe(" | ".join(r.gold_answers)), "prediction": "" if r.prediction is None else safe(r.prediction),
        "interpreted_as": safe(r.interpreted_as or ""), "hit": int(r.hit),
        "cited_paragraph": "" if r.cited_paragraph is None else r.cited_paragraph,
        "confidence": f"{r.confidence:.6f}", "latency_ms": f"{r.latency_ms:.1f}",
    } for r in results]


def write_outputs(out_dir: str | Path, runs: Sequence[EvalRun], items: Sequence[GoldItem], **report_kw: Any) -> dict[str, Path]:
    """Write report.html, results.jsonl, results.csv and run.json (of ``runs[0]``) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"report": out / "report.html", "jsonl": out / "results.jsonl", "csv": out / "results.csv",
             "run": out / RUN_FILE}
    write_text_atomic(paths["report"], render_report(runs, items, **report_kw))
    main = runs[0]
    write_run(paths["run"], label=main.label, settings=main.all_settings or main.settings,
              gold=str(report_kw.get("gold_path", "")), split=report_kw.get("split"),
              scoring=dict(report_kw.get("scoring") or {}), metrics=main.metrics, results=main.results)
    write_text_atomic(paths["jsonl"], "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in main.results))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(CSV_COLUMNS))
    w.writeheader()
    w.writerows(results_rows(main.results, {it.id: it.type or "" for it in items}))
    write_text_atomic(paths["csv"], buf.getvalue())
    return paths
