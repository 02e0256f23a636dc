"""The evaluation report's charts, as inline SVG text: shares of outcomes per group (stacked
bars), confidence histograms, the precision-coverage curve. No script, no external resource;
every text goes through :func:`html.escape`; every chart has a title, axis labels and a
``<title>`` per mark (the tooltip and what a screen reader reads).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

#: Okabe-Ito: told apart with any colour vision.
COLORS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#d55e00", "#56b4e9")


def esc(x: Any) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _svg_open(width: float, height: float, title: str) -> list[str]:
    return [f'<svg width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{esc(title)}">',
            f"<title>{esc(title)}</title>"]


def _y_label(x: float, y: float, text: str) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="11" text-anchor="middle" '
            f'transform="rotate(-90 {x:.1f} {y:.1f})">{esc(text)}</text>')


def legend_html(names: Sequence[str], colors: Sequence[str] = COLORS) -> str:
    return '<div class="legend small">' + "".join(
        f'<span style="background:{colors[i % len(colors)]}"></span>{esc(n)}' for i, n in enumerate(names)
    ) + "</div>"


def stacked_shares_svg(groups: Sequence[tuple[str, dict[str, int], str]], series: Sequence[tuple[str, str]],
                       title: str, x_label: str = "share of the group's questions") -> str:
    """One horizontal bar per group, split into the shares of ``series`` (name, colour).

    ``groups``: (label, {series name: count}, note written right of the bar).
    """
    label_w, bar_w, bar_h, gap, note_w = 190, 420, 18, 10, 130
    top = 10
    height = top + len(groups) * (bar_h + gap) + 42
    width = label_w + bar_w + note_w
    out = _svg_open(width, height, title)
    axis_y = top + len(groups) * (bar_h + gap)
    for g in (0.0, 0.25, 0.5, 0.75, 1.0):
        x = label_w + g * bar_w
        out.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{axis_y:.1f}" stroke="#d0d4da" />')
        out.append(f'<text x="{x:.1f}" y="{axis_y + 13:.1f}" font-size="10" text-anchor="middle">{g:.0%}</text>')
    out.append(f'<text x="{label_w + bar_w / 2:.1f}" y="{axis_y + 30:.1f}" font-size="11" '
               f'text-anchor="middle">{esc(x_label)}</text>')
    y = top
    for label, counts, note in groups:
        total = sum(counts.values())
        out.append(f'<text x="{label_w - 6}" y="{y + bar_h - 5}" font-size="11" text-anchor="end">{esc(label)}</text>')
        x = float(label_w)
        for name, color in series:
            n = counts.get(name, 0)
            if not n or not total:
                continue
            w = n / total * bar_w
            out.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}">'
                       f"<title>{esc(label)}: {esc(name)}, {n} of {total}</title></rect>")
            x += w
        out.append(f'<text x="{label_w + bar_w + 6}" y="{y + bar_h - 5}" font-size="11">{esc(note)}</text>')
        y += bar_h + gap
    out.append("</svg>")
    return "".join(out)


def histogram_svg(series: Sequence[tuple[str, Sequence[float]]], threshold: float | None, bins: int = 10,
                  title: str = "confidence", x_label: str = "confidence",
                  y_label: str = "questions") -> str:
    """Side-by-side histograms of values in [0, 1], with a vertical line at ``threshold``."""
    counts = []
    for _, vals in series:
        c = [0] * bins
        for v in vals:
            c[min(bins - 1, max(0, int(float(v) * bins)))] += 1
        counts.append(c)
    peak = max([max(c) for c in counts] + [1])
    left, top, plot_w, plot_h = 55, 20, 480, 180
    width, height = left + plot_w + 20, top + plot_h + 44
    out = _svg_open(width, height, title)
    out += [f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#667" />',
            f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#667" />']
    bin_w = plot_w / bins
    inner = bin_w / (len(series) + 0.5)
    for b in range(bins):
        for si, c in enumerate(counts):
            h = c[b] / peak * plot_h
            x = left + b * bin_w + inner * 0.25 + si * inner
            out.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{inner:.1f}" height="{h:.1f}" '
                       f'fill="{COLORS[si % len(COLORS)]}"><title>{esc(series[si][0])} '
                       f'{b / bins:.1f}-{(b + 1) / bins:.1f}: {c[b]}</title></rect>')
        out.append(f'<text x="{left + b * bin_w:.1f}" y="{top + plot_h + 14}" font-size="10" '
                   f'text-anchor="middle">{b / bins:.1f}</text>')
    out.append(f'<text x="{left + plot_w:.1f}" y="{top + plot_h + 14}" font-size="10" text-anchor="middle">1.0</text>')
    out.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" font-size="11" text-anchor="middle">'
               f"{esc(x_label)}</text>")
    out.append(_y_label(14, top + plot_h / 2, y_label))
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
    out = _svg_open(width, height, title)
    for g in (0.0, 0.25, 0.5, 0.75, 1.0):
        out.append(f'<line x1="{sx(g):.1f}" y1="{top}" x2="{sx(g):.1f}" y2="{top + plot_h}" stroke="#e3e6ea" />')
        out.append(f'<line x1="{left}" y1="{sy(g):.1f}" x2="{left + plot_w}" y2="{sy(g):.1f}" stroke="#e3e6ea" />')
        out.append(f'<text x="{sx(g):.1f}" y="{top + plot_h + 14}" font-size="10" text-anchor="middle">{g:.2f}</text>')
        out.append(f'<text x="{left - 5}" y="{sy(g) + 3:.1f}" font-size="10" text-anchor="end">{g:.2f}</text>')
    out.append(f'<text x="{sx(0.5):.1f}" y="{height - 6}" font-size="11" text-anchor="middle">'
               f'coverage (share answered)</text>')
    out.append(_y_label(12, sy(0.5), "precision"))
    pts = sorted((c, p, t) for t, c, p in points)
    if pts:
        path = " ".join(f"{sx(c):.1f},{sy(p):.1f}" for c, p, _ in pts)
        out.append(f'<polyline points="{path}" fill="none" stroke="{COLORS[0]}" stroke-width="2" />')
        for c, p, t in pts:
            out.append(f'<circle cx="{sx(c):.1f}" cy="{sy(p):.1f}" r="2.5" fill="{COLORS[0]}">'
                       f'<title>threshold {t:.3f}: coverage {c:.3f}, precision {p:.3f}</title></circle>')
    if current is not None:
        t, c, p = current
        out.append(f'<circle cx="{sx(c):.1f}" cy="{sy(p):.1f}" r="6" fill="none" stroke="#c00" stroke-width="2" />')
        out.append(f'<text x="{sx(c) + 9:.1f}" y="{sy(p) + 4:.1f}" font-size="11" fill="#c00">'
                   f'current threshold {t:.3f}</text>')
    out.append("</svg>")
    return "".join(out)
