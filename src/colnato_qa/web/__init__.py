"""The web front of colnato-qa: one FastAPI app serving the chat page, the HTTP API and the
embedding helpers (see docs/embedding.md).

Importing this package pins the environment so Gradio and the Hugging Face libraries make no
network requests (no analytics, no hub look-ups); it must happen before ``gradio`` is imported,
which is why the submodules that import Gradio are loaded lazily.
"""

from __future__ import annotations

import os

OFFLINE_ENVIRONMENT = {
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TRANSFORMERS_OFFLINE": "1",
}


def pin_offline_environment() -> None:
    """Set the variables that keep Gradio and huggingface_hub off the network."""
    os.environ.update(OFFLINE_ENVIRONMENT)


pin_offline_environment()

__all__ = ["create_app", "main", "pin_offline_environment"]


def __getattr__(name: str):
    if name in ("create_app", "main"):
        from . import server

        return getattr(server, name)
    raise AttributeError(f"module 'colnato_qa.web' has no attribute {name!r}")
