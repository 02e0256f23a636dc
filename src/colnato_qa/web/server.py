"""One process, one engine, three doors: the chat page at ``/``, the HTTP API at ``/api/ask``
(plus ``/healthz`` and ``/openapi.json``), and the embedding helpers (``/embed/gradio.js``,
``/api/embed-check``).

    colnato-qa serve [--host 127.0.0.1] [--port 7860]   # or python app.py; COLNATO_QA_HOST / _PORT

The engine is loaded once in ``create_app`` and shared by every request; the server keeps no
per-user state outside Gradio's session state, so replicas behind a load balancer work
(with sticky sessions for the chat page's queue only: docs/scaling.md, deploy/).

Gradio is imported only by the chat page (``chat_mount``): ``create_app(chat="background")``
(what ``colnato-qa serve`` uses) answers the API and ``/healthz`` as soon as the engine is loaded
and mounts the page when it is built; the page answers ``503`` with ``Retry-After`` until then.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any, Literal

import uvicorn
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from starlette.routing import Mount

from .. import __version__
from ..settings import Settings, load_settings
from . import connections
from .api import AskGate, build_router, install_error_handlers
from .chat_mount import ChatMount
from .door import BodyLimit, BodyReader, OneLineErrors
from .embed import build_embed_router
from .feedback import FeedbackLog
from .gradio_gate import GradioGate
from .security import ForwardedHeaders, HostAllowList, install_host_check, install_security, parse_allowed_origins

log = logging.getLogger("colnato_qa.web")

GRACEFUL_SHUTDOWN_S = 2
NO_UPLOAD_PATH = "/gradio_api/upload"
MAX_FILE_SIZE = "1kb"   # Gradio's own limit too, in case another upload route appears
# Asked once in the background before the chat page is built (create_app(chat="background")): the
# engine's lazily loaded parts (the language identifier: ~0.6 s) load before Gradio's import competes
# for the interpreter, so the first real question is answered without waiting on both.
WARM_UP_QUESTION = "Which year does the text mention first?"   # goes the whole way (not a question about the article)


def api_description(documents: Sequence[Any]) -> str:
    """What the API answers about, from the corpus metadata (title, publisher, author)."""
    described = []
    for doc in documents:
        source = ", ".join(filter(None, [getattr(doc, "publisher", None),
                                         f"by {doc.author}" if getattr(doc, "author", None) else None]))
        described.append(f"“{doc.title}”" + (f" ({source})" if source else ""))
    what = f"one news article, {described[0]}" if len(described) == 1 else f"{len(described)} articles: " + "; ".join(described)
    return (f"Extractive question answering over {what}. Every answer is a sentence quoted from the article, "
            "with the paragraphs it comes from; when the article doesn't say, the answer is null and "
            "`abstained` is true.")


def create_app(
    engine: Any = None,
    *,
    allowed_origins: str | Sequence[str] | None = None,
    feedback_path: str | os.PathLike[str] | None = None,
    allowed_hosts: str | Sequence[str] | None = None,
    settings: Settings | None = None,
    chat: Literal["now", "background"] = "now",
) -> FastAPI:
    """The FastAPI app with the API routes and the Gradio chat mounted at ``/``.

    ``engine``: a loaded ``QAEngine`` (loaded from the project's corpus and index when None).
    ``allowed_origins``: CORS and framing allow-list (the ``allowed_origins`` setting when None).
    ``feedback_path``: the feedback JSONL file (the ``feedback`` setting when None; its rotation
    is the ``feedback_max_bytes`` and ``feedback_backups`` settings).
    ``allowed_hosts``: the ``Host`` allow-list (the ``allowed_hosts`` setting when None; unset:
    localhost names, plus the bind address once ``serve`` starts the server).
    ``settings``: where those defaults come from, and every limit of the app (the ``api_*``, ``chat_*``,
    ``max_body_bytes`` and ``body_read_timeout_s`` settings; ``load_settings()`` when None).
    ``chat``: build the chat page now (Gradio imported here), or in the background once the
    server has started (``"background"``: the API answers first; see ``chat_mount``).

    Middleware, outermost first: one-line errors, the body limit (declared sizes; a response
    sent while the body is unread closes the connection), the forwarded headers dropped (``/``
    and ``/config`` not stored), the Host check, CORS and framing, the body read (bounded in
    size and time); the Gradio app has its own gate (``gradio_gate``). The page's root URL is the ``public_url``
    setting when set, else the request's (allowed) host. See docs/security.md.
    """
    settings = settings or load_settings()
    origins = parse_allowed_origins(settings.allowed_origins if allowed_origins is None else allowed_origins)
    hosts = HostAllowList(settings.allowed_hosts if allowed_hosts is None else allowed_hosts)
    feedback = FeedbackLog(feedback_path, settings=settings)
    if engine is None:
        from ..engine import QAEngine

        started = time.perf_counter()
        engine = QAEngine.load(settings=settings)
        log.info("engine loaded in %.1f s", time.perf_counter() - started)

    if chat not in ("now", "background"):
        raise ValueError(f"chat must be 'now' or 'background', got {chat!r}")

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await page.start()
        try:
            yield
        finally:
            await page.stop()

    app = FastAPI(
        title="colnato-qa",
        version=__version__,
        description=api_description(engine.documents),
        docs_url=None,      # Swagger UI and ReDoc load their scripts from a CDN; /openapi.json stays
        redoc_url=None,
        lifespan=lifespan,
    )
    page = ChatMount(lambda: build_chat_app(app, engine, feedback, settings),
                     warm_up=lambda: engine.ask(WARM_UP_QUESTION))
    app.state.engine = engine
    app.state.settings = settings    # serve() takes the server's limits from here
    app.state.chat = page
    install_error_handlers(app, retry_after_s=settings.api_retry_after_s)
    gate = AskGate(settings.api_max_concurrent, settings.api_max_waiting, settings.api_wait_timeout_s)
    app.include_router(build_router(engine, gate, chat_state=lambda: page.state))
    app.include_router(build_embed_router(origins))
    app.include_router(build_no_upload_router())
    app.add_middleware(BodyReader, max_bytes=settings.max_body_bytes, read_timeout_s=settings.body_read_timeout_s)
    install_security(app, origins)   # CORS headers on every answer the door gives, refusals included
    install_host_check(app, hosts)
    app.add_middleware(ForwardedHeaders)
    # declared sizes first; a refusal that leaves a body unread closes the connection
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(OneLineErrors)

    app.mount("/", page)
    if chat == "now":
        page.build_now()
    return app


def build_chat_app(app: FastAPI, engine: Any, feedback: FeedbackLog, settings: Settings) -> tuple[FastAPI, FastAPI]:
    """Import Gradio and build the chat page for ``app``: (the app whose lifespan starts the
    page, the Gradio app serving it at ``/``)."""
    started = time.perf_counter()
    import gradio as gr

    from . import styles
    from .chat_ui import build_chat_ui

    blocks = build_chat_ui(engine, feedback, settings)
    holder = FastAPI()
    # Gradio's CORS middleware stands aside when its parent app configures CORS: ``app`` does
    # (web/security.py), so the holder shows Gradio ``app``'s middleware.
    holder.user_middleware = app.user_middleware
    gr.mount_gradio_app(
        holder,
        blocks,
        path="/",
        root_path=settings.public_url,   # None: the allowed Host of the request (forwarded headers are dropped)
        footer_links=[],
        run_history=False,
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        show_error=False,   # internal errors (object reprs, addresses) stay in the server log
        max_file_size=MAX_FILE_SIZE,
        enable_monitoring=False,
        theme=styles.theme(),
        css=styles.css(),
        head=styles.head(),
    )
    chat = gradio_app(holder)
    chat.add_middleware(GradioGate, blocks=blocks, max_unread_events=settings.chat_max_unread_events,
                        unread_deadline_s=settings.chat_unread_deadline_s, unread_sweep_s=settings.chat_unread_sweep_s,
                        max_streams_per_client=settings.chat_max_streams_per_client,
                        max_streams=settings.chat_max_streams)
    log.info("chat page built in %.1f s", time.perf_counter() - started)
    return holder, chat


def gradio_app(app: FastAPI) -> FastAPI:
    """The Gradio app mounted at ``/`` of ``app`` (of its chat page, once built)."""
    for route in app.routes:
        if isinstance(route, Mount):
            mounted = route.app.app if isinstance(route.app, ChatMount) else route.app
            if isinstance(mounted, FastAPI):
                return mounted
    raise RuntimeError("no Gradio app is mounted: the chat page is not built yet")


def build_no_upload_router() -> APIRouter:
    """The chat takes no files: close Gradio's upload route (anyone could fill its temp dir)."""
    router = APIRouter()

    @router.api_route(NO_UPLOAD_PATH, methods=["POST", "PUT"], include_in_schema=False)
    async def no_uploads() -> JSONResponse:
        return JSONResponse({"detail": "This app takes no file uploads."}, status_code=403)

    return router


def serve(app: FastAPI, host: str, port: int, log_level: str, settings: Settings | None = None) -> None:
    """Run ``app`` under uvicorn with the server's limits (docs/security.md): connections and
    in-flight requests, keep-alive, the request-head deadline and size, the accept backlog,
    one log line per refused connection (every uvicorn setting is here). The limits are the
    ``server_*`` settings of ``settings``, else of those ``create_app`` made ``app`` with. Adds the
    bind address to the Host allow-list when the ``allowed_hosts`` setting is not set."""
    settings = settings or getattr(app.state, "settings", None)
    if not isinstance(settings, Settings):
        raise ValueError("serve() needs the settings: pass settings=, or an app made by create_app")
    allowed = getattr(app.state, "allowed_hosts", None)
    if isinstance(allowed, HostAllowList):
        allowed.allow_bind(host)
        log.info("answering requests for hosts: %s", ", ".join(allowed.hosts))
    log.info("serving http://%s:%d/", host, port)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=log_level,
        log_config=connections.log_config(),
        http=connections.strict_head_protocol(settings.server_header_timeout_s, settings.server_max_header_bytes),
        proxy_headers=False,     # X-Forwarded-For/-Proto never change the client or the URLs the page is built with
        limit_concurrency=settings.server_limit_concurrency,
        timeout_keep_alive=settings.server_keep_alive_s,
        h11_max_incomplete_event_size=settings.server_max_header_bytes,
        backlog=settings.server_backlog,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )
