"""The embedding helpers.

``GET /embed/gradio.js``: Gradio's web component (``<gradio-app>``), served by this server
from the frontend build inside the installed ``gradio`` package, so embedding pages need no CDN.

The package ships ``templates/frontend/gradio.js`` as a one-line loader,
``import("./assets/index-<hash>.js")``; that bundle defines the ``gradio-app`` custom element and
loads its chunks and CSS relative to itself. Gradio mounted at ``/`` serves them under
``/assets/``, so the loader is served here with its import pointed at ``../assets/``.

``GET /api/embed-check``: whether the calling page's origin (its ``Origin`` header) is in the
``allowed_origins`` setting, and if not, the fix, in words a site owner can act on. A browser
refuses a page on another origin the chat's frames and the API's answers without telling the
page why ("Failed to fetch", a grey frame); this one answer is readable from any origin
(``Access-Control-Allow-Origin: *``) so the page can say why. It tells the caller only about its
own origin, never the list. The ``Host`` check still comes first (docs/security.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Header, HTTPException
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from .security import ALLOWED_ORIGINS_ENV, origin_allowed

EMBED_SCRIPT_PATH = "/embed/gradio.js"
EMBED_CHECK_PATH = "/api/embed-check"
MAX_ORIGIN_ECHO = 200     # an Origin is short; a longer header is cut when echoed
_IMPORT = re.compile(r"""import\(\s*(["'])\./assets/([\w.-]+\.js)\1\s*\)""")


def gradio_frontend_dir() -> Path:
    import gradio

    return Path(gradio.__file__).resolve().parent / "templates" / "frontend"


class WebComponentMissing(RuntimeError):
    """The installed gradio package does not ship the web component loader."""


@lru_cache(maxsize=1)
def web_component_loader() -> str:
    """The loader script with its bundle import resolved against ``/assets/``."""
    frontend = gradio_frontend_dir()
    loader = frontend / "gradio.js"
    try:
        source = loader.read_text(encoding="utf-8")
    except OSError as exc:
        raise WebComponentMissing(f"{loader} cannot be read: {exc.strerror or exc}") from exc
    match = _IMPORT.search(source)
    if not match or not (frontend / "assets" / match.group(2)).is_file():
        raise WebComponentMissing(f"{loader} does not import a bundle under assets/ that exists")
    return _IMPORT.sub(lambda m: f'import("../assets/{m.group(2)}")', source)


class EmbedCheckModel(BaseModel):
    """Whether the calling page may embed the chat, and what to do when it may not."""

    origin: str | None = Field(description="The calling page's origin (its Origin header); null when the "
                                           "request carried none (same origin, or not from a web page).")
    allowed: bool = Field(description="True when browsers will let that origin frame the chat, call the "
                                      "API and load the web component.")
    setting: str = Field(description="The server setting that decides it (an environment variable).")
    detail: str = Field(description="What that means, and the fix when not allowed.")


def embed_check(origin: str | None, origins: Sequence[str]) -> EmbedCheckModel:
    """The verdict for a page on ``origin`` under the allow-list ``origins``."""
    if origin is None:
        return EmbedCheckModel(origin=None, allowed=True, setting=ALLOWED_ORIGINS_ENV, detail=(
            "The request carried no Origin header (same origin, or not from a web page): "
            "browsers apply no cross-origin rule to it."))
    origin = origin.strip()[:MAX_ORIGIN_ECHO]
    if origin_allowed(origin, origins):
        return EmbedCheckModel(origin=origin, allowed=True, setting=ALLOWED_ORIGINS_ENV, detail=(
            f"{origin} is in {ALLOWED_ORIGINS_ENV}: pages there may frame the chat, call the API "
            "and load the web component."))
    if origin == "null":
        return EmbedCheckModel(origin=origin, allowed=False, setting=ALLOWED_ORIGINS_ENV, detail=(
            "This page has no origin a server can allow (Origin: null: it was opened from a file, or "
            "it is sandboxed). Serve it from a web server (for example: python -m http.server 8000) "
            f"and add that address's origin to {ALLOWED_ORIGINS_ENV} on the chatbot server."))
    return EmbedCheckModel(origin=origin, allowed=False, setting=ALLOWED_ORIGINS_ENV, detail=(
        f"This page's origin, {origin}, is not in {ALLOWED_ORIGINS_ENV} on the chatbot server, so "
        "browsers refuse to show the chat in its frames and to give it the API's answers. "
        f"Fix: add {origin} to {ALLOWED_ORIGINS_ENV} (comma-separated origins, for example "
        f"{ALLOWED_ORIGINS_ENV}={origin}) where the chatbot server runs, and restart it."))


def build_embed_router(origins: Sequence[str] = ()) -> APIRouter:
    """The embedding routes; ``origins`` is the ``allowed_origins`` list (``security.parse_allowed_origins``)."""
    router = APIRouter()
    origins = list(origins)

    @router.get(EMBED_CHECK_PATH, response_model=EmbedCheckModel, tags=["embedding"],
                summary="May a page on the caller's origin embed the chat?")
    async def check_embedding(origin: str | None = Header(default=None, description=(
            "Set by the browser: the origin of the page making the request."))) -> JSONResponse:
        """Whether the calling page's origin is in the allow-list, and the fix when it is not.
        Readable from any origin (a simple GET: no preflight); it reveals nothing but the verdict
        on the caller's own origin."""
        verdict = embed_check(origin, origins)
        return JSONResponse(verdict.model_dump(), headers={
            "Access-Control-Allow-Origin": "*",     # this answer only; CORSMiddleware keeps the rest
            "Cache-Control": "no-store",
        })

    @router.get(EMBED_SCRIPT_PATH, include_in_schema=False)
    async def gradio_web_component() -> Response:
        try:
            script = web_component_loader()
        except WebComponentMissing as exc:
            raise HTTPException(status_code=404, detail=f"The Gradio web component is not available: {exc}") from exc
        return Response(script, media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=3600"})

    return router
