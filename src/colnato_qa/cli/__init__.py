"""The ``colnato-qa`` command line: build the index, ask questions, evaluate.

Domain errors become clean one-line errors with exit status 1, never a traceback.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from ..errors import ColnatoError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def configure_logging(verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("colnato_qa").setLevel(level)
    for noisy in ("faiss", "sentence_transformers", "bm25s", "httpx", "transformers"):
        logging.getLogger(noisy).setLevel(logging.WARNING if verbose < 2 else logging.DEBUG)


class DomainErrors(click.Group):
    """Turns ColnatoError (and a few OS errors) into click errors: message, exit 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ColnatoError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=DomainErrors, context_settings=CONTEXT)
@click.version_option(package_name="colnato-qa")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
def main(verbose: int) -> None:
    """Ask questions about the article; answers are sentences quoted from it, with citations."""
    configure_logging(verbose)


corpus_option = click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path), default=None,
                             help="Corpus directory (default: the project's corpus/).")
index_option = click.option("--index", "index_dir", type=click.Path(path_type=Path), default=None,
                            help="Index directory (default: the project's index/).")


def load_engine(corpus_dir: Path | None, index_dir: Path | None, **kwargs):
    from ..engine import QAEngine

    return QAEngine.load(corpus_dir, index_dir, **kwargs)


@main.command()
@corpus_option
@index_option
@click.option("--force", is_flag=True, help="Rebuild even when the index is up to date.")
def build(corpus_dir: Path | None, index_dir: Path | None, force: bool) -> None:
    """Build the index of the corpus (skipped when up to date).

    Example:

        colnato-qa build --force
    """
    from ..engine import QAEngine

    engine = QAEngine.build(corpus_dir, index_dir, force=force)
    m = engine.manifest
    c = m.get("counts", {})
    click.echo(f"index {engine.index_dir}: {c.get('documents')} document(s), {c.get('passages')} passages, "
               f"{c.get('sentences')} sentences, {m.get('index_type')} index, model {m.get('model')}, "
               f"built {m.get('built_at')}")


def _format_answer(d: dict) -> str:
    lines = []
    if d.get("interpreted_as"):
        lines.append(f"(read as: {d['interpreted_as']})")
    if d["abstained"]:
        lines.append(f"The article doesn't say. (confidence {d['confidence']:.2f})")
        if d["citations"]:
            lines.append("Related passages:")
            for i, c in enumerate(d["citations"][:3], 1):
                text = c["text"] if len(c["text"]) < 160 else c["text"][:157] + "..."
                lines.append(f"  [{i}] paragraph {c['paragraph']}: {text}")
        return "\n".join(lines)
    lines.append(d["answer"])
    lines.append(f"(confidence {d['confidence']:.2f})")
    for i, c in enumerate(d["citations"][:3], 1):
        where = f"paragraph {c['paragraph']}" if c["paragraph"] else "article header"
        lines.append(f"  [{i}] {c['title']}, {where}")
    return "\n".join(lines)


def read_batch(path: Path, max_chars: int) -> list[dict]:
    """Parse a JSONL batch file; every problem names its line."""
    from ..question import validate_history, validate_question

    items: list[dict] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{path} is not UTF-8 text: {exc}") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise click.ClickException(f"{path}, line {n}: not valid JSON ({exc.msg} at column {exc.colno}).") from exc
        except RecursionError:
            raise click.ClickException(f"{path}, line {n}: JSON nested too deeply.") from None
        if not isinstance(obj, dict):
            raise click.ClickException(f"{path}, line {n}: expected a JSON object with a \"question\" field.")
        if "question" not in obj:
            raise click.ClickException(f"{path}, line {n}: missing the \"question\" field.")
        try:
            validate_question(obj["question"], max_chars)
            validate_history(obj.get("history"), max_chars)
        except ColnatoError as exc:
            raise click.ClickException(f"{path}, line {n}: {exc}") from exc
        items.append(obj)
    if not items:
        raise click.ClickException(f"{path} holds no questions (one JSON object per line expected).")
    return items


@main.command()
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the answer as a JSON object.")
@click.option("--batch", "batch", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSONL file: one {\"question\", \"history\"?, ...} object a line.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="With --batch: write the answers here instead of stdout.")
@click.option("--history", "history", multiple=True, help="An earlier question (repeatable), for a follow-up.")
@corpus_option
@index_option
def ask(question: str | None, as_json: bool, batch: Path | None, out: Path | None, history: tuple[str, ...],
        corpus_dir: Path | None, index_dir: Path | None) -> None:
    """Ask one question, or a whole batch file.

    Examples:

        colnato-qa ask "When was the ITPP signed?"

        colnato-qa ask --json --history "What is the ITPP?" "When was it signed?"

        colnato-qa ask --batch questions.jsonl --out answers.jsonl
    """
    from ..settings import load_settings

    if batch is None and question is None:
        raise click.UsageError("Give a QUESTION or --batch FILE.")
    if batch is not None and question is not None:
        raise click.UsageError("Give either a QUESTION or --batch FILE, not both.")
    settings = load_settings()
    if batch is not None:
        items = read_batch(batch, settings.max_question_chars)
        engine = load_engine(corpus_dir, index_dir, settings=settings)
        answers = engine.ask_many([(it["question"], it.get("history")) for it in items])
        stream = open(out, "w", encoding="utf-8") if out else sys.stdout
        try:
            for item, answer in zip(items, answers):
                record = {k: v for k, v in item.items() if k not in ("question", "history")}
                record.update(answer.to_dict())
                stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        finally:
            if out:
                stream.close()
        if out:
            click.echo(f"wrote {len(answers)} answers to {out}", err=True)
        return
    from ..question import validate_question

    validate_question(question, settings.max_question_chars)  # fail fast, before loading the model
    engine = load_engine(corpus_dir, index_dir, settings=settings)
    answer = engine.ask(question, list(history) or None).to_dict()
    click.echo(json.dumps(answer, ensure_ascii=False, indent=2) if as_json else _format_answer(answer))


@main.command("import-page")
@click.argument("page", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@corpus_option
@click.option("--doc-id", default=None, help="Document id (default: from the title).")
def import_page_command(page: Path, corpus_dir: Path | None, doc_id: str | None) -> None:
    """Clean a scraped article page and add it to the corpus.

    Example:

        colnato-qa import-page corpus/sources/000_61c0c8e9987a0027.txt
    """
    from ..cleaning import import_page
    from ..settings import DEFAULT_CORPUS_DIR

    path = import_page(page, corpus_dir or DEFAULT_CORPUS_DIR, doc_id=doc_id, source_label=page.name)
    click.echo(f"wrote {path}")


try:  # evaluation commands live beside the evaluation package
    from .eval_commands import calibrate_command, eval_command

    main.add_command(eval_command, "eval")
    main.add_command(calibrate_command, "calibrate")
except ImportError as exc:  # pragma: no cover - only while the evaluation package is incomplete
    if "eval_commands" not in str(exc):
        raise
