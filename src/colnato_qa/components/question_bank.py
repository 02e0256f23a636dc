"""The question bank: questions people asked, each tied to the article sentence that answers it (or to
"the article does not say"), matched question to question: MiniLM's strength.

``QuestionBank(vectors, rows).run(vector, n_sentences) -> BankMatch``: for every sentence of the index,
the best cosine between the question and a bank question answered by that sentence; and the best cosine
to any answerable and to any unanswerable bank question. The bank is written by ``colnato-qa fit`` from
training questions (a follow-up as read with its earlier question) and belongs to one corpus and one encoder, like the query
adapter: a bank fitted for another corpus or model is not used (the empty bank is, with a warning).
Vectors are the encoder's own (not adapted): two wordings of one question are close there.
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..files import write_bytes_atomic
from .answerability import REFIT_COMMAND

log = logging.getLogger(__name__)

BANK_SCHEMA = 1
DEFAULT_BANK_FILE = "question_bank.npz"
UNANSWERABLE = -1


@dataclass(frozen=True)
class BankMatch:
    """What the bank says about one question."""

    sentence_scores: np.ndarray     # per sentence of the index: best cosine to a bank question it answers (0 if none)
    answerable: float               # best cosine to any answerable bank question (0 for an empty bank)
    unanswerable: float             # best cosine to any unanswerable bank question (0 for none)

    @property
    def margin(self) -> float:
        """How much closer the question is to an answerable bank question than to an unanswerable one."""
        return self.answerable - self.unanswerable


class QuestionBank:
    """Settings (the bank's question vectors and the sentence row each is answered by) in ``__init__``,
    a question's vector in ``run``."""

    def __init__(self, vectors: np.ndarray | None = None, rows: np.ndarray | None = None,
                 meta: dict[str, Any] | None = None) -> None:
        self.vectors = np.zeros((0, 0), np.float32) if vectors is None else np.ascontiguousarray(vectors, np.float32)
        self.rows = np.zeros(0, np.int64) if rows is None else np.asarray(rows, np.int64)
        if len(self.vectors) != len(self.rows):
            raise ValueError("a question bank needs one sentence row per question vector")
        self.meta = dict(meta or {})

    @classmethod
    def empty(cls) -> "QuestionBank":
        return cls()

    @property
    def is_empty(self) -> bool:
        return len(self.rows) == 0

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def selector_weight(self) -> float:
        """How much the sentence selector weighs this bank's votes: chosen by ``colnato-qa fit`` on the
        training questions, cross-fitted (a bank of a few questions per sentence can mislead more than it
        helps); 1.0 for a bank fitted before the choice was made."""
        return float(self.meta.get("selector_weight", 1.0))

    def with_selector_weight(self, weight: float) -> "QuestionBank":
        return QuestionBank(self.vectors, self.rows, {**self.meta, "selector_weight": float(weight)})

    def without(self, keep: np.ndarray) -> "QuestionBank":
        """The bank restricted to the questions where ``keep`` is true (cross-fitting leaves some out)."""
        return QuestionBank(self.vectors[keep], self.rows[keep], self.meta)

    def run(self, vector: np.ndarray, n_sentences: int) -> BankMatch:
        scores = np.zeros(n_sentences, np.float32)
        if self.is_empty:
            return BankMatch(scores, 0.0, 0.0)
        cos = self.vectors @ np.asarray(vector, np.float32)
        answerable = self.rows >= 0
        if answerable.any():
            np.maximum.at(scores, self.rows[answerable], np.maximum(cos[answerable], 0.0))
        return BankMatch(scores, float(cos[answerable].max()) if answerable.any() else 0.0,
                         float(cos[~answerable].max()) if (~answerable).any() else 0.0)

    def save(self, path: str | Path) -> None:
        buf = io.BytesIO()
        np.savez_compressed(buf, vectors=self.vectors, rows=self.rows, meta=np.array(json.dumps(self.meta, sort_keys=True)))
        write_bytes_atomic(Path(path), buf.getvalue())


def load_question_bank(path: str | Path | None, corpus_hash: str | None, model_fingerprint: str | None) -> QuestionBank:
    """The bank in ``path`` when it was made for this corpus and encoder; the empty bank otherwise (no file:
    silently; another corpus: logged at info, as ``build`` and ``serve`` say it; another encoder: with a
    warning naming the refit command)."""
    if path is None or not Path(path).exists():
        return QuestionBank.empty()
    try:
        with np.load(Path(path), allow_pickle=False) as data:
            vectors, rows, meta = data["vectors"], data["rows"], json.loads(str(data["meta"]))
    except (OSError, KeyError, ValueError) as exc:
        raise ConfigError(f"Cannot read the question bank {path} ({exc}). Refit it: {REFIT_COMMAND}") from exc
    if meta.get("schema") != BANK_SCHEMA:
        raise ConfigError(f"The question bank {path} has schema {meta.get('schema')!r}, this code reads "
                          f"{BANK_SCHEMA}. Refit it: {REFIT_COMMAND}")
    if meta.get("corpus_hash") != corpus_hash:
        # Another article: expected, and said in one line by `build` and `serve` (cli/common.unfitted_notice).
        log.info("The question bank %s was made for another corpus; it is not used.", path)
        return QuestionBank.empty()
    if meta.get("model_fingerprint") != model_fingerprint:
        log.warning("The question bank %s was made for another encoder; it is not used. Refit it: %s",
                    path, REFIT_COMMAND)
        return QuestionBank.empty()
    if vectors.ndim != 2 or len(vectors) != len(rows) or not np.isfinite(vectors).all():
        raise ConfigError(f"The question bank {path} is damaged (vectors and rows disagree). Refit it: {REFIT_COMMAND}")
    return QuestionBank(vectors, rows, meta)
