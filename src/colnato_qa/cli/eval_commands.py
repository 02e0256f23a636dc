"""The ``eval`` and ``calibrate`` commands (registered on the ``colnato-qa`` group in cli/__init__.py)."""

from __future__ import annotations

import datetime as _dt
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from . import common
from .common import Command, configure_logging, engine_options, stdout_to_stderr
from ..evaluation.calibration import CalibrationResult, calibrate, records_from_results
from ..evaluation.baseline import read_baseline, rewrite_hint, write_baseline
from ..evaluation.gold import GoldItem, check_evidence, parse_gold_spec, read_gold_sets
from ..evaluation.intervals import SMALL_SET, figure_intervals, one_question
from ..evaluation.metrics import (
    ANSWER_FIELDS, DEFAULT_NORMALIZATION, HEADLINE_KEYS, NORMALIZATION_WHY, NORMALIZATIONS,
)
from ..evaluation.runner import (
    COMPARE_VARIANTS, EvalRun, check_threshold_consistency, evaluate, looks_minimal, never_abstaining_run,
    squad_predictions,
)
from ..files import write_text_atomic

log = logging.getLogger("colnato_qa.eval")


# -- helpers ---------------------------------------------------------------------------------------
def _check_against_corpus(engine: Any, items: Sequence[GoldItem]) -> None:
    check_evidence(items, [d.text for d in engine.documents])


def _verbose(verbose: bool) -> None:
    if verbose:
        configure_logging(logging.INFO)


def _fmt(v: Any) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.3f}" if abs(v) < 10 else f"{v:.1f}"
    return str(v)


def format_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in header]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = []
    for n, r in enumerate(cells):
        lines.append("  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r)))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


# -- eval -----------------------------------------------------------------------------------
def _variant_label(label: str, changes: dict[str, Any], settings: Any) -> str | None:
    """None when the variant is the engine's own configuration (it is the default column)."""
    same = all(getattr(settings, k, None) == v for k, v in changes.items())
    return None if same else label


def _run_eval(engine: Any, items: Sequence[GoldItem], by: Sequence[str], do_compare: bool,
              scoring: dict[str, str]) -> list[EvalRun]:
    s = engine.settings
    log.info("evaluating %d questions", len(items))
    runs = [evaluate(engine, items, by=by, **scoring)]
    if do_compare:
        for label, changes in COMPARE_VARIANTS:
            if _variant_label(label, changes, s) is None:
                continue
            log.info("evaluating variant %s", label)
            runs.append(evaluate(engine.variant(**changes), items, by=by, label=label, **scoring))
    return runs


@click.command("eval", cls=Command)
@click.argument("gold", metavar="GOLD[:SPLIT]")
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object on stdout.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Write report.html, results.jsonl, results.csv and run.json (for colnato-qa compare) into "
                   "this directory.")
@click.option("--by", "by", multiple=True, metavar="FIELD",
              help="Break the metrics down by a gold field (type, split, answerable or any extra key). Repeatable.")
@click.option("--compare", is_flag=True,
              help="Also run the ablations (dense, bm25, hybrid, passage answers) side by side.")
@click.option("--split", type=click.Choice(["dev", "test"]), default=None,
              help="Only the questions of this split (default: all).")
@click.option("--baseline", "baseline", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Fail (exit 1) when answer_recall, citation_at_1 or abstain_recall falls more than the "
                   "file's tolerance below its figures (the project's: config/eval_baseline.json).")
@click.option("--write-baseline", "write_to", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write these figures as a baseline file (the project's: make eval-baseline).")
@click.option("--answer", "answer_field", type=click.Choice(ANSWER_FIELDS), default=None,
              help="What exact match and F1 score: the short answer (the sentence when there is none) or the "
                   "quoted sentence. Default: short when the gold answers look like minimal spans (median at "
                   "most 6 words), else sentence; the report says which.")
@click.option("--normalize", type=click.Choice(NORMALIZATIONS), default=DEFAULT_NORMALIZATION, show_default=True,
              help="official: exactly the official SQuAD v2.0 script (ASCII punctuation); unicode (the "
                   "default): also drop Unicode punctuation (curly quotes, dashes), which the article is "
                   "typeset with. docs/evaluation.md shows the difference.")
@click.option("--squad-predictions", "preds_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the official prediction file: {id: answer text, \"\" when declined}.")
@click.option("--na-probs", "na_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the official no-answer probability file: {id: 1 - confidence}.")
@engine_options
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
@click.pass_context
def eval_command(ctx: click.Context, gold: str, as_json: bool, out_dir: str | None, by: tuple[str, ...], compare: bool,
                 split: str | None, baseline: Path | None, write_to: Path | None, answer_field: str | None,
                 normalize: str, preds_path: Path | None, na_path: Path | None, corpus: Path | None,
                 index: Path | None, config: Path | None, verbose: bool) -> None:
    """Evaluate the engine on a gold question file: JSONL, CSV/TSV, SQuAD v1.1/v2.0 JSON or Hugging
    Face datasets records (told apart by content). GOLD:SPLIT is GOLD --split SPLIT.

    \b
    Example:
        colnato-qa eval corpus/gold/colnato_gold.jsonl --split dev --compare
        colnato-qa eval my_questions.csv --out runs/a
        colnato-qa compare runs/a runs/b
        colnato-qa eval corpus/gold/colnato_gold.jsonl --by type --out reports/eval --json
        colnato-qa eval corpus/gold/colnato_gold.jsonl --split test --baseline config/eval_baseline.json
        colnato-qa eval corpus/gold/squad_v2.json --split test --answer short --normalize official \\
            --squad-predictions preds.json --na-probs na_probs.json
    """
    _verbose(verbose)
    if split is not None and parse_gold_spec(gold)[1] is not None:
        raise click.UsageError(f"{gold} names its split already; leave out --split {split}.", ctx)
    gate = read_baseline(baseline) if baseline is not None else None
    gold_set = read_gold_sets([gold], default_split=split)[0]
    items, gold, split = gold_set.items, str(gold_set.path), (None if gold_set.split == "all" else gold_set.split)
    by = list(dict.fromkeys(by))
    if answer_field is None:
        answer_field = "short" if looks_minimal(items) else "sentence"
    scoring = {"answer_field": answer_field, "normalize": normalize}
    with stdout_to_stderr(as_json):
        engine = common.load_engine(corpus, index, config)
        _check_against_corpus(engine, items)
        runs = _run_eval(engine, items, by, compare, scoring)
        preds, na_probs = squad_predictions(runs[0].results)
        for path, content in ((preds_path, preds), (na_path, na_probs)):
            if path is not None:
                write_text_atomic(path, json.dumps(content, ensure_ascii=False, indent=1) + "\n")
        threshold = float(getattr(engine, "abstain_threshold", engine.settings.abstain_threshold))
        paths: dict[str, Path] = {}
        if out_dir is not None:
            from ..evaluation.report import write_outputs

            zero = never_abstaining_run(engine, items)
            bad = check_threshold_consistency(runs[0].results, zero, threshold)
            if bad:
                log.warning("abstained != (confidence < threshold) for %s", ", ".join(bad))
            paths = write_outputs(out_dir, runs, items, by=by, threshold=threshold,
                                  curve_records=records_from_results(zero), gold_path=gold, split=split,
                                  scoring=scoring)

    main = runs[0]
    paths.update({name: path for name, path in (("squad_predictions", preds_path), ("na_probs", na_path)) if path})
    _report(main, gold, split, as_json, compare, runs, threshold, paths, by, scoring)
    if write_to is not None:
        click.echo(f"wrote baseline {write_baseline(write_to, main.metrics, gold, split)}", err=True)
    if gate is not None:
        failed = gate.regressions(main.metrics)
        if failed:
            raise click.ClickException(f"evaluation gate ({baseline}): " + "; ".join(failed) +
                                       f". Fix the regression, or if it is intended, {rewrite_hint(baseline, gold, split)}.")


def _report(main: EvalRun, gold: str, split: str | None, as_json: bool, compare: bool, runs: list[EvalRun],
            threshold: float, paths: dict[str, Path], by: Sequence[str], scoring: dict[str, str]) -> None:
    intervals = figure_intervals(main.results)
    moves = one_question(main.results)
    if as_json:
        payload: dict[str, Any] = dict(main.metrics)
        payload.update({
            "gold": gold, "split": split, "label": main.label, "settings": main.settings,
            "answer_field": scoring["answer_field"], "normalize": scoring["normalize"],
            "normalize_why": NORMALIZATION_WHY[scoring["normalize"]],
            "intervals": intervals, "one_question": moves,
            "threshold": threshold,
            "compare": {r.label: r.metrics for r in runs} if compare else None,
            "outputs": {k: str(v) for k, v in paths.items()} or None,
            "results": [r.to_dict() for r in main.results],
        })
        click.echo(json.dumps(payload, ensure_ascii=False, default=str))
        return

    click.echo(f"gold: {gold}   split: {split or 'all'}   questions: {main.metrics['n']} "
               f"({main.metrics['answerable']} answerable, {main.metrics['unanswerable']} unanswerable)   "
               f"abstain threshold: {threshold:.3f}")
    click.echo(f"scored: {scoring['answer_field']} answers, {scoring['normalize']} normalization "
               f"({NORMALIZATION_WHY[scoring['normalize']]})")
    click.echo("")
    keys = [k for k in HEADLINE_KEYS if k not in ("n", "answerable", "unanswerable")]
    ci = [_interval_text(intervals.get(k)) for k in keys]
    click.echo(format_table(["metric"] + [r.label for r in runs] + ["95% interval"],
                            [[k] + [r.metrics.get(k) for r in runs] + [c] for k, c in zip(keys, ci)]))
    click.echo("95% interval: bootstrap over the questions (of the first column).")
    if main.metrics["n"] < SMALL_SET:
        click.echo(f"Only {main.metrics['n']} questions: one question moves " +
                   ", ".join(f"{k} by {v:.3f}" for k, v in moves.items() if v is not None) + ".")
    for name in by:
        groups = main.metrics.get(f"by_{name}", {})
        click.echo("")
        cols = ["n", "answer_recall", "hit_rate", "exact_match", "f1", "citation_at_1", "mrr", "abstained"]
        click.echo(format_table([f"by {name}"] + cols, [[g] + [m.get(c) for c in cols] for g, m in groups.items()]))
    misses = [r for r in main.results if not r.hit]
    if misses:
        click.echo("")
        click.echo(f"missed ({len(misses)}):")
        for r in misses:
            got = "(abstained)" if r.abstained else r.prediction
            gold_s = " | ".join(r.gold_answers) if r.gold_answers else "(unanswerable)"
            click.echo(f"  {r.id}  {r.question}\n        gold: {_short(gold_s)}\n        got:  {_short(str(got))}  "
                       f"[conf {r.confidence:.3f}, cited ¶{_fmt(r.cited_paragraph)}]")
    if paths:
        click.echo("")
        click.echo("wrote " + ", ".join(str(p) for p in paths.values()))


def _interval_text(interval: list[float] | None) -> str:
    return "" if interval is None else f"[{interval[0]:.3f}, {interval[1]:.3f}]"


def _short(s: str, n: int = 110) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1] + "…"


# -- calibrate --------------------------------------------------------------------------------
def _describe_calibration(res: CalibrationResult) -> str:
    lines = [f"chosen abstain_threshold: {res.threshold:.4f}   objective: {res.objective}"]
    h = res.heldout
    if h.get("accuracy") is not None:
        lines.append(f"held-out ({h['k']}-fold cross-validation, n={h['n']}): accuracy {_fmt(h['accuracy'])}, "
                     f"precision {_fmt(h['precision'])}, coverage {_fmt(h['coverage'])}, "
                     f"answer_recall {_fmt(h['answer_recall'])}")
    s = res.in_sample
    lines.append(f"in-sample at {res.threshold:.4f}: accuracy {_fmt(s.accuracy)}, precision {_fmt(s.precision)}, "
                 f"coverage {_fmt(s.coverage)}, answer_recall {_fmt(s.answer_recall)}")
    if res.previous is not None:
        p = res.previous
        lines.append(f"previous threshold {res.previous_threshold:.4f}: accuracy {_fmt(p.accuracy)}, "
                     f"precision {_fmt(p.precision)}, coverage {_fmt(p.coverage)}, answer_recall {_fmt(p.answer_recall)}")
    if res.folds:
        lines.append("folds: " + "; ".join(f"{f['fold']}: t={f['threshold']:.4f} acc={_fmt(f['accuracy'])}"
                                           for f in res.folds))
    lines.extend(f"note: {n}" for n in res.notes)
    return "\n".join(lines)


@click.command("calibrate", cls=Command)
@click.argument("gold", nargs=-1, required=True)
@click.option("--precision", "target", type=click.FloatRange(0.0, 1.0, min_open=True), default=None,
              help="Choose the lowest threshold whose precision on answered questions reaches P "
                   "(default: the threshold of best answer/abstain accuracy).")
@click.option("--split", type=click.Choice(["dev", "test", "all"]), default=None,
              help="Questions to calibrate on (default: dev when the file has splits, else all).")
@click.option("--folds", "k", type=click.IntRange(2, 50), default=5, show_default=True,
              help="Cross-validation folds for the held-out figures (fewer if there are fewer questions).")
@click.option("--write", is_flag=True,
              help="Write the threshold and its calibration record to the config file (default: print only).")
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object on stdout.")
@engine_options
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
def calibrate_command(gold: tuple[str, ...], target: float | None, split: str | None, k: int, write: bool,
                      as_json: bool, corpus: Path | None, index: Path | None, config: Path | None,
                      verbose: bool) -> None:
    """Choose the abstention threshold on gold questions; print it, and with --write write it to the
    config (config/colnato_qa.json, or --config FILE).

    GOLD is one or more gold files, each optionally with :SPLIT (which wins over --split).

    Runs the engine once with threshold 0 (it never abstains), then picks the threshold of best
    answer/abstain accuracy (or, with --precision, the lowest one reaching that precision),
    reporting k-fold cross-validated figures.

    \b
    Example:
        colnato-qa calibrate corpus/gold/natural/dev.jsonl corpus/gold/colnato_gold.jsonl:dev
        colnato-qa calibrate corpus/gold/natural/dev.jsonl corpus/gold/colnato_gold.jsonl:dev --write
        colnato-qa calibrate corpus/gold/colnato_gold.jsonl --precision 0.9
    """
    from ..settings import update_config

    _verbose(verbose)
    sets = read_gold_sets(gold, default_split=split, prefer_dev=True)
    items: list[GoldItem] = [it for gold_set in sets for it in gold_set.items]
    gold_label = " ".join(gold_set.label for gold_set in sets)
    split = ",".join(sorted({gold_set.split for gold_set in sets}))
    with stdout_to_stderr(as_json):
        engine = common.load_engine(corpus, index, config)
        _check_against_corpus(engine, items)
        previous = float(engine.settings.abstain_threshold)
        results = never_abstaining_run(engine, items)
    res = calibrate(records_from_results(results), target_precision=target, k=k, previous_threshold=previous)
    written: Path | None = None
    if write:
        written = update_config(config, abstain_threshold=round(res.threshold, 6), calibration={
            "gold": gold_label, "split": split, "n": len(items), "objective": res.objective,
            "threshold": round(res.threshold, 6), "heldout": res.heldout,
            "in_sample": res.in_sample.to_dict(), "date": _dt.date.today().isoformat(),
        })

    if as_json:
        payload = res.to_dict()
        payload.update({"gold": gold_label, "split": split, "n": len(items), "written": str(written) if written else None})
        click.echo(json.dumps(payload, ensure_ascii=False))
        return
    click.echo(f"calibrated on {len(items)} questions of {gold_label}")
    click.echo(_describe_calibration(res))
    click.echo(f"wrote abstain_threshold={round(res.threshold, 6)} to {written}" if written
               else "config not changed (add --write to write this threshold to it)")
