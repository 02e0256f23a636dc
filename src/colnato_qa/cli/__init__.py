"""The ``colnato-qa`` command line: build the index, ask questions, evaluate, serve the chatbot.

One click group. Every command shares the engine options, the engine loader, the logging set-up
and the one error boundary of ``cli/common.py`` (every error one line on stderr, exit status 1,
never a traceback). The group sets the offline environment (``offline.py``) before any command runs.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import sys
from pathlib import Path

import click

from ..components.verdict import VERDICTS
from ..errors import ColnatoError
from ..offline import pin_offline_environment
from . import common
from .batch import MAX_LINE_BYTES, answer_batches, read_batches
from .common import Command, Group, configure_logging, engine_options, refuse_unused, verbosity_level

log = logging.getLogger("colnato_qa.cli")

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
# Imported when run (cli/common.Group): evaluation and fitting import scikit-learn.
LAZY_COMMANDS = {
    "eval": "colnato_qa.cli.eval_commands:eval_command",
    "calibrate": "colnato_qa.cli.eval_commands:calibrate_command",
    "fit": "colnato_qa.cli.fit_command:fit_command",
    "compare": "colnato_qa.cli.compare_command:compare_command",
}


@click.group(cls=Group, context_settings=CONTEXT, lazy_commands=LAZY_COMMANDS)
@click.version_option(package_name="colnato-qa")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debug).")
def main(verbose: int) -> None:
    """Ask questions about the article; answers are sentences quoted from it, with citations."""
    pin_offline_environment()
    configure_logging(verbosity_level(verbose))


@main.command(cls=Command)
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
    notice = common.unfitted_notice(engine, corpus, index)
    if notice:
        click.echo(notice)


def _format_answer(d: dict) -> str:
    lines = []
    if d.get("interpreted_as"):
        lines.append(f"(read as: {d['interpreted_as']})")
    if d["abstained"] and d.get("reply"):
        # The engine's own reply (a question not in English: said in its language; "which one do you mean?").
        lines.append(d["reply"])
        lines.extend(f"  - {s}" for s in d.get("suggestions") or ())
        return "\n".join(lines)
    if d["abstained"]:
        lines.append(f"The article doesn't say. (confidence {d['confidence']:.2f})")
        if d["citations"]:
            lines.append("Related passages:")
            for i, c in enumerate(d["citations"][:3], 1):
                text = c["text"] if len(c["text"]) < 160 else c["text"][:157] + "..."
                lines.append(f"  [{i}] paragraph {c['paragraph']}: {text}")
        return "\n".join(lines)
    verdict = VERDICTS.get(str(d.get("verdict") or "").lower())
    if verdict:
        lines.append(f"{verdict}:")          # the chat page's bold Yes or No, where the quote settles it
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


@main.command(cls=Command)
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the answer as a JSON object.")
@click.option("--batch", "batch", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSONL file: one {\"question\", \"history\"?, ...} object a line (lines end at \\n; "
                   f"at most {MAX_LINE_BYTES} bytes each). Answers are written as they are ready, in order.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="With --batch: write the answers here instead of stdout.")
@click.option("--history", "history", multiple=True, help="An earlier question (repeatable), for a follow-up.")
@engine_options
@click.pass_context
def ask(ctx: click.Context, question: str | None, as_json: bool, batch: Path | None, out: Path | None,
        history: tuple[str, ...], corpus: Path | None, index: Path | None, config: Path | None) -> None:
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
    if batch is None:
        refuse_unused(ctx, "without --batch", "out")
    else:
        refuse_unused(ctx, "with --batch (it answers each line's own question and history, as JSON lines)",
                      "as_json", "history")
    settings = load_settings(config)
    if batch is not None:
        _ask_batch(batch, out, corpus, index, settings)
        return
    # Fail fast, before loading the model.
    AskRequest.parse(question, list(history), max_question_chars=settings.max_question_chars,
                     max_history_turns=settings.max_history_turns)
    engine = common.load_engine(corpus, index, settings=settings)
    answer = engine.ask(question, list(history) or None).to_dict()
    click.echo(json.dumps(answer, ensure_ascii=False, indent=2) if as_json else _format_answer(answer))


def _ask_batch(batch: Path, out: Path | None, corpus: Path | None, index: Path | None, settings) -> None:
    """Stream the answers to ``batch`` into ``out`` (stdout when None); see ``cli/batch.py``."""
    with batch.open("rb") as source:
        batches = read_batches(source, batch, settings)
        first = next(batches, None)           # a bad first group fails before the model loads
        if first is None:
            raise click.ClickException(f"{batch} holds no questions (one JSON object per line expected).")
        engine = common.load_engine(corpus, index, settings=settings)
        with (open(out, "w", encoding="utf-8") if out else contextlib.nullcontext(sys.stdout)) as stream:
            written = answer_batches(engine, itertools.chain([first], batches), stream)
    if out:
        click.echo(f"wrote {written} answers to {out}", err=True)


@main.command("import-page", cls=Command)
@click.argument("page", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--corpus", "corpus", type=click.Path(path_type=Path), default=None,
              help="Corpus directory (default: the source checkout's corpus/; required for an installed package).")
@click.option("--doc-id", default=None, help="Document id (default: from the title).")
def import_page_command(page: Path, corpus: Path | None, doc_id: str | None) -> None:
    """Clean a scraped article page and add it to the corpus (replacing the document that already
    holds the same article, if any: importing a page twice leaves one file). Any site's layout: the
    article is the longest run of paragraphs on the page; the lines it could not tell apart from the
    site's furniture (short lines inside the article, paragraphs outside it) are listed to check.

    Example:

        colnato-qa import-page corpus/sources/000_61c0c8e9987a0027.txt
        colnato-qa import-page saved-page.txt --corpus corpus/articles/my-article
    """
    from ..cleaning import describe_import, import_page, source_label
    from ..settings import DEFAULT_CORPUS_DIR, source_checkout

    if corpus is None and source_checkout() is None:
        raise click.UsageError("Give --corpus DIR: the article shipped inside the installed package is not "
                               "changed. Then ask with the same --corpus DIR.")
    corpus_dir = Path(corpus or DEFAULT_CORPUS_DIR)
    path, article = import_page(page, corpus_dir, doc_id=doc_id, source_label=source_label(page, corpus_dir))
    click.echo(f"wrote {path}")
    for line in describe_import(article, path):
        click.echo(line)


@main.command(cls=Command)
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
    from ..web.security import parse_allowed_origins

    origins = parse_allowed_origins(settings.allowed_origins)  # a bad origin stops the server before the model loads
    started = time.perf_counter()
    import threading

    from ..components.language import preload

    # The language identifier loads beside the engine (~0.4 s each) instead of on the first question.
    threading.Thread(target=preload, name="preload-language", daemon=True).start()
    engine = common.load_engine(corpus, index, settings=settings)
    notice = common.unfitted_notice(engine, corpus, index)
    if notice:
        log.warning("%s", notice)
    from ..web.server import create_app, serve as run_server

    app = create_app(engine, allowed_origins=origins, settings=settings, chat="background")
    log.info("API ready in %.1f s (the chat page is mounted once built)", time.perf_counter() - started)
    run_server(app, host or settings.host, settings.port if port is None else port, log_level, settings)

