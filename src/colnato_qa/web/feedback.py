"""Thumbs up/down on answers, appended to a local JSONL file (one JSON object a line).

The path comes from the ``feedback`` setting (``COLNATO_QA_FEEDBACK``; default
``feedback/feedback.jsonl`` under the current directory). The file is only ever appended to: each record is written with a single
``write`` on a file opened in append mode, under a lock, so concurrent sessions (and processes
sharing the file, on a local file system) never interleave lines.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any



def default_feedback_path() -> Path:
    from ..settings import load_settings

    return load_settings().feedback


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

    @staticmethod
    def now() -> str:
        return datetime.now(UTC).isoformat(timespec="milliseconds")


def liked_value(raw: Any) -> bool | None:
    """Gradio's like payload to a vote: True/False, or None when the user withdraws a vote
    (Gradio then sends an empty string); custom feedback options keep their text."""
    if isinstance(raw, bool):
        return raw
    if raw in ("Like", "like"):
        return True
    if raw in ("Dislike", "dislike"):
        return False
    return None


class FeedbackLog:
    """Append-only JSONL log of feedback records."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_feedback_path()
        self._lock = threading.Lock()

    def append(self, record: FeedbackRecord) -> None:
        line = json.dumps(asdict(record), ensure_ascii=False) + "\n"
        data = line.encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                while data:
                    data = data[os.write(fd, data):]
            finally:
                os.close(fd)

    def read(self) -> list[dict[str, Any]]:
        """Every record so far (for tests and reports)."""
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]
