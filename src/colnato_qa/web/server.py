"""One process, one engine, three doors: the chat page at ``/``, the HTTP API at ``/api/ask``
(plus ``/healthz`` and ``/openapi.json``), and the embedding helpers (``/embed/gradio.js``).

    python app.py [--host 127.0.0.1] [--port 7860]      # or COLNATO_QA_HOST / COLNATO_QA_PORT

The engine is loaded once in ``create_app`` and shared by every request; the server keeps no
per-user state outside Gradio's session state, so replicas behind a load balancer work
(with sticky sessions for the chat page's queue, as for any Gradio app).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from . import pin_offline_environment

pin_offline_environment()

import gradio as gr  # noqa: E402  (after the environment is pinned)
import uvicorn  # noqa: E402
from fastapi import APIRouter, FastAPI  # noqa: E402
from fastapi.responses import JSONResponse  # noqa: E402
from starlette.routing import Mount  # noqa: E402

from .. import __version__  # noqa: E402
from . import connections, limits, styles  # noqa: E402
from .api import AskGate, build_router, install_error_handlers  # noqa: E402
from .chat_ui import PAGE_TITLE, build_chat_ui  # noqa: E402
from .door import BodyLimit, OneLineErrors  # noqa: E402
from .embed import build_embed_router  # noqa: E402
from .environment import EnvironmentSettingError  # noqa: E402
from .feedback import FeedbackLog  # noqa: E402
from .gradio_gate import GradioGate  # noqa: E402
from .security import (  # noqa: E402
    HostAllowList,
    OriginError,
    allowed_origins_from_env,
    install_host_check,
    install_security,
    parse_allowed_origins,
)

log = logging.getLogger("colnato_qa.web")

HOST_ENV = "COLNATO_QA_HOST"
PORT_ENV = "COLNATO_QA_PORT"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
GRACEFUL_SHUTDOWN_S = 2
NO_UPLOAD_PATH = "/gradio_api/upload"
MAX_FILE_SIZE = "1kb"   # Gradio's own limit too, in case another upload route appears

API_DESCRIPTION = (
    "Extractive question answering over one news article, “Colombia’s Path to NATO Partnership” "
    "(The Innovation Times, by Ferdinand Miracle). Every answer is a sentence quoted from the article, "
    "with the paragraphs it comes from; when the article doesn't say, the answer is null and "
    "`abstained` is true."
)


def create_app(
    engine: Any = None,
    *,
    allowed_origins: str | Sequence[str] | None = None,
    feedback_path: str | os.PathLike[str] | None = None,
    allowed_hosts: str | Sequence[str] | None = None,
) -> FastAPI:
    """The FastAPI app with the API routes and the Gradio chat mounted at ``/``.

    ``engine``: a loaded ``QAEngine`` (loaded from the project's corpus and index when None).
    ``allowed_origins``: CORS and framing allow-list (``COLNATO_QA_ALLOWED_ORIGINS`` when None).
    ``feedback_path``: the feedback JSONL file (``COLNATO_QA_FEEDBACK`` when None).
    ``allowed_hosts``: the ``Host`` allow-list (``COLNATO_QA_ALLOWED_HOSTS`` when None; unset:
    localhost names, plus the bind address once ``serve`` starts the server).

    Middleware, outermost first: one-line errors, the Host check, CORS and framing, the body
    limit; the Gradio app has its own gate (``gradio_gate``). See docs/security.md.
    """
    origins = allowed_origins_from_env() if allowed_origins is None else parse_allowed_origins(allowed_origins)
    hosts = HostAllowList(allowed_hosts)
    feedback = FeedbackLog(feedback_path)
    if engine is None:
        from ..engine import QAEngine

        started = time.perf_counter()
        engine = QAEngine.load()
        log.info("engine loaded in %.1f s", time.perf_counter() - started)

    app = FastAPI(
        title="colnato-qa",
        version=__version__,
        description=API_DESCRIPTION,
        docs_url=None,      # Swagger UI and ReDoc load their scripts from a CDN; /openapi.json stays
        redoc_url=None,
    )
    app.state.engine = engine
    install_error_handlers(app)
    app.include_router(build_router(engine, AskGate()))
    app.include_router(build_embed_router())
    app.include_router(build_no_upload_router())
    app.add_middleware(BodyLimit)
    install_security(app, origins)   # CORS headers on every answer the door gives, refusals included
    install_host_check(app, hosts)
    app.add_middleware(OneLineErrors)

    blocks = build_chat_ui(engine, feedback)
    gr.mount_gradio_app(
        app,
        blocks,
        path="/",
        footer_links=[],
        run_history=False,
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        show_error=False,   # internal errors (object reprs, addresses) stay in the server log
        max_file_size=MAX_FILE_SIZE,
        enable_monitoring=False,
        theme=gr.themes.Default(primary_hue="blue", font=styles.SYSTEM_FONTS, font_mono=styles.MONO_FONTS),
        css=styles.CSS,
        head=styles.HEAD,
    )
    gradio_app(app).add_middleware(GradioGate, blocks=blocks)
    return app


def gradio_app(app: FastAPI) -> FastAPI:
    """The Gradio app mounted at ``/`` of ``app``."""
    for route in app.routes:
        if isinstance(route, Mount) and isinstance(route.app, FastAPI):
            return route.app
    raise RuntimeError("no Gradio app is mounted: call gr.mount_gradio_app first")


def build_no_upload_router() -> APIRouter:
    """The chat takes no files: close Gradio's upload route (anyone could fill its temp dir)."""
    router = APIRouter()

    @router.api_route(NO_UPLOAD_PATH, methods=["POST", "PUT"], include_in_schema=False)
    async def no_uploads() -> JSONResponse:
        return JSONResponse({"detail": "This app takes no file uploads."}, status_code=403)

    return router


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a number, got {value!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be in 0..65535, got {port}")
    return port


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="app.py",
        description=f"Serve {PAGE_TITLE!r}: the chat page at /, the API at /api/ask, health at /healthz.",
    )
    parser.add_argument("--host", default=os.environ.get(HOST_ENV) or DEFAULT_HOST,
                        help=f"interface to listen on (env {HOST_ENV}, default {DEFAULT_HOST})")
    parser.add_argument("--port", type=_port, default=None,
                        help=f"port to listen on (env {PORT_ENV}, default {DEFAULT_PORT})")
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    args = parser.parse_args(argv)
    if args.port is None:
        raw = os.environ.get(PORT_ENV)
        try:
            args.port = _port(raw) if raw else DEFAULT_PORT
        except argparse.ArgumentTypeError as exc:
            parser.error(f"{PORT_ENV}: {exc}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("colnato_qa").setLevel(args.log_level.upper())   # ours at the chosen level, libraries quiet
    started = time.perf_counter()
    try:
        app = create_app()
    except (OriginError, EnvironmentSettingError) as exc:
        print(f"app.py: {exc}", file=sys.stderr)
        return 2
    log.info("app built in %.1f s; serving http://%s:%d/", time.perf_counter() - started, args.host, args.port)
    serve(app, args.host, args.port, args.log_level)
    return 0


def serve(app: FastAPI, host: str, port: int, log_level: str) -> None:
    """Run ``app`` under uvicorn with the server's limits (docs/security.md): connections and
    in-flight requests, keep-alive, the request-head deadline and size, the accept backlog,
    one log line per refused connection. Adds the bind address to the Host allow-list when
    ``COLNATO_QA_ALLOWED_HOSTS`` is not set."""
    allowed = getattr(app.state, "allowed_hosts", None)
    if isinstance(allowed, HostAllowList):
        allowed.allow_bind(host)
        log.info("answering requests for hosts: %s", ", ".join(allowed.hosts))
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=log_level,
        log_config=connections.log_config(),
        http=connections.HeaderDeadlineProtocol,
        limit_concurrency=limits.SERVER_LIMIT_CONCURRENCY,
        timeout_keep_alive=limits.SERVER_KEEP_ALIVE_S,
        h11_max_incomplete_event_size=limits.SERVER_MAX_HEADER_BYTES,
        backlog=limits.SERVER_BACKLOG,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )
