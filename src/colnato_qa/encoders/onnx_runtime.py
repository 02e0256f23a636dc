"""One inference session of an ONNX export: onnxruntime and the export's tokenizers. Imports no torch.

Used by the onnx encoder (``onnx.py``) to serve, and by the export (``onnx_export.py``) to check a
new export against torch; it imports neither, so the two never import each other.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

#: The graph file of an export directory.
GRAPH = "model.onnx"

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
