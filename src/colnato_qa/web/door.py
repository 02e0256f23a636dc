"""The door every request passes before any route sees it (ASGI middleware).

* ``BodyLimit`` (outermost, before the Host check and CORS): a declared ``Content-Length`` over
  ``max_bytes`` is refused with ``413`` before a byte is read, a compressed body
  (``Content-Encoding`` other than identity) with ``415``; and every response that starts while
  the request's body is still unread, whoever sends it (the Host check's ``400``, a refused CORS
  preflight, a route that ignores the body), carries ``Connection: close``, so the server never
  goes on reading, byte by byte, a body nobody will read (issue 18).
* ``BodyReader`` (innermost, just before the routes): the body is read whole, at most
  ``max_bytes`` (a chunked body is cut off with ``413`` as soon as it passes) and within
  ``read_timeout_s`` (else ``408``), and handed on to the route, so no route can be made to read
  more or wait longer.
* ``OneLineErrors``: an exception no route handled is logged as one line (method, path, error)
  instead of a traceback, and answered ``500`` when no response has started. Every request
  the tests know of is answered 2xx/4xx before it gets here (tests/security).

Refusals are JSON ``{"detail": "..."}`` like the API's errors, sent with ``Connection: close``
so the server does not go on reading a body it refused. ``max_bytes`` and ``read_timeout_s`` are
the ``max_body_bytes`` and ``body_read_timeout_s`` settings (``server.create_app`` passes them).
"""

from __future__ import annotations

import logging

import anyio
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..settings import default_of

log = logging.getLogger(__name__)


async def refuse(scope: Scope, receive: Receive, send: Send, status: int, detail: str,
                 headers: dict[str, str] | None = None) -> None:
    """Answer ``status`` with ``{"detail": detail}`` and close the connection."""
    response = JSONResponse({"detail": detail}, status_code=status, headers={"Connection": "close", **(headers or {})})
    await response(scope, receive, send)


def has_body(headers: Headers) -> bool:
    """Whether the request announces a body (a non-zero Content-Length, or Transfer-Encoding)."""
    return "transfer-encoding" in headers or headers.get("content-length", "0").strip() not in ("", "0")


def _check_limits(max_bytes: int, read_timeout_s: float) -> None:
    if max_bytes < 1 or read_timeout_s <= 0:
        raise ValueError(f"the body limits need max_bytes >= 1 and read_timeout_s > 0, got {max_bytes}, {read_timeout_s}")


class BodyLimit:
    """Refuses declared over-large and compressed bodies at once, and closes the connection after
    any response sent while the body is unread (see the module doc)."""

    def __init__(self, app: ASGIApp, max_bytes: int = default_of("max_body_bytes")) -> None:
        _check_limits(max_bytes, 1.0)
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if not has_body(headers):                       # no body: nothing to hold back
            await self.app(scope, receive, send)
            return
        encoding = headers.get("content-encoding", "identity").strip().lower()
        declared = headers.get("content-length")
        if encoding not in ("", "identity"):
            await refuse(scope, receive, send, 415,
                         f"Compressed request bodies are not accepted (Content-Encoding: {encoding}); "
                         "send the body uncompressed.")
            return
        if declared is not None and "transfer-encoding" not in headers:
            if not declared.strip().isdigit():
                await refuse(scope, receive, send, 400, f"Content-Length must be a whole number of bytes, got {declared!r}.")
                return
            if int(declared) > self.max_bytes:
                await refuse(scope, receive, send, 413, too_large(self.max_bytes))
                return
        body_done = False

        async def watched_receive() -> Message:
            nonlocal body_done
            message = await receive()
            if message["type"] == "http.disconnect" or not message.get("more_body", False):
                body_done = True
            return message

        async def closing_send(message: Message) -> None:
            if message["type"] == "http.response.start" and not body_done:
                MutableHeaders(scope=message)["Connection"] = "close"
            await send(message)

        await self.app(scope, watched_receive, closing_send)


def too_large(max_bytes: int) -> str:
    return f"The request body is larger than {max_bytes} bytes."


class BodyReader:
    """Reads the body whole, bounded in size and time, before the route runs (see the module doc)."""

    def __init__(self, app: ASGIApp, max_bytes: int = default_of("max_body_bytes"),
                 read_timeout_s: float = default_of("body_read_timeout_s")) -> None:
        _check_limits(max_bytes, read_timeout_s)
        self.app = app
        self.max_bytes = max_bytes
        self.read_timeout_s = read_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not has_body(Headers(scope=scope)):
            await self.app(scope, receive, send)
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
        with anyio.move_on_after(self.read_timeout_s):     # one deadline for the whole body (one timer)
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return 0, ""
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.max_bytes:
                    return 413, too_large(self.max_bytes)
                chunks.append(chunk)
                if not message.get("more_body", False):
                    return b"".join(chunks)
        return 408, f"The request body did not arrive within {self.read_timeout_s:g} seconds."


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
