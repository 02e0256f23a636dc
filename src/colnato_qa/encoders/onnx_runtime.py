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

# Pieces the tokenizer adds, not the text's own: left out of the token vectors.
SPECIAL_TOKENS = frozenset({"[CLS]", "[SEP]", "[PAD]", "<s>", "</s>", "<pad>"})
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
        return self._session_run(self.tokenizer.encode_batch(self._prepare(texts)))[0]

    def run_tokens(self, texts: list[str]) -> list[tuple[tuple[str, ...], np.ndarray]]:
        """Each text's word pieces and their vectors (L2-normalised), without [CLS], [SEP] and padding."""
        encodings = self.tokenizer.encode_batch(self._prepare(texts))
        hidden = self._session_run(encodings)[1]
        return [token_vectors(e.tokens, e.attention_mask, h) for e, h in zip(encodings, hidden)]

    def encode_tokens(self, texts: list[str], batch_size: int) -> list[tuple[tuple[str, ...], np.ndarray]]:
        """``run_tokens`` over batches of similar length, run in parallel (as ``encode``)."""
        if len(texts) <= batch_size:
            return self.run_tokens(texts)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
        out: list[Any] = [None] * len(texts)
        for rows, encoded in zip(batches, self._executor().map(lambda b: self.run_tokens([texts[i] for i in b]), batches)):
            for i, item in zip(rows, encoded):
                out[i] = item
        return out

    def _session_run(self, encodings: list) -> list[np.ndarray]:
        feed = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        return self.session.run(None, {name: feed[name] for name in self.inputs})

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


def token_vectors(pieces: list[str], mask: list[int], hidden: np.ndarray) -> tuple[tuple[str, ...], np.ndarray]:
    """The real word pieces of one encoded text (no special tokens, no padding) and their unit vectors."""
    keep = [i for i, (p, m) in enumerate(zip(pieces, mask)) if m and p not in SPECIAL_TOKENS]
    vectors = np.asarray(hidden, dtype=np.float32)[keep]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return tuple(pieces[i] for i in keep), vectors / np.maximum(norms, 1e-12)
