"""``GET /embed/gradio.js``: Gradio's web component (``<gradio-app>``), served by this server
from the frontend build inside the installed ``gradio`` package, so embedding pages need no CDN.

The package ships ``templates/frontend/gradio.js`` as a one-line loader,
``import("./assets/index-<hash>.js")``; that bundle defines the ``gradio-app`` custom element and
loads its chunks and CSS relative to itself. Gradio mounted at ``/`` serves them under
``/assets/``, so the loader is served here with its import pointed at ``../assets/``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

EMBED_SCRIPT_PATH = "/embed/gradio.js"
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


def build_embed_router() -> APIRouter:
    router = APIRouter()

    @router.get(EMBED_SCRIPT_PATH, include_in_schema=False)
    async def gradio_web_component() -> Response:
        try:
            script = web_component_loader()
        except WebComponentMissing as exc:
            raise HTTPException(status_code=404, detail=f"The Gradio web component is not available: {exc}") from exc
        return Response(script, media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=3600"})

    return router
