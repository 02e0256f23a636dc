"""Connection-level defences of the HTTP server (used by ``server.serve``).

* ``HeaderDeadlineProtocol``: uvicorn's h11 protocol with a deadline on the request head. Uvicorn
  closes idle keep-alive connections but has no timeout while a request's headers arrive, so a
  client trickling a header every few seconds holds its connection (and file descriptor)
  forever: thousands of them exhaust the process's descriptors (the slow-header flood,
  "Slowloris"). Here the whole head must arrive within ``header_timeout_s`` of the connection
  opening or of the request's first byte; a slower client is disconnected.
* ``StrictHeadProtocol``: that protocol, refusing with ``400`` and a closed connection what h11
  lets through (h11 is lenient by design): a request head with a bare LF line ending, a head
  carrying both ``Content-Length`` and ``Transfer-Encoding`` (h11 reads it as chunked, and the
  bytes after the chunked body would be served as a second request: request smuggling behind a
  proxy that reads the length), and, with ``431``, a head larger than ``max_head_bytes`` even
  when it arrives complete in one write (h11's ``max_incomplete_event_size`` only bounds heads
  still incomplete). The raw head is read through h11's public ``Connection.trailing_data``
  each time uvicorn parses events while a head is awaited (``handle_events``).
* ``strict_head_protocol(header_timeout_s, max_head_bytes)``: that protocol with a server's
  ``server_header_timeout_s`` and ``server_max_header_bytes`` settings (uvicorn takes a class;
  the classes above carry the settings' defaults).
* ``OneLineAcceptErrors``: when the process runs out of descriptors, asyncio logs every failed
  ``accept()`` with a traceback, thousands a second; this logging filter turns them into one
  line a second that counts them.
* ``log_config``: uvicorn's logging configuration with that filter on the ``asyncio`` logger.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import re
import time
from typing import Any

import h11
from uvicorn.config import LOGGING_CONFIG
from uvicorn.protocols.http.h11_impl import H11Protocol

from ..settings import default_of

ACCEPT_ERROR_PREFIX = "socket.accept() out of system resource"


class HeaderDeadlineProtocol(H11Protocol):
    """h11 protocol closing connections whose request head is not complete within
    ``header_timeout_s`` seconds (see the module doc)."""

    header_timeout_s: float = default_of("server_header_timeout_s")

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


BARE_LF = re.compile(rb"(?<!\r)\n")
HEAD_END = b"\r\n\r\n"


def head_problem(buffered: bytes, max_head_bytes: int) -> tuple[int, str] | None:
    """(status, reason) when the request head at the start of ``buffered`` must be refused, else
    None: a bare LF line ending (400, as soon as one arrives), and once the head is complete, more
    than ``max_head_bytes`` (431) or both Content-Length and Transfer-Encoding (400)."""
    end = buffered.find(HEAD_END)
    head = buffered[:end + len(HEAD_END)] if end >= 0 else buffered
    if BARE_LF.search(head):
        return 400, "Request head lines must end with CRLF, not a bare LF."
    if end < 0:
        return None             # incomplete: h11's max_incomplete_event_size bounds it (400)
    if len(head) > max_head_bytes:
        return 431, f"The request head is larger than {max_head_bytes} bytes."
    names = {line.split(b":", 1)[0].strip().lower() for line in head.split(b"\r\n")[1:]}
    if b"content-length" in names and b"transfer-encoding" in names:
        return 400, "A request may carry Content-Length or Transfer-Encoding, not both."
    return None


class StrictHeadProtocol(HeaderDeadlineProtocol):
    """``HeaderDeadlineProtocol`` refusing the request heads h11 accepts but HTTP/1.1 servers
    should not (see the module doc): ``400`` (``431`` for size) with ``Connection: close``."""

    max_head_bytes: int = default_of("server_max_header_bytes")

    def handle_events(self) -> None:
        # uvicorn parses events here after new data and after each response (pipelined heads);
        # while a head is awaited, h11 has not consumed it yet: it is all in trailing_data. (uvicorn
        # also starts the next cycle inside its loop when a response was sent before the body was
        # read; door.BodyLimit closes such connections, so no head is parsed unchecked there.)
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            problem = head_problem(self.conn.trailing_data[0], self.max_head_bytes)
            if problem is not None:
                self._refuse_head(*problem)
                return
        super().handle_events()

    def _refuse_head(self, status: int, reason: str) -> None:
        if self.client:
            self.logger.debug("%s:%d - refused a request head: %s", *self.client, reason)
        body = reason.encode("ascii")
        phrase = {400: b"Bad Request", 431: b"Request Header Fields Too Large"}[status]
        self.transport.write(b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\n"
                             b"content-length: %d\r\nconnection: close\r\n\r\n%s"
                             % (status, phrase, len(body), body))
        self.transport.close()


def strict_head_protocol(header_timeout_s: float, max_head_bytes: int) -> type[StrictHeadProtocol]:
    """``StrictHeadProtocol`` with this head deadline and head size limit (uvicorn's ``http=`` takes a class)."""
    if header_timeout_s <= 0 or max_head_bytes < 1:
        raise ValueError(f"the request head limits need header_timeout_s > 0 and max_head_bytes >= 1, "
                         f"got {header_timeout_s}, {max_head_bytes}")
    return type("StrictHeadProtocol", (StrictHeadProtocol,),
                {"header_timeout_s": header_timeout_s, "max_head_bytes": max_head_bytes,
                 "__module__": __name__})


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
