"""Sentence encoders: text -> L2-normalised float32 vectors (inner product = cosine), never from a hub.

Two backends behind one interface (``Encoder``), chosen by the ``encoder`` setting:

* ``onnx`` (default): onnxruntime + tokenizers on an ONNX export of the model, made once from the
  local weights when an index is built (``onnx_export.py``, torch used there only). Serving with it
  imports neither torch nor sentence-transformers.
* ``torch``: sentence-transformers on torch, for any sentence-transformers model a user brings.

Both give vectors within cosine 0.9999 of each other (tests/test_encoders.py).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

import numpy as np

from ..errors import ConfigError
from ..settings import ENCODERS as BACKENDS
from .model_files import PACKAGED_MODEL_NAME, model_fingerprint, packaged_model_path, resolve_model

# Where an index directory keeps the ONNX exports its vectors were computed with.
EXPORTS_SUBDIR = "encoders"

__all__ = ["BACKENDS", "EXPORTS_SUBDIR", "Encoder", "PACKAGED_MODEL_NAME", "make_encoder", "model_fingerprint",
           "packaged_model_path", "resolve_model"]


class Encoder(Protocol):
    """What the index builder, the engine and the vocabulary use of an encoder."""

    model_name: str       # as recorded in the index manifest
    backend: str          # one of BACKENDS

    @property
    def dimension(self) -> int: ...

    @property
    def max_tokens(self) -> int:
        """Longest input in word pieces (special tokens included); longer text is truncated."""

    def fingerprint(self) -> str:
        """Identifies the weights (not the backend): equal for both backends of one model."""

    def manifest_record(self) -> dict:
        """What the index manifest records about the encoder that computed its vectors."""

    def count_tokens(self, text: str) -> int: ...

    def tokenize(self, text: str) -> list[str]:
        """The word pieces of ``text``, without special tokens."""

    def static_word_vectors(self, words: list[str]) -> np.ndarray | None:
        """Normalised mean of each word's word-piece input embeddings (no encoder pass)."""

    def encode(self, texts: list[str], batch_size: int | None = None) -> np.ndarray: ...

    def encode_one(self, text: str) -> np.ndarray: ...

    def encode_tokens(self, texts: list[str]) -> list[tuple[tuple[str, ...], np.ndarray]]:
        """Each text's word pieces (no special tokens) and their contextual vectors, L2-normalised: what the
        word alignment (components/alignment.py) compares."""


def make_encoder(model: str | None = None, backend: str = "onnx", index_dir: str | os.PathLike[str] | None = None,
                 **kwargs) -> Encoder:
    """The encoder for ``model`` (None: the packaged all-MiniLM-L6-v2) on ``backend``.

    The ONNX backend keeps its export in ``<index_dir>/encoders/`` (made there when missing or
    stale); ``index_dir`` is required for it.
    """
    if backend not in BACKENDS:
        raise ConfigError(f"Unknown encoder {backend!r}. Supported encoders: {list(BACKENDS)}")
    if backend == "torch":
        from .torch import TorchEncoder

        return TorchEncoder(model, **kwargs)
    if index_dir is None:
        raise ConfigError("The onnx encoder needs an index directory to keep its export in.")
    from .onnx import OnnxEncoder

    return OnnxEncoder(model, Path(index_dir) / EXPORTS_SUBDIR, **kwargs)
