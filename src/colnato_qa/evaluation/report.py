"""Write an evaluation to a directory: report.html, results.jsonl, results.csv.

report.html is self-contained: inline CSS and inline SVG charts drawn here, no JavaScript, no
external resource. All text goes through :func:`html.escape`; the markup is also well-formed XML.
"""

from __future__ import annotations

import csv
import datetime as _dt
import html
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .calibration import CalibrationRecord, precision_coverage_curve, stats_at
from .gold import GoldItem
from .metrics import HEADLINE_KEYS, QuestionResult, compute_metrics
from ..files import write_text_atomic
from .runner import EvalRun

CSV_COLUMNS = ("id", "question", "gold", "prediction", "hit", "cited_paragraph", "confidence", "latency_ms")

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em auto;max-width:72em;
color:#1d232a;line-height:1.4;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccd;padding-bottom:.2em}
table{border-collapse:collapse;font-size:.9em}th,td{border:1px solid #d5d9e0;padding:.25em .5em;vertical-align:top}
th{background:#eef1f5;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.miss td{background:#fff3f2}tr.hit td.h{color:#116622;font-weight:600}tr.miss td.h{color:#aa2211;font-weight:600}
.small{color:#556;font-size:.85em}.chart{margin:1em 0}svg text{font-family:inherit}
.legend span{display:inline-block;width:.9em;height:.9em;margin:0 .3em 0 1em;vertical-align:middle}
"""

_COLORS = ("#3b6fb6", "#e07b39", "#5aa05a", "#9a5ab0", "#c94c4c")


def _e(x: Any) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _fmt(v: Any) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.3f}" if abs(v) < 10 else f"{v:.1f}"
    return str(v)


# -- charts -----------------------------------------------------------------------------------
def bar_chart_svg(groups: Sequence[tuple[str, dict[str, float | None]]], series: Sequence[str],
                  title: str) -> str:
    """Horizontal grouped bars, values in [0, 1]. ``groups``: (label, {series: value})."""
    label_w, bar_w, bar_h, gap = 170, 360, 14, 10
    rows = len(groups)
    height = 30 + rows * (len(series) * bar_h + gap) + 30
    width = label_w + bar_w + 70
    out = [f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="{_e(title)}">', f'<title>{_e(title)}</title>']
    y = 24
    for gx in (0.0, 0.25, 0.5, 0.75, 1.0):
        x = label_w + gx * bar_w
        out.append(f'<line x1="{x:.1f}" y1="18" x2="{x:.1f}" y2="{height - 24}" stroke="#dde" />')
        out.append(f'<text x="{x:.1f}" y="{height - 10}" font-size="10" text-anchor="middle">{gx:.2f}</text>')
    for label, values in groups:
        out.append(f'<text x="{label_w - 6}" y="{y + bar_h * len(series) / 2 + 4:.1f}" font-size="11" '
                   f'text-anchor="end">{_e(label)}</text>')
        for si, s in enumerate(series):
            v = values.get(s)
            if v is not None:
                w = max(0.0, min(1.0, float(v))) * bar_w
                out.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" '
                           f'fill="{_COLORS[si % len(_COLORS)]}"><title>{_e(s)}: {v:.3f}</title></rect>')
                out.append(f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 4}" font-size="10">{v:.2f}</text>')
            else:
                out.append(f'<text x="{label_w + 4}" y="{y + bar_h - 4}" font-size="10" fill="#889">n/a</text>')
            y += bar_h
        y += gap
    out.append("</svg>")
    return "".join(out)


def histogram_svg(series: Sequence[tuple[str, Sequence[float]]], threshold: float | None, bins: int = 10,
                  title: str = "confidence") -> str:
    """Side-by-side histograms of values in [0, 1], with a vertical line at ``threshold``."""
    counts = []
    for _, vals in series:
        c = [0] * bins
        for v in vals:
            c[min(bins - 1, max(0, int(float(v) * bins)))] += 1
        counts.append(c)
    peak = max([max(c) for c in counts] + [1])
    left, top, plot_w, plot_h = 40, 20, 480, 180
    width, height = left + plot_w + 20, top + plot_h + 40
    out = [f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="{_e(title)}">', f'<title>{_e(title)}</title>',
           f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#667" />',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#667" />']
    bin_w = plot_w / bins
    inner = bin_w / (len(series) + 0.5)
    for b in range(bins):
        for si, c in enumerate(counts):
            h = c[b] / peak * plot_h
            x = left + b * bin_w + inner * 0.25 + si * inner
            out.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{inner:.1f}" height="{h:.1f}" '
                       f'fill="{_COLORS[si % len(_COLORS)]}"><title>{_e(series[si][0])} '
                       f'{b / bins:.1f}-{(b + 1) / bins:.1f}: {c[b]}</title></rect>')
        out.append(f'<text x="{left + b * bin_w:.1f}" y="{top + plot_h + 14}" font-size="10" '
                   f'text-anchor="middle">{b / bins:.1f}</text>')
    out.append(f'<text x="{left + plot_w:.1f}" y="{top + plot_h + 14}" font-size="10" text-anchor="middle">1.0</text>')
    out.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" font-size="11" text-anchor="middle">confidence</text>')
    out.append(f'<text x="{left - 6}" y="{top + 8}" font-size="10" text-anchor="end">{peak}</text>')
    out.append(f'<text x="{left - 6}" y="{top + plot_h}" font-size="10" text-anchor="end">0</text>')
    if threshold is not None:
        x = left + max(0.0, min(1.0, threshold)) * plot_w
        out.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{top + plot_h}" stroke="#c00" '
                   f'stroke-dasharray="4 3" />')
        out.append(f'<text x="{x + 3:.1f}" y="{top + 6}" font-size="10" fill="#c00">threshold {threshold:.3f}</text>')
    out.append("</svg>")
    return "".join(out)


def curve_svg(points: Sequence[tuple[float, float, float]], current: tuple[float, float, float] | None,
              title: str = "precision-coverage") -> str:
    """Precision (y) against coverage (x), one point per threshold: (threshold, coverage, precision)."""
    left, top, plot_w, plot_h = 45, 15, 420, 240
    width, height = left + plot_w + 160, top + plot_h + 45
    sx = lambda c: left + c * plot_w  # noqa: E731
    sy = lambda p: top + (1 - p) * plot_h  # noqa: E731
    out = [f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="{_e(title)}">', f'<title>{_e(title)}</title>']
    for g in (0.0, 0.25, 0.5, 0.75, 1.0):
        out.append(f'<line x1="{sx(g):.1f}" y1="{top}" x2="{sx(g):.1f}" y2="{top + plot_h}" stroke="#e3e6ea" />')
        out.append(f'<line x1="{left}" y1="{sy(g):.1f}" x2="{left + plot_w}" y2="{sy(g):.1f}" stroke="#e3e6ea" />')
        out.append(f'<text x="{sx(g):.1f}" y="{top + plot_h + 14}" font-size="10" text-anchor="middle">{g:.2f}</text>')
        out.append(f'<text x="{left - 5}" y="{sy(g) + 3:.1f}" font-size="10" text-anchor="end">{g:.2f}</text>')
    out.append(f'<text x="{sx(0.5):.1f}" y="{height - 6}" font-size="11" text-anchor="middle">'
               f'coverage (share answered)</text>')
    out.append(f'<text x="12" y="{sy(0.5):.1f}" font-size="11" text-anchor="middle" '
               f'transform="rotate(-90 12 {sy(0.5):.1f})">precision</text>')
    pts = sorted((c, p, t) for t, c, p in points)
    if pts:
        path = " ".join(f"{sx(c):.1f},{sy(p):.1f}" for c, p, _ in pts)
        out.append(f'<polyline points="{path}" fill="none" stroke="{_COLORS[0]}" stroke-width="2" />')
        for c, p, t in pts:
            out.append(f'<circle cx="{sx(c):.1f}" cy="{sy(p):.1f}" r="2.5" fill="{_COLORS[0]}">'
                       f'<title>threshold {t:.3f}: coverage {c:.3f}, precision {p:.3f}</title></circle>')
    if current is not None:
        t, c, p = current
        out.append(f'<circle cx="{sx(c):.1f}" cy="{sy(p):.1f}" r="6" fill="none" stroke="#c00" stroke-width="2" />')
        out.append(f'<text x="{sx(c) + 9:.1f}" y="{sy(p) + 4:.1f}" font-size="11" fill="#c00">'
                   f'current threshold {t:.3f}</text>')
    out.append("</svg>")
    return "".join(out)


# -- tables -----------------------------------------------------------------------------------
def metrics_table(runs: Sequence[EvalRun]) -> str:
    head = "".join(f"<th>{_e(r.label)}</th>" for r in runs)
    rows = []
    for key in HEADLINE_KEYS:
        cells = "".join(f'<td class="num">{_e(_fmt(r.metrics.get(key)))}</td>' for r in runs)
        rows.append(f"<tr><th>{_e(key)}</th>{cells}</tr>")
    return f"<table><thead><tr><th>metric</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def question_table(results: Sequence[QuestionResult], types: dict[str, str]) -> str:
    head = ("<tr><th>id</th><th>type</th><th>question</th><th>gold</th><th>prediction</th><th>hit</th>"
            "<th>confidence</th><th>cited ¶</th><th>evidence rank</th><th>ms</th></tr>")
    rows = []
    for r in results:
        q = _e(r.question)
        if r.history:
            q = f'<span class="small">after: {_e(" / ".join(r.history))}</span><br />' + q
        gold = " | ".join(r.gold_answers) if r.gold_answers else "(unanswerable)"
        pred = r.prediction if not r.abstained else f"(abstained){' — ' + r.candidate if r.candidate else ''}"
        if r.error:
            pred = f"(refused: {r.error})"
        cls = "hit" if r.hit else "miss"
        rows.append(
            f'<tr class="{cls}"><td>{_e(r.id)}</td><td>{_e(types.get(r.id, ""))}</td><td>{q}</td>'
            f"<td>{_e(gold)}</td><td>{_e(pred)}</td><td class=\"h\">{'✓' if r.hit else '✗'}</td>"
            f'<td class="num">{r.confidence:.3f}</td><td class="num">{_e(_fmt(r.cited_paragraph))}</td>'
            f'<td class="num">{_e(_fmt(r.citation_rank))}</td><td class="num">{r.latency_ms:.1f}</td></tr>'
        )
    return f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"


def _legend(names: Sequence[str]) -> str:
    return '<div class="legend small">' + "".join(
        f'<span style="background:{_COLORS[i % len(_COLORS)]}"></span>{_e(n)}' for i, n in enumerate(names)
    ) + "</div>"


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
) -> str:
    """The HTML text of the report. ``runs[0]`` is the main run (charts and question table)."""
    if not runs:
        raise ValueError("render_report needs at least one run")
    main = runs[0]
    types = {it.id: it.type or "" for it in items}
    item_by_id = {it.id: it for it in items}
    parts: list[str] = []
    parts.append(f"<h1>{_e(title)}</h1>")
    info = [f"gold: {gold_path}" if gold_path else "", f"split: {split}" if split else "all questions",
            f"{len(main.results)} questions", f"abstain threshold: {threshold:.3f}" if threshold is not None else "",
            "settings: " + ", ".join(f"{k}={v}" for k, v in main.settings.items()) if main.settings else "",
            "generated " + _dt.datetime.now().strftime("%Y-%m-%d %H:%M")]
    parts.append(f'<p class="small">{_e(" · ".join(x for x in info if x))}</p>')

    parts.append("<h2>Headline metrics</h2>")
    parts.append('<p class="small">Shares in [0, 1]; definitions in docs/evaluation.md. answer_recall is the '
                 "headline accuracy on answerable questions; hit_rate counts an unanswerable question as a hit "
                 "when the system abstains.</p>")
    parts.append(metrics_table(runs))

    fields = list(by) or (["type"] if any(it.type for it in items) else ["answerable"])
    for name in fields:
        groups: dict[str, list[QuestionResult]] = {}
        for r in main.results:
            it = item_by_id.get(r.id)
            g = r.groups.get(name) or (it.field_value(name) if it else "(none)")
            groups.setdefault(g, []).append(r)
        rows = []
        for g, rs in sorted(groups.items()):
            m = compute_metrics(rs)
            rows.append((f"{g} (n={len(rs)})", {"hit rate": m["hit_rate"], "answer_recall": m["answer_recall"]}))
        parts.append(f"<h2>Accuracy by {_e(name)}</h2>")
        parts.append(_legend(["hit rate", "answer_recall"]))
        parts.append('<div class="chart">' + bar_chart_svg(rows, ["hit rate", "answer_recall"],
                                                          f"accuracy by {name}") + "</div>")

    parts.append("<h2>Confidence: answerable vs unanswerable</h2>")
    ans = [r.confidence for r in main.results if r.answerable]
    unans = [r.confidence for r in main.results if not r.answerable]
    parts.append(_legend([f"answerable (n={len(ans)})", f"unanswerable (n={len(unans)})"]))
    parts.append('<div class="chart">' + histogram_svg([("answerable", ans), ("unanswerable", unans)], threshold,
                                                      title="confidence histogram") + "</div>")

    if curve_records:
        parts.append("<h2>Precision–coverage as the abstention threshold moves</h2>")
        parts.append('<p class="small">From a run that never abstains (threshold 0): at threshold t the engine '
                     "answers the questions with confidence ≥ t. Coverage = share answered; precision = share of "
                     "answered that are correct (an answered unanswerable question is wrong).</p>")
        curve = [(s.threshold, s.coverage, s.precision) for s in precision_coverage_curve(curve_records)
                 if s.precision is not None and s.coverage is not None]
        current = None
        if threshold is not None:
            s = stats_at(curve_records, threshold)
            if s.precision is not None and s.coverage is not None:
                current = (threshold, s.coverage, s.precision)
                parts.append(f'<p class="small">{_e(f"At the current threshold {threshold:.3f}: coverage {s.coverage:.3f}, precision {s.precision:.3f}, decision accuracy {s.accuracy:.3f}.")}</p>')
        parts.append('<div class="chart">' + curve_svg(curve, current) + "</div>")

    parts.append(f"<h2>Questions ({_e(main.label)})</h2>")
    parts.append(question_table(main.results, types))

    body = "\n".join(parts)
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8" />'
            '<meta name="viewport" content="width=device-width, initial-scale=1" />'
            f"<title>{_e(title)}</title><style>{_CSS}</style></head>\n<body>\n{body}\n</body></html>\n")


def results_rows(results: Sequence[QuestionResult]) -> list[dict[str, Any]]:
    return [{
        "id": r.id, "question": r.question, "gold": " | ".join(r.gold_answers),
        "prediction": "" if r.prediction is None else r.prediction, "hit": int(r.hit),
        "cited_paragraph": "" if r.cited_paragraph is None else r.cited_paragraph,
        "confidence": f"{r.confidence:.6f}", "latency_ms": f"{r.latency_ms:.1f}",
    } for r in results]


def write_outputs(out_dir: str | Path, runs: Sequence[EvalRun], items: Sequence[GoldItem], **report_kw: Any) -> dict[str, Path]:
    """Write report.html, results.jsonl and results.csv (of ``runs[0]``) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"report": out / "report.html", "jsonl": out / "results.jsonl", "csv": out / "results.csv"}
    write_text_atomic(paths["report"], render_report(runs, items, **report_kw))
    main = runs[0]
    write_text_atomic(paths["jsonl"], "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in main.results))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(CSV_COLUMNS))
    w.writeheader()
    w.writerows(results_rows(main.results))
    write_text_atomic(paths["csv"], buf.getvalue())
    return paths
