"""The web front of colnato-qa: one FastAPI app serving the chat page, the HTTP API and the
embedding helpers (see docs/embedding.md). Started by ``colnato-qa serve`` (or ``app.py``),
which sets the offline environment (colnato_qa/offline.py) before Gradio is imported; the
submodules that import Gradio are loaded lazily.
"""

from __future__ import annotations

__all__ = ["create_app", "serve"]


def __getattr__(name: str):
    if name in __all__:
        from . import server

        return getattr(server, name)
    raise AttributeError(f"module 'colnato_qa.web' has no attribute {name!r}")
