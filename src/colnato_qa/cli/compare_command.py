"""``colnato-qa compare RUN_A RUN_B``: what changed between two evaluation runs (``eval --out``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ..files import write_text_atomic
from .common import Command
from .eval_commands import format_table


def _signed(v: float | None) -> str:
    return "n/a" if v is None else f"{v:+.3f}"


def _answer(x: dict[str, Any]) -> str:
    text = "(declined)" if x["answer"] is None else " ".join(str(x["answer"]).split())
    text = text if len(text) <= 90 else text[:89] + "…"
    return f"{text}  [conf {x['confidence']:.3f}]"


@click.command("compare", cls=Command)
@click.argument("run_a", type=click.Path(exists=True, path_type=Path))
@click.argument("run_b", type=click.Path(exists=True, path_type=Path))
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the comparison as a self-contained HTML page.")
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object on stdout.")
def compare_command(run_a: Path, run_b: Path, html_path: Path | None, as_json: bool) -> None:
    """Compare two evaluation runs on the same questions: each figure's difference with its paired
    bootstrap 95% interval, and the questions that flipped each way.

    RUN_A and RUN_B are directories written by `colnato-qa eval GOLD --out DIR` (or their run.json).

    \b
    Example:
        colnato-qa eval corpus/gold/natural/dev.jsonl --out runs/a
        COLNATO_QA_TOP_K=1 colnato-qa eval corpus/gold/natural/dev.jsonl --out runs/b
        colnato-qa compare runs/a runs/b --html runs/a-vs-b.html
    """
    # Imported here, not with the CLI: evaluation's metrics import scikit-learn (~1 s), which no
    # other command (serve above all: issue #19's start-up) should pay for.
    from ..evaluation.compare import compare_runs, load_run, render_compare_html

    c = compare_runs(load_run(run_a), load_run(run_b))
    if html_path is not None:
        write_text_atomic(html_path, render_compare_html(c))
        c["html"] = str(html_path)
    if as_json:
        click.echo(json.dumps(c, ensure_ascii=False))
        return
    click.echo(f"A: {c['a']['label']}  ({c['a']['path']})")
    click.echo(f"B: {c['b']['label']}  ({c['b']['path']})")
    click.echo(f"{c['n']} questions in both runs")
    for note in c["notes"]:
        click.echo(f"note: {note}")
    if c["settings_changed"]:
        click.echo("settings that differ: " + "; ".join(f"{k} {a} -> {b}" for k, (a, b) in c["settings_changed"].items()))
    else:
        click.echo("settings that differ: none")
    click.echo("")
    rows = [[name, f["a"], f["b"], _signed(f["delta"]),
             "n/a" if f["interval"] is None else f"[{f['interval'][0]:+.3f}, {f['interval'][1]:+.3f}]"]
            for name, f in c["figures"].items()]
    click.echo(format_table(["figure", "A", "B", "B - A", "95% interval (paired bootstrap)"], rows))
    for key, title in (("gained", "right in B, wrong in A"), ("lost", "right in A, wrong in B")):
        click.echo("")
        click.echo(f"{title} ({len(c[key])}):")
        for q in c[key]:
            click.echo(f"  {q['id']}  {q['question']}\n        A: {_answer(q['a'])}\n        B: {_answer(q['b'])}")
    if html_path is not None:
        click.echo("")
        click.echo(f"wrote {html_path}")
