"""QAEngine: the one place that wires corpus, index, retrieval and answering together.

    >>> from colnato_qa import QAEngine
    >>> engine = QAEngine.load()                       # builds index/ when missing or stale
    >>> engine.ask("When was the ITPP signed?").to_dict()["answer"]
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import index_store
from .answering import SentenceSelector, confidence, idf, meta_answer, meta_intent
from .corpus import Document, corpus_hash, load_corpus
from .embedding import Embedder, resolve_model
from .errors import ColnatoError, IndexStoreError
from .index_store import IndexData, StaleIndex
from .indexing import build_index, expected_manifest
from .question import EXPANSION, ReadQuestion, answer_type, expansion_terms, read_question, validate_history, validate_question
from .retrieval.bm25 import BM25Retriever
from .retrieval.dense import DenseRetriever
from .retrieval.sentences import SentenceRetriever
from .retrieval.fusion import fused_order, reciprocal_rank_fusion
from .settings import DEFAULT_CORPUS_DIR, DEFAULT_INDEX_DIR, Settings, load_settings
from .text import STOPWORDS, content_terms, strip_possessive, surface_forms, words
from .types import Answer, Citation, Passage, Span
from .vocabulary import Vocabulary, soft_credit

log = logging.getLogger(__name__)

_WORD_RE = re.compile(r"[A-Za-z]+")

# How many hits each retriever contributes to fusion before the top_k passages are taken.
FUSION_DEPTH = 20
# In a follow-up, words that came from earlier turns count this much in choosing the answer sentence.
CARRIED_TERM_WEIGHT = 0.6


@dataclass
class _State:
    """An immutable snapshot of what answers are computed from; swapped whole on rebuild."""

    documents: list[Document]
    data: IndexData
    dense: DenseRetriever
    bm25: BM25Retriever
    doc_meta: dict[str, dict[str, str]]
    meta_passages: list[Passage]
    generation: str
    embedder: Embedder | None = None
    _sentence_terms: dict[int, list[set[str]]] = field(default_factory=dict)
    _vocabulary: Vocabulary | None = None
    sentences: SentenceRetriever | None = None

    @classmethod
    def create(cls, documents: list[Document], data: IndexData, embedder: Embedder | None = None,
               sentence_search_limit: int = 0) -> "_State":
        sentences = None
        if 0 < len(data.sentence_vectors) <= sentence_search_limit:
            sentences = SentenceRetriever(data.sentence_vectors, data.window_vectors, data.sentence_offsets)
        return cls(
            sentences=sentences,
            embedder=embedder,
            documents=documents,
            data=data,
            dense=DenseRetriever(data.faiss_index),
            bm25=BM25Retriever(data.bm25),
            doc_meta={d.doc_id: dict(d.metadata) for d in documents},
            meta_passages=[p for p in data.passages if not p.searchable],
            generation=str(data.manifest.get("generation") or data.manifest.get("built_at") or id(data)),
        )

    @property
    def vocabulary(self) -> Vocabulary:
        """The corpus's words for soft matching; built on first use."""
        if self._vocabulary is None:
            corpus_words: set[str] = set()
            for i in self.data.searchable:
                corpus_words.update(strip_possessive(w) for w in words(self.data.passages[i].index_text))
            self._vocabulary = Vocabulary(corpus_words, self.embedder)
        return self._vocabulary

    def passage(self, row: int) -> Passage:
        return self.data.passages[self.data.searchable[row]]

    def _of_row(self, vectors: np.ndarray, row: int) -> np.ndarray:
        """The slice of a per-sentence array that holds row ``row``'s sentences."""
        off = self.data.sentence_offsets
        return vectors[int(off[row]):int(off[row + 1])]

    def sentence_vectors(self, row: int) -> np.ndarray:
        return self._of_row(self.data.sentence_vectors, row)

    def window_vectors(self, row: int) -> np.ndarray:
        return self._of_row(self.data.window_vectors, row)

    def sentence_terms(self, row: int) -> list[set[str]]:
        terms = self._sentence_terms.get(row)
        if terms is None:
            terms = [set(content_terms(s)) for s in self.passage(row).sentence_texts()]
            self._sentence_terms[row] = terms
        return terms


class _LRU:
    def __init__(self, size: int):
        self.size = size
        self._data: OrderedDict[Any, Answer] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Answer | None:
        if not self.size:
            return None
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: Any, value: Answer) -> None:
        if not self.size:
            return
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


class QAEngine:
    """Answers questions about the corpus with sentences quoted from it, or declines."""

    def __init__(self, state: _State, embedder: Embedder, settings: Settings,
                 corpus_dir: Path | None = None, index_dir: Path | None = None, _shared: dict | None = None):
        self._shared = _shared if _shared is not None else {"state": state, "lock": threading.Lock()}
        self.embedder = embedder
        self.settings = settings
        self.corpus_dir = corpus_dir
        self.index_dir = index_dir
        self._selector = SentenceSelector()
        self._cache = _LRU(settings.cache_size)

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, corpus_dir: str | os.PathLike[str] | None = None, index_dir: str | os.PathLike[str] | None = None,
             settings: Settings | None = None, *, rebuild: bool = False, warm_up: bool = True,
             embedder: Embedder | None = None) -> "QAEngine":
        """Load the index for the corpus, building it when missing, stale or damaged."""
        corpus_dir = Path(corpus_dir) if corpus_dir is not None else DEFAULT_CORPUS_DIR
        index_dir = Path(index_dir) if index_dir is not None else DEFAULT_INDEX_DIR
        settings = settings or load_settings()
        index_store.check_index_dir(index_dir)
        documents = load_corpus(corpus_dir)
        if embedder is None or embedder.model_name != resolve_model(settings.model)[1]:
            embedder = Embedder(settings.model)
        data = cls._load_or_build(documents, embedder, settings, index_dir, rebuild=rebuild)
        engine = cls(_State.create(documents, data, embedder, settings.approximate_above), embedder, settings, corpus_dir, index_dir)
        _limit_blas_threads()  # after faiss, torch and numpy have loaded their BLAS libraries
        if warm_up:
            embedder.encode(["warm up"])
        return engine

    @staticmethod
    def _load_or_build(documents: list[Document], embedder: Embedder, settings: Settings, index_dir: Path,
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
              settings: Settings | None = None, force: bool = False, embedder: Embedder | None = None) -> "QAEngine":
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
            self._shared["state"] = _State.create(documents, data, self.embedder, self.settings.approximate_above)
        return True

    def variant(self, *, retrieval: str | None = None, answer_mode: str | None = None,
                threshold: float | None = None, **changes: Any) -> "QAEngine":
        """A new engine with other settings that shares this one's model and index."""
        if retrieval is not None:
            changes["retrieval"] = retrieval
        if answer_mode is not None:
            changes["answer_mode"] = answer_mode
        if threshold is not None:
            changes["abstain_threshold"] = threshold
        return QAEngine(self._state, self.embedder, self.settings.replace(**changes), self.corpus_dir,
                        self.index_dir, _shared=self._shared)

    # ------------------------------------------------------------------ views
    @property
    def _state(self) -> _State:
        return self._shared["state"]

    @property
    def manifest(self) -> dict[str, Any]:
        return dict(self._state.data.manifest)

    @property
    def documents(self) -> list[Document]:
        return list(self._state.documents)

    @property
    def passages(self) -> list[Passage]:
        return list(self._state.data.passages)

    # ------------------------------------------------------------------ asking
    def ask(self, question: str, history: list | None = None) -> Answer:
        """Answer ``question``; ``history`` is earlier turns (strings or {"role", "content"})."""
        s = self.settings
        q = validate_question(question, s.max_question_chars)
        turns = validate_history(history, s.max_question_chars)
        used = tuple(turns[-s.history_turns_used:]) if s.history_turns_used else ()
        state = self._state
        key = (q, used, state.generation)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        answer = self._answer(q, self._read(q, list(used), state), state)
        self._cache.put(key, answer)
        return answer

    def ask_many(self, items: list[tuple[str, list | None]], batch_size: int = 32) -> list[Answer]:
        """Answer many (question, history) pairs, encoding the questions in batches.

        Every item is validated first: a bad one raises before anything is answered.
        """
        s = self.settings
        prepared = []
        for question, history in items:
            q = validate_question(question, s.max_question_chars)
            turns = validate_history(history, s.max_question_chars)
            prepared.append((q, tuple(turns[-s.history_turns_used:]) if s.history_turns_used else ()))
        state = self._state
        reads = [self._read(q, list(used), state) for q, used in prepared]
        todo = sorted({r.text for r in reads if not meta_intent(r.text)})
        vectors = dict(zip(todo, self.embedder.encode(todo, batch_size=batch_size))) if todo else {}
        out = []
        for (q, used), read in zip(prepared, reads):
            key = (q, used, state.generation)
            answer = self._cache.get(key)
            if answer is None:
                answer = self._answer(q, read, state, q_vec=vectors.get(read.text))
                self._cache.put(key, answer)
            out.append(answer)
        return out

    def _previous_answer(self, turns: list) -> Callable[[], str | None]:
        """Lazily, the answer to the last user turn: the assistant's reply when the history holds one,
        else this engine's own answer to it (usually a cache hit: it was just asked)."""

        def get() -> str | None:
            last_user = max((i for i, t in enumerate(turns) if t.role == "user"), default=None)
            if last_user is None:
                return None
            if last_user + 1 < len(turns) and turns[last_user + 1].role == "assistant":
                return turns[last_user + 1].content
            try:
                return self.ask(turns[last_user].content, [{"role": t.role, "content": t.content}
                                                           for t in turns[:last_user]]).answer
            except ColnatoError:
                return None

        return get

    def _read(self, q: str, turns: list, state: _State) -> ReadQuestion:
        """How the question is read: follow-up resolved against the history, typos corrected."""
        read = read_question(q, turns, self.settings.history_turns_used, self._previous_answer(turns))
        return self._spell_checked(read, state)

    def _answer(self, q: str, read: ReadQuestion, state: _State, q_vec: np.ndarray | None = None) -> Answer:
        """The answer to ``q`` as ``read``; ``q_vec`` is ``read.text``'s vector when already encoded."""
        s = self.settings
        t0 = time.perf_counter()
        intent = meta_intent(read.text)
        if intent:
            found = meta_answer(intent, state.meta_passages, state.doc_meta)
            if found is not None:
                passage, span = found
                return Answer(question=q, answer=passage.text[span.start:span.end], abstained=False,
                              confidence=0.95, citations=(Citation(passage, 1.0, span),),
                              interpreted_as=read.interpreted_as, debug={"meta": intent})
            # A question about the article whose answer its metadata does not hold (e.g. no date).
            return Answer(q, None, True, 0.0, tuple(Citation(p, 0.0) for p in state.meta_passages),
                          read.interpreted_as, {"meta": intent})
        if q_vec is None:
            q_vec = self.embedder.encode_one(read.text)
        t_enc = time.perf_counter()
        rows = self._retrieve(read.text, q_vec, state)
        passage_cos = {r: float(state.data.passage_vectors[r] @ q_vec) for r in rows}
        kind = answer_type(read.text)
        terms = list(dict.fromkeys(content_terms(read.text)))
        if kind == EXPANSION:
            framing = expansion_terms(read.text)
            terms = [t for t in terms if t not in framing]
        n_docs = max(state.bm25.n_docs, 1)
        dfs = {t: state.bm25.df(t) for t in terms}
        weights = {t: idf(dfs[t], n_docs) for t in terms}
        total = sum(weights.values())
        vocab_cov = self._vocabulary_coverage(read.text, weights, dfs, state) if total > 0 else 0.0
        related = tuple(Citation(state.passage(r), passage_cos[r]) for r in rows)
        debug: dict[str, Any] = {"query": read.text, "answer_type": kind, "terms": terms, "rows": rows}
        if not rows:
            return Answer(q, None, True, 0.0, related, read.interpreted_as, debug)
        # Words carried over from earlier turns locate the passage; the follow-up's own words choose the sentence.
        carried = set(content_terms(read.context)) - set(content_terms(q)) if read.context else set()
        select_weights = {t: (w * CARRIED_TERM_WEIGHT if t in carried else w) for t, w in weights.items()}
        candidates = self._selector.run(
            kind=kind, question=read.text, terms=terms, term_weights=select_weights, vocab_coverage=vocab_cov, q_vec=q_vec, rows=rows,
            passages=[state.passage(r) for r in rows], passage_cos=passage_cos,
            sentence_vectors=[state.sentence_vectors(r) for r in rows],
            window_vectors=[state.window_vectors(r) for r in rows],
            sentence_terms=[state.sentence_terms(r) for r in rows])
        if not candidates:
            return Answer(q, None, True, 0.0, related, read.interpreted_as, debug)
        best = candidates[0]
        conf = confidence(best.features)
        debug.update({"features": best.features, "encode_ms": (t_enc - t0) * 1000,
                      "total_ms": (time.perf_counter() - t0) * 1000})
        if conf < s.abstain_threshold:
            return Answer(q, None, True, conf, related, read.interpreted_as, debug)
        if s.answer_mode == "passage":
            span = Span(0, len(best.passage.text))
        else:
            span = best.span
        first = Citation(best.passage, passage_cos[best.row], span)
        rest = tuple(c for c in related if c.passage.passage_id != best.passage.passage_id)
        return Answer(q, best.passage.text[span.start:span.end], False, conf, (first,) + rest,
                      read.interpreted_as, debug)

    @staticmethod
    def _spell_checked(read: ReadQuestion, state: _State) -> ReadQuestion:
        """Correct words the corpus lacks that are one slip away from a corpus word ("partnerhsip").

        Left alone: words whose stem the corpus holds ("leaders" when it says "leader"), and words the
        model's tokenizer knows whole (real English words such as "capital", absent or not)."""
        if state.embedder is None:
            return read
        vocab = state.vocabulary
        tokenizer = state.embedder.model.tokenizer

        def fix(m: re.Match[str]) -> str:
            w = m.group(0)
            low = w.lower()
            if low in STOPWORDS or low in vocab or any(state.bm25.df(t) > 0 for t in content_terms(low)):
                return w
            if len(tokenizer.tokenize(low)) == 1:
                return w
            c = vocab.correct(low)
            if c is None:
                return w
            return c.capitalize() if w[0].isupper() else c

        text = _WORD_RE.sub(fix, read.text)
        if text == read.text:
            return read
        return ReadQuestion(text, text, read.context)

    @staticmethod
    def _vocabulary_coverage(text: str, weights: dict[str, float], dfs: dict[str, int], state: _State) -> float:
        """IDF-weighted share of the question's words the corpus holds; an absent word earns partial
        credit when a corpus word is close to it (static word vectors, no encoder pass)."""
        surface = surface_forms(text)
        have = 0.0
        for t, w in weights.items():
            if dfs[t] > 0:
                have += w
            elif state.embedder is not None:
                have += w * soft_credit(state.vocabulary.similarity(surface.get(t, t)))
        return have / sum(weights.values())

    def _retrieve(self, text: str, q_vec: np.ndarray, state: _State) -> list[int]:
        s = self.settings
        depth = FUSION_DEPTH
        if s.retrieval == "dense":
            order = [h.row for h in state.dense.search(text, q_vec, s.top_k)]
        elif s.retrieval == "bm25":
            order = [h.row for h in state.bm25.search(text, None, s.top_k)]
        else:
            rankings = [[h.row for h in state.dense.search(text, q_vec, depth)],
                        [h.row for h in state.bm25.search(text, None, depth)]]
            if state.sentences is not None:
                rankings.append([h.row for h in state.sentences.search(text, q_vec, depth)])
            order = fused_order(reciprocal_rank_fusion(rankings, k=s.rrf_k))
        return [int(r) for r in order[: s.top_k]]


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
    """The index on disk, even for another corpus, when its vectors can be reused (same model)."""
    loose = {k: v for k, v in expected.items() if k in ("format_version", "model", "model_fingerprint")}
    try:
        return index_store.load(index_dir, loose)
    except (StaleIndex, IndexStoreError):
        return None
