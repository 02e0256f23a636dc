"""The door every request passes before any route sees it (outermost ASGI middleware).

* ``BodyLimit``: a request body larger than ``max_bytes`` is refused with ``413`` (declared
  ``Content-Length`` checked before a byte is read; chunked bodies counted as they arrive);
  a body that does not arrive within ``read_timeout_s`` gets ``408``; a compressed body
  (``Content-Encoding`` other than identity) gets ``415``. The body is read whole (it is small
  by then) and handed on to the route, so no route can be made to read more.
* ``OneLineErrors``: an exception no route handled is logged as one line (method, path, error)
  instead of a traceback, and answered ``500`` when no response has started. Every request
  the tests know of is answered 2xx/4xx before it gets here (tests/security).

Refusals are JSON ``{"detail": "..."}`` like the API's errors, sent with ``Connection: close``
so the server does not go on reading a body it refused.
"""

from __future__ import annotations

import logging
import time

import anyio
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import limits

log = logging.getLogger(__name__)


async def refuse(scope: Scope, receive: Receive, send: Send, status: int, detail: str,
                 headers: dict[str, str] | None = None) -> None:
    """Answer ``status`` with ``{"detail": detail}`` and close the connection."""
    response = JSONResponse({"detail": detail}, status_code=status, headers={"Connection": "close", **(headers or {})})
    await response(scope, receive, send)


class BodyLimit:
    """Refuses over-large, slow and compressed request bodies on every route (see the module doc)."""

    def __init__(self, app: ASGIApp, max_bytes: int = limits.MAX_BODY_BYTES,
                 read_timeout_s: float = limits.BODY_READ_TIMEOUT_S) -> None:
        if max_bytes < 1 or read_timeout_s <= 0:
            raise ValueError(f"BodyLimit needs max_bytes >= 1 and read_timeout_s > 0, got {max_bytes}, {read_timeout_s}")
        self.app = app
        self.max_bytes = max_bytes
        self.read_timeout_s = read_timeout_s

    def too_large(self) -> str:
        return f"The request body is larger than {self.max_bytes} bytes."

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        encoding = headers.get("content-encoding", "identity").strip().lower()
        declared = headers.get("content-length")
        chunked = "transfer-encoding" in headers
        if declared is None and not chunked:          # no body: nothing to hold back
            await self.app(scope, receive, send)
            return
        if encoding not in ("", "identity"):
            await refuse(scope, receive, send, 415,
                         f"Compressed request bodies are not accepted (Content-Encoding: {encoding}); "
                         "send the body uncompressed.")
            return
        if declared is not None and not chunked:
            if not declared.strip().isdigit():
                await refuse(scope, receive, send, 400, f"Content-Length must be a whole number of bytes, got {declared!r}.")
                return
            if int(declared) > self.max_bytes:
                await refuse(scope, receive, send, 413, self.too_large())
                return
        body = await self._read(receive)
        if isinstance(body, tuple):
            status, detail = body
            if status:
                await refuse(scope, receive, send, status, detail)
            return
        await self.app(scope, replay(body, receive), send)

    async def _read(self, receive: Receive) -> bytes | tuple[int, str]:
        """The whole body, or (status, detail) of the refusal ((0, "") when the client left)."""
        chunks: list[bytes] = []
        size = 0
        deadline = time.monotonic() + self.read_timeout_s
        while True:
            with anyio.move_on_after(max(0.0, deadline - time.monotonic())) as timer:
                message = await receive()
            if timer.cancelled_caught:
                return 408, f"The request body did not arrive within {self.read_timeout_s:g} seconds."
            if message["type"] == "http.disconnect":
                return 0, ""
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return 413, self.too_large()
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that yields ``body`` once, then waits on the real one (disconnects)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


class OneLineErrors:
    """Logs an unhandled exception as one line, and answers 500 when no response has started."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:  # the point of this class: no traceback in the log, none to the client
            log.error("%s %s failed: %s: %s", scope.get("method"), scope.get("path"), type(exc).__name__,
                      str(exc)[:200].replace("\n", " "))
            if not started:
                await refuse(scope, receive, send, 500, "Internal error; it has been logged.")
