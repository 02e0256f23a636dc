"""``colnato-qa fit``: fit the answerability model on gold questions and write it to config/."""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

import click

from ..components.answerability import FEATURE_SCHEMA, AnswerabilityModel
from ..evaluation.fitting import FitRow, feature_rows, file_sha256, fit_answerability
from ..evaluation.gold import check_evidence
from ..files import write_text_atomic
from . import common
from .common import clean_errors, engine_options, read_gold_specs


@click.command("fit")
@click.argument("gold", nargs=-1, required=True)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the model (default: the answerability_model setting, config/answerability.json).")
@click.option("--folds", type=click.IntRange(2, 20), default=5, show_default=True,
              help="Cross-validation folds for choosing the regularisation strength.")
@click.option("--dry-run", is_flag=True, help="Print the fitted model without writing it.")
@engine_options
def fit_command(gold: tuple[str, ...], out: Path | None, folds: int, dry_run: bool,
                corpus: Path | None, index: Path | None, config: Path | None) -> None:
    """Fit the answerability model (the confidence) on gold questions and write it to config/.

    GOLD is a gold file, optionally with :SPLIT to take one split of it. The engine answers every
    question without abstaining; each chosen sentence's features and whether it holds a gold
    answer train a logistic model (scikit-learn, strength chosen by cross-validation). The file
    records the feature schema and the hash of every gold file it was fitted on. Then choose the
    threshold with `colnato-qa calibrate` on dev questions.

    \b
    Example:
        colnato-qa fit corpus/gold/natural/train.jsonl corpus/gold/colnato_gold.jsonl:dev
    """
    with clean_errors():
        sets = read_gold_specs(gold)
        engine = common.load_engine(corpus, index, config, answerability=AnswerabilityModel.neutral())
        rows: list[FitRow] = []
        for gold_set in sets:
            check_evidence(gold_set.items, [d.text for d in engine.documents])
            rows += feature_rows(engine, gold_set.items)
        fitted = fit_answerability(rows, folds=folds)
        fitted["fitted_on"] = [{"gold": spec, "sha256": file_sha256(gold_set.path), "questions": len(gold_set.items)}
                               for spec, gold_set in zip(gold, sets)]
        fitted["date"] = _dt.date.today().isoformat()
        target = out or engine.settings.answerability_model
        text = json.dumps(fitted, indent=2, ensure_ascii=False) + "\n"
        if not dry_run:
            write_text_atomic(Path(target), text)
    click.echo(text.rstrip())
    click.echo(f"schema {FEATURE_SCHEMA}: {'dry run, nothing written' if dry_run else f'wrote {target}'}", err=True)
