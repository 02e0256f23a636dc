"""``colnato-qa fit``: fit the query adapter and the answerability model on gold questions; write them to config/."""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

import click

from ..components.answerability import FEATURE_SCHEMA, AnswerabilityModel
from ..components.query_adapter import ADAPTER_SCHEMA, QueryAdapter
from ..components.question_bank import QuestionBank
from ..evaluation.fitting import (
    ADAPTER_LEARNING_RATE,
    ADAPTER_PENALTY,
    ADAPTER_STEPS,
    ADAPTER_TEMPERATURE,
    BANK_WEIGHTS,
    FitRow,
    HeldOutAdapters,
    asked_as_read,
    bank_entries,
    crossfit_feature_rows,
    evidence_hit_rate,
    make_question_bank,
    feature_rows,
    fit_answerability,
    fit_query_adapter,
)
from ..evaluation.encoder_folds import HeldOutEncoders, training_record
from ..evaluation.gold import check_evidence, read_gold_sets
from ..files import file_sha256, write_text_atomic
from ..settings import PROJECT_ROOT
from . import common
from .common import Command, engine_options, refuse_unused


@click.command("fit", cls=Command)
@click.argument("gold", nargs=-1, required=True)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the model (default: the answerability_model setting, config/answerability.json).")
@click.option("--adapter-out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the query adapter (default: the query_adapter setting, config/query_adapter.npz).")
@click.option("--no-adapter", is_flag=True, help="Fit no query adapter: questions are searched with the encoder's own vectors.")
@click.option("--no-bank", is_flag=True, help="Make no question bank: sentences are chosen without matching training questions.")
@click.option("--bank-out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the question bank (default: the question_bank setting, config/question_bank.npz).")
@click.option("--adapter-features", type=click.Choice(["cross-fitted", "in-sample"]), default="cross-fitted",
              show_default=True,
              help="How the answerability model sees the adapter's features on the training questions: from an "
                   "adapter fitted without each question's fold (as on new questions), or from the adapter itself.")
@click.option("--encoder-features", type=click.Choice(["cross-fitted", "in-sample"]), default="cross-fitted",
              show_default=True,
              help="When the encoder was fine-tuned on these questions (the shipped one was: its training.json): read "
                   "each fold's features with an encoder fine-tuned without that fold (as new questions are read; "
                   "five trainings of about a minute, kept under INDEX/fold-encoders/), or with the encoder itself. "
                   "Cross-fitted, the adapter is cross-fitted too.")
@click.option("--folds", type=click.IntRange(2, 20), default=5, show_default=True,
              help="Cross-validation folds for choosing the regularisation strength.")
@click.option("--write", is_flag=True,
              help="Write the model, the adapter and the bank (default: print the model only).")
@engine_options
@click.pass_context
def fit_command(ctx: click.Context, gold: tuple[str, ...], out: Path | None, adapter_out: Path | None,
                no_adapter: bool, no_bank: bool, bank_out: Path | None, adapter_features: str, encoder_features: str,
                folds: int, write: bool,
                corpus: Path | None,
                index: Path | None, config: Path | None) -> None:
    """Fit the query adapter and the answerability model on gold questions; print the model, and with
    --write write them to config/ (or --out, --adapter-out, --bank-out).

    GOLD is a gold file, optionally with :SPLIT to take one split of it. First the query adapter:
    a linear map, near the identity, that moves each answerable question toward its evidence
    sentences, and a "no answer" option the unanswerable ones are moved toward (questions asked on
    their own only). Then the engine, with that adapter, answers
    every question without abstaining; each chosen sentence's features and whether it holds a gold
    answer train a logistic model (scikit-learn, strength chosen by cross-validation). The question
    bank's weight in choosing the sentence (1, 0.5 or 0) is the one whose cross-fitted choices hold
    the evidence most often; a few questions a sentence can mislead more than they help. The files
    record what they were fitted on. Then choose the threshold with `colnato-qa calibrate` on dev
    questions.

    \b
    Example:
        colnato-qa fit corpus/gold/natural/train.jsonl corpus/gold/colnato_gold.jsonl:dev
        colnato-qa fit corpus/gold/natural/train.jsonl corpus/gold/colnato_gold.jsonl:dev --write
    """
    if not write:
        refuse_unused(ctx, "without --write", "out", "adapter_out", "bank_out")
    if no_adapter:
        refuse_unused(ctx, "with --no-adapter", "adapter_out")
    if no_bank:
        refuse_unused(ctx, "with --no-bank", "bank_out")
    sets = read_gold_sets(gold)
    engine = common.load_engine(corpus, index, config, answerability=AnswerabilityModel.neutral(),
                                query_adapter=QueryAdapter.identity(), question_bank=QuestionBank.empty())
    for gold_set in sets:
        check_evidence(gold_set.items, [d.text for d in engine.documents])
    fitted_on = [{"gold": spec, "sha256": file_sha256(gold_set.path), "questions": len(gold_set.items)}
                 for spec, gold_set in zip(gold, sets)]
    items = [it for gold_set in sets for it in gold_set.items]
    # The training questions' encoder vectors, read once for the adapter and the bank.
    asked = asked_as_read(engine, items) if not (no_adapter and no_bank) else None
    adapter = QueryAdapter.identity()
    adapter_without = None
    if not no_adapter:
        held_out = HeldOutAdapters(engine, items, asked)
        examples = held_out.examples
        fitted_adapter = fit_query_adapter(examples, *held_out.matrices)
        adapter_without = held_out.run if adapter_features == "cross-fitted" else None
        manifest = engine.manifest
        adapter = QueryAdapter(fitted_adapter.matrix, null_vector=fitted_adapter.null_vector,
                               null_bias=fitted_adapter.null_bias, meta={
            "schema": ADAPTER_SCHEMA, "corpus_hash": manifest.get("corpus_hash"),
            "model_fingerprint": manifest.get("model_fingerprint"), "fitted_on": fitted_on,
            "examples": len(examples), "unanswerable_examples": sum(1 for e in examples if not e.targets),
            "penalty": ADAPTER_PENALTY, "temperature": ADAPTER_TEMPERATURE,
            "steps": ADAPTER_STEPS, "learning_rate": ADAPTER_LEARNING_RATE,
            "date": _dt.date.today().isoformat()})
        click.echo(f"query adapter: fitted on {len(examples)} questions", err=True)
    encoder_without, trained_on_them = None, False
    if training_record(engine.embedder.model_location) is not None:
        held_out_encoders = HeldOutEncoders(engine, PROJECT_ROOT or Path.cwd())
        trained_on_them = bool(held_out_encoders.trained_ids & {it.id for it in items})
        if trained_on_them and encoder_features == "cross-fitted":
            encoder_without = held_out_encoders.run
            click.echo("encoder features: cross-fitted (an encoder fine-tuned without each fold)", err=True)
    engine = engine.variant(query_adapter=adapter)
    bank = QuestionBank.empty()
    if no_bank and encoder_without is None:
        rows: list[FitRow] = [row for gold_set in sets for row in feature_rows(engine, gold_set.items)]
    elif no_bank:
        rows = crossfit_feature_rows(engine, items, bank, [], folds=folds, encoder_without=encoder_without,
                                     adapter=not no_adapter)
    else:
        entries = bank_entries(engine, items, asked)
        manifest = engine.manifest
        bank = make_question_bank(entries, {
            "corpus_hash": manifest.get("corpus_hash"), "model_fingerprint": manifest.get("model_fingerprint"),
            "fitted_on": fitted_on, "date": _dt.date.today().isoformat()})
        click.echo(f"question bank: {len(bank)} entries", err=True)
        # Each question's features come from a bank and an adapter without its own fold: as on unseen questions.
        # The selector's weight on the bank's votes is chosen the same way: the weight whose cross-fitted
        # choices hold the evidence for the most answerable questions (ties to the larger weight).
        rows_by_weight = {w: crossfit_feature_rows(engine, items, bank.with_selector_weight(w), entries, folds=folds,
                                                   adapter_without=adapter_without, encoder_without=encoder_without,
                                                   adapter=not no_adapter)
                          for w in BANK_WEIGHTS}
        hits = {w: evidence_hit_rate(rows) for w, rows in rows_by_weight.items()}
        chosen = max(BANK_WEIGHTS, key=lambda w: (round(hits[w], 4), w))
        bank, rows = bank.with_selector_weight(chosen), rows_by_weight[chosen]
        click.echo(f"question bank: its votes weigh {chosen} in choosing the sentence (evidence chosen, "
                   f"cross-fitted: " + ", ".join(f"{w}: {hits[w]:.3f}" for w in BANK_WEIGHTS) + ")", err=True)
    fitted = fit_answerability(rows, folds=folds)
    fitted["fitted_on"] = fitted_on
    fitted["query_adapter"] = not no_adapter
    if not no_adapter:
        fitted["adapter_features"] = adapter_features
    fitted["encoder_features"] = (encoder_features if trained_on_them else "the encoder was not fine-tuned on them")
    fitted["question_bank"] = not no_bank
    if not no_bank:
        fitted["bank_selector_weight"] = bank.selector_weight
    fitted["date"] = _dt.date.today().isoformat()
    target = out or engine.settings.answerability_model
    adapter_target = adapter_out or engine.settings.query_adapter
    bank_target = bank_out or engine.settings.question_bank
    text = json.dumps(fitted, indent=2, ensure_ascii=False) + "\n"
    if write:
        for path in (target, adapter_target, bank_target):   # a config of its own may name a new folder
            if path is not None:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(Path(target), text)
        if not no_adapter and adapter_target is not None:
            adapter.save(adapter_target)
        if not no_bank and bank_target is not None:
            bank.save(bank_target)
    click.echo(text.rstrip())
    written = "nothing written (add --write to write it)" if not write else f"wrote {target}" + (
        "" if no_adapter or adapter_target is None else f" and {adapter_target}") + (
        "" if no_bank or bank_target is None else f" and {bank_target}")
    click.echo(f"schema {FEATURE_SCHEMA}: {written}", err=True)
