"""The query adapter: a linear map fitted to move questions, as people word them, toward the
article's sentences that answer them (``colnato-qa fit``).

``QueryAdapter(matrix).run(vector) -> vector``: ``normalize(matrix @ vector)``. Only the question's
vector is mapped; the index's vectors stay the encoder's own. Fitted with it, a "no answer" option
(``null_score``): the training's unanswerable questions are taught to point at it rather than at
any sentence, and how far the chosen sentence beats it is a feature of the answerability model. The matrix starts at the identity and
is fitted on training questions with their evidence sentences (``evaluation/fitting.py``), with a
penalty that keeps it near the identity. It belongs to one corpus and one encoder: the file records
both, and an adapter fitted for another corpus or model is not used (the identity is, with a
warning that says how to refit).
"""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError
from .answerability import REFIT_COMMAND  # one command fits both
from ..files import write_bytes_atomic

log = logging.getLogger(__name__)

ADAPTER_SCHEMA = 2
DEFAULT_ADAPTER_FILE = "query_adapter.npz"


class QueryAdapter:
    """Settings (the fitted matrix, None for the identity) in ``__init__``, a question vector in ``run``."""

    def __init__(self, matrix: np.ndarray | None = None, meta: dict[str, Any] | None = None,
                 null_vector: np.ndarray | None = None, null_bias: float = 0.0) -> None:
        self.matrix = None if matrix is None else np.ascontiguousarray(matrix, dtype=np.float32)
        self.null_vector = None if null_vector is None else np.asarray(null_vector, dtype=np.float32)
        self.null_bias = float(null_bias)
        self.meta = dict(meta or {})

    @classmethod
    def identity(cls) -> "QueryAdapter":
        return cls(None)

    @property
    def is_identity(self) -> bool:
        return self.matrix is None

    def run(self, vector: np.ndarray) -> np.ndarray:
        if self.matrix is None:
            return vector
        v = self.matrix @ np.asarray(vector, dtype=np.float32)
        norm = float(np.linalg.norm(v))
        return v / norm if norm > 0 else v

    def null_score(self, adapted: np.ndarray) -> float:
        """How strongly an adapted question vector points at "the article does not say", on the scale
        of a sentence's cosine (0 without a fitted adapter)."""
        if self.null_vector is None:
            return 0.0
        return float(self.null_vector @ adapted) + self.null_bias

    def run_many(self, vectors: np.ndarray) -> np.ndarray:
        if self.matrix is None:
            return vectors
        v = np.asarray(vectors, dtype=np.float32) @ self.matrix.T
        norms = np.linalg.norm(v, axis=1, keepdims=True)
        return v / np.where(norms > 0, norms, 1.0)

    def save(self, path: str | Path) -> None:
        """Write the matrix and its record (a JSON string) to ``path`` (.npz), atomically."""
        buf = io.BytesIO()
        dim = 0 if self.matrix is None else self.matrix.shape[0]
        np.savez_compressed(buf, matrix=self.matrix if self.matrix is not None else np.zeros((0, 0), np.float32),
                            null_vector=self.null_vector if self.null_vector is not None else np.zeros(dim, np.float32),
                            null_bias=np.array(self.null_bias, dtype=np.float64),
                            meta=np.array(json.dumps(self.meta, sort_keys=True)))
        write_bytes_atomic(Path(path), buf.getvalue())


def load_query_adapter(path: str | Path | None, corpus_hash: str | None, model_fingerprint: str | None) -> QueryAdapter:
    """The adapter in ``path`` when it was fitted for this corpus and encoder; the identity otherwise
    (no file: silently; another corpus: logged at info, as ``build`` and ``serve`` say it; another
    encoder: with a warning naming the refit command)."""
    if path is None or not Path(path).exists():
        return QueryAdapter.identity()
    try:
        with np.load(Path(path), allow_pickle=False) as data:
            matrix, meta = data["matrix"], json.loads(str(data["meta"]))
            null_vector, null_bias = data["null_vector"], float(data["null_bias"])
    except (OSError, KeyError, ValueError) as exc:
        raise ConfigError(f"Cannot read the query adapter {path} ({exc}). Refit it: {REFIT_COMMAND}") from exc
    if meta.get("schema") != ADAPTER_SCHEMA:
        raise ConfigError(f"The query adapter {path} has schema {meta.get('schema')!r}, this code reads "
                          f"{ADAPTER_SCHEMA}. Refit it: {REFIT_COMMAND}")
    if meta.get("corpus_hash") != corpus_hash:
        # Another article: expected, and said in one line by `build` and `serve` (cli/common.unfitted_notice).
        log.info("The query adapter %s was fitted for another corpus; questions are not adapted.", path)
        return QueryAdapter.identity()
    if meta.get("model_fingerprint") != model_fingerprint:
        log.warning("The query adapter %s was fitted for another encoder; questions are not adapted. "
                    "Refit it: %s", path, REFIT_COMMAND)
        return QueryAdapter.identity()
    if (matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or null_vector.shape != (matrix.shape[0],)
            or not (np.isfinite(matrix).all() and np.isfinite(null_vector).all())):
        raise ConfigError(f"The query adapter {path} holds no square finite matrix and matching null vector. "
                          f"Refit it: {REFIT_COMMAND}")
    return QueryAdapter(matrix, meta, null_vector, null_bias)
