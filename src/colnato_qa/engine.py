"""QAEngine: loads the corpus and its index, and answers questions with the answering pipeline (pipeline.py).

    >>> from colnato_qa import QAEngine
    >>> engine = QAEngine.load()                       # builds index/ when missing or stale
    >>> engine.ask("When was the ITPP signed?").to_dict()["answer"]

The engine keeps what outlives one question: the index snapshot (swapped whole on rebuild), the order of a
conversation's turns, the answer cache and the variants that share the model and the index.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from cachetools import LRUCache

from . import index_store
from .components.answerability import AnswerabilityModel
from .components.query_adapter import QueryAdapter, load_query_adapter
from .components.question_bank import QuestionBank, load_question_bank
from .components.reader import EarlierTurn, QuestionReader
from .components.retriever import HybridRetriever
from .components.selector import SentenceSelector
from .components.short_answer import ParsedText
from .corpus import Document, corpus_hash, load_corpus
from .encoders import Encoder, make_encoder, resolve_model
from .errors import ColnatoError, IndexStoreError
from .index_store import IndexData, StaleIndex
from .indexing import build_index, expected_manifest
from .pipeline import ANY_ARTICLE_QUESTIONS, AnsweringPipeline  # noqa: F401 - ANY_ARTICLE_QUESTIONS re-exported
from .question import ReadQuestion
from .request import AskRequest, HistoryTurn
from .settings import DEFAULT_CORPUS_DIR, DEFAULT_INDEX_DIR, Settings, load_settings
from .state import IndexState
from .types import Answer, Passage

log = logging.getLogger(__name__)


class QAEngine:
    """Answers questions about the corpus with sentences quoted from it, or declines."""

    def __init__(self, state: IndexState, embedder: Encoder, settings: Settings,
                 corpus_dir: Path | None = None, index_dir: Path | None = None, _shared: dict | None = None,
                 answerability: AnswerabilityModel | None = None, selector: SentenceSelector | None = None,
                 reader: QuestionReader | None = None, retriever: HybridRetriever | None = None,
                 query_adapter: QueryAdapter | None = None, question_bank: QuestionBank | None = None,
                 threshold_override: float | None = None):
        self._shared = _shared if _shared is not None else {"state": state, "lock": threading.Lock()}
        self.embedder = embedder
        self.settings = settings
        self.corpus_dir = corpus_dir
        self.index_dir = index_dir
        manifest = self._state.data.manifest
        adapter = query_adapter or load_query_adapter(settings.query_adapter, manifest.get("corpus_hash"),
                                                      manifest.get("model_fingerprint"))
        bank = question_bank if question_bank is not None else load_question_bank(
            settings.question_bank, manifest.get("corpus_hash"), manifest.get("model_fingerprint"))
        self._pipeline = AnsweringPipeline(settings, embedder, reader=reader, retriever=retriever, selector=selector,
                                           answerability=answerability, adapter=adapter, bank=bank,
                                           threshold_override=threshold_override)
        # Answers by (question, turns used, index generation); None when caching is off.
        self._cache: LRUCache | None = LRUCache(settings.cache_size) if settings.cache_size else None
        self._cache_lock = threading.Lock()

    @property
    def fitted_for_corpus(self) -> bool:
        """Whether the query adapter or the question bank in use were fitted for this corpus and encoder."""
        return self._pipeline.fitted_for_corpus

    @property
    def reads_alignment(self) -> bool:
        """Whether the answerability model in use reads the word alignment (components/alignment.py)."""
        return self._pipeline.answerability.reads_alignment

    @property
    def abstain_threshold(self) -> float:
        """Below this confidence the engine declines (see AnsweringPipeline.abstain_threshold)."""
        return self._pipeline.abstain_threshold

    @property
    def fitted_artefacts(self) -> dict[str, Any]:
        """What the answers rest on, for /healthz and reports (see AnsweringPipeline.fitted_artefacts)."""
        return self._pipeline.fitted_artefacts

    @property
    def suggested_questions(self) -> tuple[str, ...]:
        """Questions offered with a reply that quotes nothing (see AnsweringPipeline.suggested_questions)."""
        return self._pipeline.suggested_questions

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, corpus_dir: str | os.PathLike[str] | None = None, index_dir: str | os.PathLike[str] | None = None,
             settings: Settings | None = None, *, rebuild: bool = False, warm_up: bool = True,
             embedder: Encoder | None = None, answerability: AnswerabilityModel | None = None,
             query_adapter: QueryAdapter | None = None, question_bank: QuestionBank | None = None) -> "QAEngine":
        """Load the index for the corpus, building it when missing, stale or damaged. ``answerability``
        and ``query_adapter`` replace the fitted ones of the settings (``colnato-qa fit`` passes a
        neutral model and the identity)."""
        corpus_dir = Path(corpus_dir) if corpus_dir is not None else DEFAULT_CORPUS_DIR
        index_dir = Path(index_dir) if index_dir is not None else DEFAULT_INDEX_DIR
        settings = settings or load_settings()
        index_store.check_index_dir(index_dir)
        documents = load_corpus(corpus_dir)
        if (embedder is None or embedder.model_name != resolve_model(settings.model)[1]
                or embedder.backend != settings.encoder):
            embedder = make_encoder(settings.model, settings.encoder, index_dir)
        data = cls._load_or_build(documents, embedder, settings, index_dir, rebuild=rebuild)
        engine = cls(IndexState.create(documents, data, embedder, settings.approximate_above), embedder, settings, corpus_dir,
                     index_dir, answerability=answerability, query_adapter=query_adapter,
                     question_bank=question_bank)
        _limit_blas_threads()  # after faiss, torch and numpy have loaded their BLAS libraries
        if warm_up:
            embedder.encode(["warm up"])
        return engine

    @staticmethod
    def _load_or_build(documents: list[Document], embedder: Encoder, settings: Settings, index_dir: Path,
                       rebuild: bool = False) -> IndexData:
        expected = expected_manifest(documents, embedder, settings.approximate_above)
        if not rebuild:
            try:
                return index_store.load(index_dir, expected)
            except StaleIndex as why:
                if str(why) != "no index built yet":
                    log.warning("index in %s is not usable (%s): rebuilding", index_dir, why)
                else:
                    log.info("no index in %s yet: building it", index_dir)
        try:
            index_dir.mkdir(parents=True, exist_ok=True)
            lock = index_store.build_lock(index_dir)
            lock.acquire()
        except OSError as exc:
            log.warning("index directory %s is not writable (%s): building the index in memory only", index_dir,
                        exc.strerror or exc)
            return build_index(documents, embedder, settings.approximate_above)
        try:
            if not rebuild:  # another process may have built it while we waited for the lock
                try:
                    return index_store.load(index_dir, expected)
                except StaleIndex:
                    pass
            previous = _load_previous(index_dir, expected)
            data = build_index(documents, embedder, settings.approximate_above, previous=previous)
            try:
                data.manifest = index_store.save(index_dir, data)
            except OSError as exc:
                log.warning("cannot write the index to %s (%s): using it from memory only", index_dir,
                            exc.strerror or exc)
            return data
        finally:
            lock.release()

    @classmethod
    def build(cls, corpus_dir: str | os.PathLike[str] | None = None, index_dir: str | os.PathLike[str] | None = None,
              settings: Settings | None = None, force: bool = False, embedder: Encoder | None = None) -> "QAEngine":
        """Build (or, with force, rebuild) the index on disk; returns the loaded engine. Raises
        IndexStoreError when the index could not be written (loading would use it from memory)."""
        engine = cls.load(corpus_dir, index_dir, settings, rebuild=force, warm_up=False, embedder=embedder)
        if not index_store.persisted(engine.index_dir, engine.manifest):
            raise IndexStoreError(
                f"The index was built but could not be written to {engine.index_dir} (see the warning above); "
                "nothing on disk changed. Make the directory writable, or pass --index DIR."
            )
        return engine

    def reload_if_changed(self) -> bool:
        """Rebuild and swap in a new index when the corpus changed on disk. Answers in flight
        finish on the old snapshot; new ones see the new one. Returns True when swapped."""
        if self.corpus_dir is None or self.index_dir is None:
            return False
        documents = load_corpus(self.corpus_dir)
        if corpus_hash(documents) == self.manifest.get("corpus_hash"):
            return False
        data = self._load_or_build(documents, self.embedder, self.settings, self.index_dir)
        with self._shared["lock"]:
            self._shared["state"] = IndexState.create(documents, data, self.embedder, self.settings.approximate_above)
        return True

    def variant(self, *, retrieval: str | None = None, answer_mode: str | None = None,
                threshold: float | None = None, answerability: AnswerabilityModel | None = None,
                selector: SentenceSelector | None = None, reader: QuestionReader | None = None,
                retriever: HybridRetriever | None = None, query_adapter: QueryAdapter | None = None,
                question_bank: QuestionBank | None = None, **changes: Any) -> "QAEngine":
        """A new engine with other settings (or other components) that shares this one's model and index."""
        p = self._pipeline
        if retrieval is not None:
            changes["retrieval"] = retrieval
        if answer_mode is not None:
            changes["answer_mode"] = answer_mode
        if threshold is not None:
            changes["abstain_threshold"] = threshold
        override = threshold if threshold is not None else (
            p.threshold_override if "abstain_threshold" not in changes else None)
        settings = self.settings.replace(**changes)
        if (answerability is None and settings.answerability_model == self.settings.answerability_model
                and settings.general_answerability_model == self.settings.general_answerability_model):
            answerability = p.answerability
        if reader is None and settings.history_turns_used == self.settings.history_turns_used:
            reader = p.reader
        if query_adapter is None and settings.query_adapter == self.settings.query_adapter:
            query_adapter = p.adapter
        if question_bank is None and settings.question_bank == self.settings.question_bank:
            question_bank = p.bank
        return QAEngine(self._state, self.embedder, settings, self.corpus_dir, self.index_dir,
                        _shared=self._shared, answerability=answerability,
                        selector=selector or (p.selector if p.selector_given else None), reader=reader, retriever=retriever,
                        query_adapter=query_adapter, question_bank=question_bank, threshold_override=override)

    # ------------------------------------------------------------------ views
    @property
    def _state(self) -> IndexState:
        return self._shared["state"]

    @property
    def manifest(self) -> dict[str, Any]:
        return dict(self._state.data.manifest)

    @property
    def documents(self) -> list[Document]:
        return list(self._state.documents)

    def sentence_texts(self) -> list[str]:
        """Every sentence of the searchable passages, in the order of the index's sentence vectors."""
        data = self._state.data
        return [t for r in data.searchable for t in data.passages[r].sentence_texts()]

    def sentence_matrices(self) -> tuple[np.ndarray, np.ndarray]:
        """The index's sentence vectors and window vectors (each sentence read with the one before)."""
        data = self._state.data
        return data.sentence_vectors, data.window_vectors

    def passage_parse(self, passage: Passage) -> ParsedText | None:
        """A passage's build-time parse, as the short-answer extractor reads it."""
        return self._state.parse(passage)

    def encode_question(self, question: str, adapted: bool = True, history: Sequence[str] = ()) -> np.ndarray:
        """The vector a question is searched with, asked on its own or after the user turns ``history`` (a follow-up
        read with them); ``adapted=False``: the encoder's own."""
        read = self._read(question, [HistoryTurn("user", h) for h in history], self._state) if history else \
            self._pipeline.read(question, [], self._state)
        vector = self.embedder.encode_one(read.text)
        return self._pipeline.adapter.run(vector) if adapted else vector

    @property
    def passages(self) -> list[Passage]:
        return list(self._state.data.passages)

    # ------------------------------------------------------------------ asking
    def ask(self, question: str, history: list | None = None) -> Answer:
        """Answer ``question``; ``history`` is earlier turns (strings or {"role", "content"}).
        Raises InvalidQuestionError / InvalidHistoryError as ``AskRequest`` defines them."""
        q, used = self._request(question, history)
        state = self._state
        return self._cached((q, used, state.generation),
                            lambda: self._pipeline.run(q, self._read(q, list(used), state), state))

    def ask_many(self, items: list[tuple[str, list | None]], batch_size: int = 32) -> list[Answer]:
        """Answer many (question, history) pairs, encoding the questions in batches.

        Every item is validated first: a bad one raises before anything is answered.
        """
        prepared = [self._request(question, history) for question, history in items]
        state = self._state
        reads = [self._read(q, list(used), state) for q, used in prepared]
        todo = sorted({r.text for r in reads if self._pipeline.needs_encoding(r, state)})
        vectors = dict(zip(todo, self.embedder.encode(todo, batch_size=batch_size))) if todo else {}
        return [self._cached((q, used, state.generation),
                             lambda q=q, read=read: self._pipeline.run(q, read, state, q_vec=vectors.get(read.text)))
                for (q, used), read in zip(prepared, reads)]

    def _request(self, question: Any, history: Any) -> tuple[str, tuple[HistoryTurn, ...]]:
        """The question as validated by AskRequest, and the turns of its history that are read."""
        s = self.settings
        request = AskRequest.parse(question, history, max_question_chars=s.max_question_chars,
                                   max_history_turns=s.max_history_turns)
        turns = request.turns
        return request.question, tuple(turns[-s.history_turns_used:]) if s.history_turns_used else ()

    def _cached(self, key: tuple, compute: Callable[[], Answer]) -> Answer:
        """The cached answer for ``key``, else ``compute()`` (run outside the lock)."""
        if self._cache is None:
            return compute()
        with self._cache_lock:
            answer = self._cache.get(key)
        if answer is None:
            answer = compute()
            with self._cache_lock:
                self._cache[key] = answer
        return answer

    def _read(self, q: str, turns: list, state: IndexState) -> ReadQuestion:
        """How the question is read: typos repaired, a follow-up resolved against the earlier turns (read
        and answered first, only when the question may lean on them)."""
        earlier = self._earlier_turns(turns, state) if self._pipeline.leans_on_history(q, turns, state) else ()
        return self._pipeline.read(q, turns, state, earlier)

    def _earlier_turns(self, turns: list, state: IndexState) -> tuple[EarlierTurn, ...]:
        """The conversation's user turns (the last ``history_turns_used``), oldest first, each read with the
        turns before it and answered, in order: each is read once, and the reader is handed them (it never
        calls back into ``ask``). An answer counts as one only when it is confident
        (``followup_min_confidence``); the assistant's reply that follows a turn in the history, when there
        is one, is the answer's text (what the reader saw)."""
        out: list[EarlierTurn] = []
        users = [i for i, t in enumerate(turns) if t.role == "user"][-self.settings.history_turns_used:]
        for i in users:
            before = tuple(turns[:i])
            content = turns[i].content

            def compute(content: str = content, before: tuple = before) -> Answer:
                return self._pipeline.run(content, self._pipeline.read(content, list(before), state, tuple(out)), state)

            try:
                answered = self._cached((content, before, state.generation), compute)
            except ColnatoError:
                out.append(EarlierTurn(content, None))
                continue
            confident = not answered.abstained and answered.confidence >= self.settings.followup_min_confidence
            text = answered.answer
            if confident and i + 1 < len(turns) and turns[i + 1].role == "assistant" and turns[i + 1].content:
                text = turns[i + 1].content
            # The turn as read (a follow-up with what it was read with, without the "(following up on: ...)" note).
            read = answered.trace.read.text if answered.trace is not None and answered.trace.read is not None else None
            out.append(EarlierTurn(read or answered.interpreted_as or content, text if confident else None))
        return tuple(out)


def _limit_blas_threads() -> None:
    """numpy's BLAS pool (OpenBLAS) and torch's threads contend on a small machine: the vector
    products after the encoder are small, so BLAS gets one thread (measured in benchmarks/README.md:
    ask p50 16.5 -> 8.0 ms at 1k paragraphs)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return
    threadpool_limits(limits=1, user_api="blas")


def _load_previous(index_dir: Path, expected: dict[str, Any]) -> IndexData | None:
    """The index on disk, even for another corpus, when its vectors can be reused (same model and encoder)."""
    loose = {k: v for k, v in expected.items() if k in ("format_version", "model", "model_fingerprint", "encoder")}
    try:
        return index_store.load(index_dir, loose)
    except (StaleIndex, IndexStoreError):
        return None
