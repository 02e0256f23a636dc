"""What every ``colnato-qa`` command shares: the engine options, the one engine loader, the one
logging set-up, and domain errors turned into one-line click errors."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
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


@contextlib.contextmanager
def clean_errors() -> Iterator[None]:
    """Domain and file-system errors as one-line click errors (exit status 1), never a traceback."""
    try:
        yield
    except ColnatoError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"{exc.filename or ''}: {exc.strerror or exc}") from None


@contextlib.contextmanager
def stdout_to_stderr(active: bool) -> Iterator[None]:
    """With --json, anything a library prints goes to stderr so stdout holds one JSON object."""
    if active:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    else:
        yield


@dataclass(frozen=True)
class GoldSet:
    """The questions one ``GOLD[:SPLIT]`` argument names: the file, the split taken, the items."""

    path: Path
    split: str           # dev, test, train or all
    items: list[Any]

    @property
    def label(self) -> str:
        return f"{self.path}:{self.split}"


def parse_gold_spec(spec: str) -> tuple[Path, str | None]:
    """``path`` or ``path:split`` (split one of dev, test, train)."""
    path, sep, split = spec.rpartition(":")
    if sep and split in ("dev", "test", "train") and path:
        return Path(path), split
    return Path(spec), None


def read_gold_specs(specs: Sequence[str], default_split: str | None = None, prefer_dev: bool = False) -> list[GoldSet]:
    """The gold sets of ``GOLD[:SPLIT]`` arguments. A spec's own split wins, then ``default_split``;
    otherwise the dev split when ``prefer_dev`` and the file has one, else every question."""
    from ..evaluation.gold import filter_split, load_gold

    sets = []
    for spec in specs:
        path, split = parse_gold_spec(spec)
        if not path.exists():
            raise click.ClickException(f"Gold file {path} does not exist.")
        items = load_gold(path)
        chosen = split or default_split or ("dev" if prefer_dev and any(it.split == "dev" for it in items) else "all")
        sets.append(GoldSet(path, chosen, filter_split(items, None if chosen == "all" else chosen)))
    return sets
