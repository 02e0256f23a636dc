"""colnato-qa: offline extractive question answering over a news article, with citations."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["QAEngine", "Answer", "Citation", "Passage", "Span", "__version__"]


def __getattr__(name: str):
    # Lazy: `import colnato_qa` stays cheap; the encoder loads only when an engine is made.
    if name == "QAEngine":
        from .engine import QAEngine

        return QAEngine
    if name in ("Answer", "Citation", "Passage", "Span"):
        from . import types

        return getattr(types, name)
    raise AttributeError(f"module 'colnato_qa' has no attribute {name!r}")
