"""What every ``colnato-qa`` command shares: the engine options, the one engine loader, the one
logging set-up, and the one error boundary (``OneLineErrors``): every error a user can cause ends
the command with one line on stderr and exit status 1, never a traceback."""

from __future__ import annotations

import contextlib
import importlib
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import click

from ..errors import ColnatoError

# Libraries that log at INFO or DEBUG (some set their own level when imported, as bm25s does).
NOISY_LOGGERS = ("faiss", "sentence_transformers", "bm25s", "httpx", "transformers", "urllib3", "gradio")


class _OursOrWarnings(logging.Filter):
    """Lets through colnato_qa's records at their logger's level, and other libraries' records
    only from ``library_level`` up, whatever level those libraries set on their own loggers."""

    def __init__(self, library_level: int) -> None:
        super().__init__()
        self.library_level = library_level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name.split(".")[0] == "colnato_qa" or record.levelno >= self.library_level


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (click's test runner swaps it)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr


def configure_logging(level: int | str = logging.WARNING, *, timestamps: bool = False) -> None:
    """Log to stderr: colnato_qa at ``level``, other libraries at WARNING (at DEBUG, everything)."""
    level = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    fmt = ("%(asctime)s " if timestamps else "") + "%(levelname)s %(name)s: %(message)s"
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter(fmt))
    handler.addFilter(_OursOrWarnings(logging.DEBUG if level <= logging.DEBUG else logging.WARNING))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_colnato_qa", False)]:
        root.removeHandler(old)
    handler._colnato_qa = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(min(level, logging.WARNING))
    logging.getLogger("colnato_qa").setLevel(level)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if level <= logging.DEBUG else logging.WARNING)


def verbosity_level(verbose: int) -> int:
    return logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG


def load_engine(corpus: Path | str | None = None, index: Path | str | None = None, config: Path | str | None = None,
                **kwargs: Any):
    """The engine every command uses: the project's corpus/, index/ and settings unless given."""
    from ..engine import QAEngine
    from ..settings import load_settings

    if config is not None and "settings" not in kwargs:
        kwargs["settings"] = load_settings(config)
    return QAEngine.load(corpus, index, **kwargs)


def engine_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--corpus, --index and --config, passed as ``corpus``, ``index`` and ``config``."""
    f = click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="Settings file (default: $COLNATO_QA_CONFIG, else config/colnato_qa.json of the "
                          "checkout or of the package).")(f)
    f = click.option("--index", "index", type=click.Path(path_type=Path), default=None,
                     help="Index directory (default: the checkout's index/; installed: the user's cache "
                          "directory, ~/.cache/colnato-qa/index on Linux).")(f)
    f = click.option("--corpus", "corpus", type=click.Path(path_type=Path), default=None,
                     help="Corpus directory (default: the checkout's corpus/; installed: the article shipped "
                          "with the package).")(f)
    return f


def error_line(exc: BaseException) -> str:
    """The one line a user sees for an error: click's own (usage errors too), domain, file-system."""
    if isinstance(exc, click.UsageError):
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        text = exc.format_message() + hint
    elif isinstance(exc, click.ClickException):
        text = exc.format_message()
    elif isinstance(exc, OSError):
        text = f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")
    else:
        text = str(exc)
    return "Error: " + " ".join(text.split())


class OneLineErrors:
    """The CLI's one error boundary, mixed into the group and every command (so a command run on its
    own behaves the same): click usage errors, ``ClickException``, ``ColnatoError`` and ``OSError``
    become one line on stderr and exit status 1."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)  # type: ignore[misc]
        try:
            rv = super().main(args, prog_name, complete_var, False, **extra)  # type: ignore[misc]
        except (click.ClickException, ColnatoError, OSError) as exc:
            click.echo(error_line(exc), err=True)
            sys.exit(1)
        except (click.Abort, KeyboardInterrupt):
            click.echo("Aborted.", err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


class Command(OneLineErrors, click.Command):
    """A ``colnato-qa`` command: ``@click.command(cls=Command)``."""


class Group(OneLineErrors, click.Group):
    """The ``colnato-qa`` group. The commands in ``lazy_commands`` (name: ``"module:attribute"``) are
    imported when they are run or listed, not with the CLI: the evaluation commands import
    scikit-learn and the evaluation package (~1 s), which ``serve`` and ``ask`` do not pay for
    (issue #19: the server's start-up)."""

    def __init__(self, *args: Any, lazy_commands: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy_commands:
            module, attribute = self.lazy_commands[name].split(":")
            return getattr(importlib.import_module(module), attribute)
        return super().get_command(ctx, name)


def refuse_unused(ctx: click.Context, why: str, *names: str) -> None:
    """A usage error when any of the options ``names`` (parameter names) was given although it does
    nothing in this mode (``why``, e.g. "without --batch")."""
    given = [p for p in ctx.command.params if p.name in names
             and ctx.get_parameter_source(p.name) not in (click.core.ParameterSource.DEFAULT, None)]
    if given:
        opts = ", ".join("/".join(p.opts) for p in given)
        raise click.UsageError(f"{opts} {'does' if len(given) == 1 else 'do'} nothing {why}; leave "
                               f"{'it' if len(given) == 1 else 'them'} out.", ctx)


@contextlib.contextmanager
def stdout_to_stderr(active: bool) -> Iterator[None]:
    """With --json, anything a library prints goes to stderr so stdout holds one JSON object."""
    if active:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    else:
        yield


def unfitted_notice(engine: Any, corpus: Path | str | None, index: Path | str | None) -> str | None:
    """One line for ``build`` and ``serve`` when the engine uses no query adapter or no question bank
    fitted for its corpus (an article nobody has written training questions for), saying how to fit
    them; None when both are fitted."""
    fitted = engine.fitted_artefacts
    missing = [name for key, name in (("query_adapter", "query adapter"), ("question_bank", "question bank"))
               if not fitted[key]]
    if not missing:
        return None
    where = "".join(f" --{flag} {value}" for flag, value in (("corpus", corpus), ("index", index)) if value is not None)
    return (f"note: this article has no fitted {' or '.join(missing)}, so questions are matched with the encoder's "
            f"own vectors and the answerability model {fitted['answerability_model']}; answers still work, "
            f"abstention is less sure. To fit them on questions you write for it, with a config of its own so that "
            f"the project's config/ files stay as they are: colnato-qa fit{where} --config MY_CONFIG.json TRAIN.jsonl "
            f"--write (docs/evaluation.md, \"Bring your own questions\").")
