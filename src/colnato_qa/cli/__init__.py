"""The ``colnato-qa`` command line: build the index, ask questions, evaluate, serve the chatbot.

One click group. Every command shares the engine options, the engine loader and the logging
set-up of ``cli/common.py``; domain errors become one-line errors with exit status 1, never a
traceback. The group sets the offline environment (``offline.py``) before any command runs.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from pathlib import Path

import click

from ..errors import ColnatoError
from ..offline import pin_offline_environment
from . import common
from .common import clean_errors, configure_logging, engine_options, verbosity_level
from .eval_commands import calibrate_command, eval_command
from .fit_command import fit_command

log = logging.getLogger("colnato_qa.cli")

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class DomainErrors(click.Group):
    """Turns ColnatoError into click errors: message, exit 1."""

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
    pin_offline_environment()
    configure_logging(verbosity_level(verbose))


@main.command()
@engine_options
@click.option("--force", is_flag=True, help="Rebuild even when the index is up to date.")
def build(corpus: Path | None, index: Path | None, config: Path | None, force: bool) -> None:
    """Build the index of the corpus (skipped when up to date).

    Example:

        colnato-qa build --force
    """
    from ..engine import QAEngine
    from ..settings import load_settings

    # QAEngine.build, not the loader: it fails (exit 1) when the index could not be written.
    engine = QAEngine.build(corpus, index, load_settings(config), force=force)
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
    lines.append(_with_short_answer(d))
    lines.append(f"(confidence {d['confidence']:.2f})")
    for i, c in enumerate(d["citations"][:3], 1):
        where = f"paragraph {c['paragraph']}" if c["paragraph"] else "article header"
        lines.append(f"  [{i}] {c['title']}, {where}")
    return "\n".join(lines)


def _with_short_answer(d: dict) -> str:
    """The quoted answer with its short answer in bold (on a terminal; plain text elsewhere)."""
    short, cite = d.get("short_answer"), (d.get("citations") or [{}])[0]
    start = cite.get("answer_start")
    if not short or start is None or not (start <= short["start"] and short["end"] <= cite.get("answer_end", -1)):
        return d["answer"]
    a, b = short["start"] - start, short["end"] - start
    text = d["answer"]
    return text[:a] + click.style(text[a:b], bold=True) + text[b:]


def read_batch(path: Path, settings) -> list[dict]:
    """Parse a JSONL batch file, each line checked against AskRequest; every problem names its line."""
    from ..request import AskRequest

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
            AskRequest.parse(obj["question"], obj.get("history"), max_question_chars=settings.max_question_chars,
                             max_history_turns=settings.max_history_turns)
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
@engine_options
def ask(question: str | None, as_json: bool, batch: Path | None, out: Path | None, history: tuple[str, ...],
        corpus: Path | None, index: Path | None, config: Path | None) -> None:
    """Ask one question, or a whole batch file.

    Examples:

        colnato-qa ask "When was the ITPP signed?"

        colnato-qa ask --json --history "What is the ITPP?" "When was it signed?"

        colnato-qa ask --batch questions.jsonl --out answers.jsonl
    """
    from ..request import AskRequest
    from ..settings import load_settings

    if batch is None and question is None:
        raise click.UsageError("Give a QUESTION or --batch FILE.")
    if batch is not None and question is not None:
        raise click.UsageError("Give either a QUESTION or --batch FILE, not both.")
    settings = load_settings(config)
    if batch is not None:
        items = read_batch(batch, settings)
        engine = common.load_engine(corpus, index, settings=settings)
        answers = engine.ask_many([(it["question"], it.get("history")) for it in items])
        with clean_errors(), (open(out, "w", encoding="utf-8") if out else contextlib.nullcontext(sys.stdout)) as stream:
            for item, answer in zip(items, answers):
                record = {k: v for k, v in item.items() if k not in ("question", "history")}
                record.update(answer.to_dict())
                stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        if out:
            click.echo(f"wrote {len(answers)} answers to {out}", err=True)
        return
    # Fail fast, before loading the model.
    AskRequest.parse(question, list(history), max_question_chars=settings.max_question_chars,
                     max_history_turns=settings.max_history_turns)
    engine = common.load_engine(corpus, index, settings=settings)
    answer = engine.ask(question, list(history) or None).to_dict()
    click.echo(json.dumps(answer, ensure_ascii=False, indent=2) if as_json else _format_answer(answer))


@main.command("import-page")
@click.argument("page", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--corpus", "corpus", type=click.Path(path_type=Path), default=None,
              help="Corpus directory (default: the source checkout's corpus/; required for an installed package).")
@click.option("--doc-id", default=None, help="Document id (default: from the title).")
def import_page_command(page: Path, corpus: Path | None, doc_id: str | None) -> None:
    """Clean a scraped article page and add it to the corpus.

    Example:

        colnato-qa import-page corpus/sources/000_61c0c8e9987a0027.txt
    """
    from ..cleaning import import_page
    from ..settings import DEFAULT_CORPUS_DIR, source_checkout

    if corpus is None and source_checkout() is None:
        raise click.UsageError("Give --corpus DIR: the article shipped inside the installed package is not "
                               "changed. Then ask with the same --corpus DIR.")
    with clean_errors():
        path = import_page(page, corpus or DEFAULT_CORPUS_DIR, doc_id=doc_id, source_label=page.name)
    click.echo(f"wrote {path}")


@main.command()
@click.option("--host", default=None, help="Interface to listen on (default: the host setting, "
                                           "$COLNATO_QA_HOST, else 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port to listen on (default: the port setting, $COLNATO_QA_PORT, else 7860).")
@click.option("--log-level", type=click.Choice(["critical", "error", "warning", "info", "debug"]), default="info",
              show_default=True, help="colnato-qa's and uvicorn's log level (other libraries log warnings).")
@engine_options
def serve(host: str | None, port: int | None, log_level: str, corpus: Path | None, index: Path | None,
          config: Path | None) -> None:
    """Serve the chat page at /, the HTTP API at /api/ask and health at /healthz.

    Example:

        colnato-qa serve --host 0.0.0.0 --port 7860
    """
    import time

    from ..settings import load_settings

    configure_logging(log_level, timestamps=True)
    settings = load_settings(config)
    from ..web.security import OriginError, parse_allowed_origins

    try:  # a bad origin stops the server before the model is loaded
        origins = parse_allowed_origins(settings.allowed_origins)
    except OriginError as exc:
        raise click.ClickException(str(exc)) from None
    started = time.perf_counter()
    engine = common.load_engine(corpus, index, settings=settings)
    from ..web.server import create_app, serve as run_server

    app = create_app(engine, allowed_origins=origins, settings=settings, chat="background")
    log.info("API ready in %.1f s (the chat page is mounted once built)", time.perf_counter() - started)
    run_server(app, host or settings.host, settings.port if port is None else port, log_level)


main.add_command(eval_command, "eval")
main.add_command(calibrate_command, "calibrate")
main.add_command(fit_command, "fit")
