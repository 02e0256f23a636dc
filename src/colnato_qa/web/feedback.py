"""Thumbs up/down on answers, appended to a local JSONL file (one JSON object a line).

The path, the rotation size and the number of rotated files are the ``feedback``,
``feedback_max_bytes`` and ``feedback_backups`` settings (settings.py: ``COLNATO_QA_FEEDBACK``,
``COLNATO_QA_FEEDBACK_MAX_BYTES``, ``COLNATO_QA_FEEDBACK_BACKUPS``); the default path is in the
user's state directory, outside the source tree.

Bounded by construction: each text field of a record is cut to ``MAX_FIELD_CHARS``; records are
ASCII-only JSON (``ensure_ascii``), so no character a line reader takes for a line break
(U+2028, U+2029, U+0085, ...) is ever written raw; the file is rotated by the standard
library's ``RotatingFileHandler`` when it would pass ``max_bytes``, keeping ``backups`` old
files, so the log never holds more than ``max_bytes * (backups + 1)`` bytes. Each record is
one ``write`` on a file opened in append mode, under the handler's lock. Rotation is per
process: give each server process its own file.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..settings import Settings, load_settings

log = logging.getLogger(__name__)

# Longest text kept in one field of a record (questions are at most 1000 characters anyway).
MAX_FIELD_CHARS = 2000
TRUNCATION_MARK = "…"


@dataclass(frozen=True)
class FeedbackRecord:
    timestamp: str
    question: str
    answer: str | None
    liked: bool | None            # True: thumbs up, False: thumbs down, None: vote withdrawn
    abstained: bool
    interpreted_as: str | None = None
    confidence: float | None = None
    passage_id: str | None = None  # the passage the answer was quoted from
    source: str = "chat"
    reason: str | None = None      # what was wrong, when the user says so after a thumbs down

    @staticmethod
    def now() -> str:
        return datetime.now(UTC).isoformat(timespec="milliseconds")

    def capped(self, max_chars: int = MAX_FIELD_CHARS) -> dict[str, Any]:
        """The record as a dict with every text field cut to ``max_chars`` characters."""
        out = asdict(self)
        for f in fields(self):
            value = out[f.name]
            if isinstance(value, str) and len(value) > max_chars:
                out[f.name] = value[: max_chars - len(TRUNCATION_MARK)] + TRUNCATION_MARK
        return out


def liked_value(raw: Any) -> bool | None:
    """Gradio's like payload to a vote: True/False, or None when the user withdraws a vote
    (Gradio then sends an empty string) or sends anything else."""
    if isinstance(raw, bool):
        return raw
    if raw in ("Like", "like"):
        return True
    if raw in ("Dislike", "dislike"):
        return False
    return None


def encode_record(record: FeedbackRecord) -> str:
    """One line of the log: ASCII JSON of the capped record (no raw line separators)."""
    return json.dumps(record.capped(), ensure_ascii=True, separators=(",", ":"))


class _FeedbackFile(logging.handlers.RotatingFileHandler):
    """The rotating file, raising write errors to the caller instead of printing a traceback."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        raise  # noqa: PLE0704 - re-raises the error emit() is handling


class FeedbackLog:
    """Append-only, size-bounded JSONL log of feedback records."""

    def __init__(self, path: str | os.PathLike[str] | None = None, max_bytes: int | None = None,
                 backups: int | None = None, *, settings: Settings | None = None) -> None:
        """Each of ``path``, ``max_bytes``, ``backups`` left None is the ``feedback``,
        ``feedback_max_bytes``, ``feedback_backups`` setting of ``settings`` (``load_settings()``)."""
        if path is None or max_bytes is None or backups is None:
            settings = settings or load_settings()
        self.path = Path(path) if path is not None else settings.feedback
        self.max_bytes = settings.feedback_max_bytes if max_bytes is None else max_bytes
        self.backups = settings.feedback_backups if backups is None else backups
        if self.max_bytes < 1 or self.backups < 1:
            raise ValueError(f"FeedbackLog needs max_bytes >= 1 and backups >= 1, got {self.max_bytes} and {self.backups}")
        self._file: _FeedbackFile | None = None

    def _handler(self) -> _FeedbackFile:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handler = _FeedbackFile(self.path, maxBytes=self.max_bytes, backupCount=self.backups,
                                    encoding="ascii", delay=True)
            handler.setFormatter(logging.Formatter("%(message)s"))
            self._file = handler
        return self._file

    def append(self, record: FeedbackRecord) -> bool:
        """Write ``record``; False (and one warning line in the server log) when it cannot be written."""
        line = encode_record(record)
        try:
            self._handler().handle(logging.makeLogRecord({"msg": line, "levelno": logging.INFO}))
        except OSError as exc:
            log.warning("feedback not recorded: cannot write %s (%s)", self.path, exc.strerror or exc)
            return False
        return True

    def files(self) -> list[Path]:
        """The log file and its rotated copies that exist, newest first."""
        names = [self.path] + [self.path.with_name(f"{self.path.name}.{i}") for i in range(1, self.backups + 1)]
        return [p for p in names if p.exists()]

    def read(self) -> list[dict[str, Any]]:
        """Every record still kept, oldest first (for tests and reports)."""
        records: list[dict[str, Any]] = []
        for path in reversed(self.files()):
            with path.open(encoding="ascii") as fh:
                records += [json.loads(line) for line in fh if line.strip()]
        return records

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
