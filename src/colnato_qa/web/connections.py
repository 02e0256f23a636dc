"""Connection-level defences of the HTTP server (used by ``server.serve``).

* ``HeaderDeadlineProtocol``: uvicorn's h11 protocol with a deadline on the request head. Uvicorn
  closes idle keep-alive connections but has no timeout while a request's headers arrive, so a
  client trickling a header every few seconds holds its connection (and file descriptor)
  forever: thousands of them exhaust the process's descriptors (the slow-header flood,
  "Slowloris"). Here the whole head must arrive within ``header_timeout_s`` of the connection
  opening or of the request's first byte; a slower client is disconnected.
* ``OneLineAcceptErrors``: when the process runs out of descriptors, asyncio logs every failed
  ``accept()`` with a traceback, thousands a second; this logging filter turns them into one
  line a second that counts them.
* ``log_config``: uvicorn's logging configuration with that filter on the ``asyncio`` logger.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from typing import Any

import h11
from uvicorn.config import LOGGING_CONFIG
from uvicorn.protocols.http.h11_impl import H11Protocol

from . import limits

ACCEPT_ERROR_PREFIX = "socket.accept() out of system resource"


class HeaderDeadlineProtocol(H11Protocol):
    """h11 protocol closing connections whose request head is not complete within
    ``header_timeout_s`` seconds (see the module doc)."""

    header_timeout_s: float = limits.SERVER_HEADER_TIMEOUT_S

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._head_deadline: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._watch_head()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_deadline()
        super().connection_lost(exc)

    def _watch_head(self) -> None:
        """Arm the deadline while a request head is awaited; disarm it once the head is in."""
        awaiting_head = self.conn.their_state is h11.IDLE and not self.transport.is_closing()
        if awaiting_head and self._head_deadline is None:
            self._head_deadline = self.loop.call_later(self.header_timeout_s, self._head_timed_out)
        elif not awaiting_head:
            self._cancel_head_deadline()

    def _cancel_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_timed_out(self) -> None:
        self._head_deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            if self.client:
                self.logger.debug("%s:%d - request head not complete within %gs: closing",
                                  *self.client, self.header_timeout_s)
            self.transport.close()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # Whatever remains of the connection (an idle keep-alive, a pipelined request's head)
        # must bring the next head within the deadline too.
        self._cancel_head_deadline()
        self._watch_head()


class OneLineAcceptErrors(logging.Filter):
    """Rewrites asyncio's "socket.accept() out of system resource" record (message, details and
    traceback over many lines) as one line naming the error, at most one per ``interval_s``
    seconds: asyncio retries ``accept()`` up to ``backlog`` times per loop tick while out of
    descriptors, and would log each (thousands of lines a second). The line counts the
    refusals it stands for."""

    def __init__(self, interval_s: float = 1.0) -> None:
        super().__init__()
        self.interval_s = interval_s
        self._last = float("-inf")
        self._suppressed = 0

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if not message.startswith(ACCEPT_ERROR_PREFIX):
            return True
        now = time.monotonic()
        if now - self._last < self.interval_s:
            self._suppressed += 1
            return False
        error = record.exc_info[1] if record.exc_info else message.splitlines()[-1]
        record.msg = "refused connections: %s (%s); %d refusals since the last report"
        record.args = (ACCEPT_ERROR_PREFIX, error, self._suppressed + 1)
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        self._last = now
        self._suppressed = 0
        return True


def log_config() -> dict[str, Any]:
    """Uvicorn's default logging configuration plus the one-line accept errors."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["one_line_accept_errors"] = {"()": OneLineAcceptErrors}
    config["loggers"]["asyncio"] = {"handlers": ["default"], "level": "WARNING", "propagate": False,
                                    "filters": ["one_line_accept_errors"]}
    return config
