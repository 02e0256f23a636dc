"""The chat page's place at ``/``: answers ``503`` with ``Retry-After`` until the Gradio app is
built, then hands every request to it.

Importing Gradio and building the page takes a few seconds, longer than loading the engine. So
that the HTTP API (and ``/healthz``) answers as soon as the engine is loaded, ``colnato-qa serve``
builds the page in a background thread once the server is up (``start``); until it is mounted,
the page answers a small "starting" page (``GET /``) or ``{"detail": ...}`` (any other route of
the chat), both ``503`` with ``Retry-After``. ``build_now`` builds it in the calling thread
instead (what ``create_app`` does by default, for programs and tests that want the page at once).

The Gradio app's own start-up (its lifespan and startup events: the queue's workers) runs in the
server's event loop once it is built, and ends with the server's lifespan (``stop``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from importlib.resources import files
from typing import Any, Literal

from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from .door import refuse

log = logging.getLogger(__name__)

ChatState = Literal["starting", "ready", "failed"]
# Seconds a client is told to wait before asking for the page again while it is being built.
STARTING_RETRY_AFTER_S = 1
STARTING_DETAIL = "The chat page is starting; retry in a moment. The API (/api/ask) already answers."
FAILED_DETAIL = "The chat page could not be started; the error is in the server log. The API (/api/ask) answers."


def starting_page() -> str:
    return files(__package__).joinpath("templates", "starting.html").read_text(encoding="utf-8")


class ChatMount:
    """ASGI app mounted at ``/``: the chat page once ``build`` has made it, ``503`` until then.

    ``build`` returns ``(lifespan_app, chat_app)``: ``chat_app`` serves the page's routes and
    ``lifespan_app.router.lifespan_context(lifespan_app)`` starts (and ends) it. ``warm_up``, when
    given, runs first in the background thread (the engine's lazily loaded parts: loaded before
    Gradio's import competes with the first questions for the interpreter).
    """

    def __init__(self, build: Callable[[], tuple[Any, ASGIApp]], warm_up: Callable[[], Any] | None = None) -> None:
        self._build = build
        self._warm_up = warm_up
        self._built: tuple[Any, ASGIApp] | None = None
        self._app: ASGIApp | None = None
        self._failed = False
        self._lifespan = contextlib.AsyncExitStack()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> ChatState:
        return "ready" if self._app is not None else "failed" if self._failed else "starting"

    @property
    def app(self) -> ASGIApp | None:
        """The chat's app once mounted (None before)."""
        return self._app

    # -- life cycle ---------------------------------------------------------------------------
    def build_now(self) -> None:
        """Build and mount the page in this thread (as ``gr.mount_gradio_app`` does: it serves at
        once, and its queue starts with the server's lifespan)."""
        self._built = self._build()
        self._app = self._built[1]

    async def start(self) -> None:
        """Start the page: at once when built, else build it in a background thread first."""
        self._loop = asyncio.get_running_loop()
        if self._built is not None:
            await self._activate(self._built)
            return
        self._thread = threading.Thread(target=self._build_in_background, name="chat-page-build", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        await self._lifespan.aclose()

    def _build_in_background(self) -> None:
        if self._warm_up is not None:
            try:
                self._warm_up()
            except Exception:
                log.exception("warming the engine up failed (the chat page is built anyway)")
        try:
            built = self._build()
        except Exception:
            log.exception("building the chat page failed")
            self._failed = True
            return
        assert self._loop is not None
        try:
            asyncio.run_coroutine_threadsafe(self._activate(built), self._loop).result()
        except RuntimeError:      # the server stopped while the page was being built
            log.info("the server stopped before the chat page was mounted")
        except Exception:
            log.exception("starting the chat page failed")
            self._failed = True

    async def _activate(self, built: tuple[Any, ASGIApp]) -> None:
        lifespan_app, chat_app = built
        await self._lifespan.enter_async_context(lifespan_app.router.lifespan_context(lifespan_app))
        self._app = chat_app
        log.info("chat page mounted at /")

    # -- requests ------------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._app is not None:
            await self._app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1013})   # try again later
            return
        if scope["type"] != "http":
            return
        if self._failed:
            await refuse(scope, receive, send, 503, FAILED_DETAIL)
            return
        retry = {"Retry-After": str(STARTING_RETRY_AFTER_S), "Cache-Control": "no-store"}
        if scope["method"] in ("GET", "HEAD") and scope["path"] in ("", "/"):
            await HTMLResponse(starting_page(), status_code=503, headers=retry)(scope, receive, send)
            return
        await refuse(scope, receive, send, 503, STARTING_DETAIL, headers=retry)
