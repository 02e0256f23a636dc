"""The onnx backend: onnxruntime + tokenizers on the model's ONNX export. Imports no torch.

The export (``onnx_export.py``) is made once per index directory from the local weights, and the
session is created from it: weights as external data (mapped, not copied: a smaller and faster
load), one intra-op thread (a question is ~20 word pieces; a second thread only adds
synchronisation, and concurrent requests each run on their own core). Batches of many texts (index
builds, ``ask_many``) are spread over the cores by running sub-batches in parallel instead.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import numpy as np

from .model_files import mean_piece_vectors, model_fingerprint, resolve_model
from .onnx_export import ensure_export
from .onnx_runtime import SESSION_THREADS, OnnxRuntime

log = logging.getLogger(__name__)


class OnnxEncoder:
    """``OnnxEncoder(model, export_root).encode(texts) -> float32 array (n, dim)``.

    The export under ``export_root`` is checked (settings and checksums), made when missing or
    stale, and loaded on first use, once.
    """

    backend = "onnx"

    def __init__(self, model: str | None, export_root: Path, batch_size: int = 64, threads: int = SESSION_THREADS):
        self.model_location, self.model_name = resolve_model(model)
        self.export_root = Path(export_root)
        self.batch_size = batch_size
        self.threads = threads
        self._runtime: OnnxRuntime | None = None
        self._meta: dict[str, Any] | None = None
        self.export_dir: Path | None = None
        self._lock = threading.Lock()

    @property
    def runtime(self) -> OnnxRuntime:
        if self._runtime is None:
            with self._lock:
                if self._runtime is None:
                    self.export_dir, self._meta = ensure_export(self.model_name, self.model_location, self.export_root)
                    log.info("loading ONNX encoder %s from %s", self.model_name, self.export_dir)
                    self._runtime = OnnxRuntime(self.export_dir, self._meta, self.threads)
        return self._runtime

    @property
    def dimension(self) -> int:
        return self.runtime.dimension

    @property
    def max_tokens(self) -> int:
        return self.runtime.max_tokens

    def fingerprint(self) -> str:
        return model_fingerprint(self.model_name, self.model_location)

    def manifest_record(self) -> dict:
        self.runtime  # noqa: B018 - the export is made (or checked) first
        assert self._meta is not None
        return {"backend": self.backend, "export": self._meta["settings"],
                "files": {name: f["sha256"] for name, f in sorted(self._meta["files"].items())}}

    def count_tokens(self, text: str) -> int:
        rt = self.runtime
        return len(rt.plain.encode(rt._prepare([text])[0], add_special_tokens=True).ids)

    def tokenize(self, text: str) -> list[str]:
        rt = self.runtime
        return list(rt.plain.encode(rt._prepare([text])[0], add_special_tokens=False).tokens)

    def static_word_vectors(self, words: list[str]) -> np.ndarray | None:
        rt = self.runtime
        ids = [e.ids for e in rt.plain.encode_batch(rt._prepare(list(words)), add_special_tokens=False)]
        return mean_piece_vectors(rt.word_table, ids)

    def encode(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self.runtime.encode(list(texts), batch_size or self.batch_size)

    def encode_one(self, text: str) -> np.ndarray:
        return self.runtime.run([text])[0]

    def encode_tokens(self, texts: list[str]) -> list[tuple[tuple[str, ...], np.ndarray]]:
        return self.runtime.encode_tokens(list(texts), self.batch_size)
