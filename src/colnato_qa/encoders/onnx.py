"""The onnx backend: onnxruntime + tokenizers on the model's ONNX export. Imports no torch.

The export (``onnx_export.py``) is made once per index directory from the local weights, and the
session is created from it: weights as external data (mapped, not copied: a smaller and faster
load), one intra-op thread (a question is ~20 word pieces; a second thread only adds
synchronisation, and concurrent requests each run on their own core). Batches of many texts (index
builds, ``ask_many``) are spread over the cores by running sub-batches in parallel instead.
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from .model_files import mean_piece_vectors, model_fingerprint, resolve_model
from .onnx_export import GRAPH, ensure_export

log = logging.getLogger(__name__)

# Intra-op threads of the session (see the module docstring and docs/scaling.md, "Encoder").
SESSION_THREADS = 1


class OnnxRuntime:
    """An inference session and the tokenizers of one export directory."""

    def __init__(self, directory: Path, meta: dict[str, Any], threads: int = SESSION_THREADS):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        settings = meta["settings"]
        self.dimension = int(meta["dimension"])
        self.max_tokens = int(settings["max_seq_length"])
        self.lowercase = bool(settings.get("lowercase"))
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(directory / GRAPH), options, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]
        # Two tokenizers: one as the encoder reads text (truncated, padded to the longest in a batch),
        # one for counting and splitting words (neither truncated nor padded).
        self.plain = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.plain.no_truncation()
        self.plain.no_padding()
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        padding = self.tokenizer.padding or {}
        self.tokenizer.enable_padding(pad_id=int(padding.get("pad_id", 0)), pad_type_id=int(padding.get("pad_type_id", 0)),
                                      pad_token=str(padding.get("pad_token", "[PAD]")))
        self.tokenizer.enable_truncation(max_length=self.max_tokens, strategy="longest_first")
        self.word_table = np.load(directory / "word_embeddings.npy", mmap_mode="r")
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def _prepare(self, texts: list[str]) -> list[str]:
        return [t.lower() for t in texts] if self.lowercase else list(texts)

    def run(self, texts: list[str]) -> np.ndarray:
        """One session call on one batch."""
        encodings = self.tokenizer.encode_batch(self._prepare(texts))
        feed = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        return self.session.run(None, {name: feed[name] for name in self.inputs})[0]

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        if len(texts) <= batch_size:
            return np.ascontiguousarray(self.run(texts), dtype=np.float32)
        # Longest first, in batches of similar length (little padding), batches run in parallel.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for rows, vectors in zip(batches, self._executor().map(lambda b: self.run([texts[i] for i in b]), batches)):
            out[rows] = vectors
        return out

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="onnx-encode")
            return self._pool


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
