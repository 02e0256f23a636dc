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
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from cachetools import LRUCache

from . import index_store
from .components import metadata
from .components.answerability import AnswerabilityModel, load_answerability
from .components.mentions import Gazetteer
from .components.novelty import CorpusNames, NameNovelty, strip_accents
from .components.reader import EarlierTurn, QuestionReader, ReadingContext
from .components.short_answer_gate import load_short_answer_gate, short_answer_features
from .components.verdict import VerdictReader, is_yes_no, negated
from .components.language import LanguageIdentifier, english_only_reply, proper_names
from .components.query_adapter import QueryAdapter, load_query_adapter
from .components.question_bank import BankMatch, QuestionBank, load_question_bank
from .components.retriever import HybridRetriever, Rankers
from .components.selector import PassageRecord, SelectionQuery, SentenceSelector, idf
from .components.short_answer import ParsedText, ShortAnswerExtractor
from .corpus import Document, corpus_hash, load_corpus
from .encoders import Encoder, make_encoder, resolve_model
from .errors import ColnatoError, IndexStoreError
from .index_store import IndexData, StaleIndex
from .indexing import build_index, expected_manifest
from .question import EXPANSION, ReadQuestion, asks_for_opinion, expansion_terms
from .request import AskRequest, HistoryTurn
from .retrieval.bm25 import BM25Retriever
from .retrieval.dense import DenseRetriever
from .retrieval.sentences import SentenceRetriever
from .settings import DEFAULT_CORPUS_DIR, DEFAULT_INDEX_DIR, Settings, load_settings
from .lexicon import STOPWORDS
from .text import content_terms, strip_possessive, surface_forms, words
from .types import Answer, Citation, Passage, ShortAnswer, Span
from .vocabulary import Vocabulary, soft_credit

log = logging.getLogger(__name__)

# Offered instead of the settings' example questions when those were written for another article (no
# query adapter fitted for this corpus): questions any article answers, from its metadata and its opening.
ANY_ARTICLE_QUESTIONS = ("What is the article about?", "Who wrote the article?")

_WORD_RE = re.compile(r"[A-Za-z]+")

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
    embedder: Encoder | None = None
    _sentence_terms: dict[int, list[set[str]]] = field(default_factory=dict)
    _sentence_entities: dict[int, list[list[tuple[str, str]]]] = field(default_factory=dict)
    _vocabulary: Vocabulary | None = None
    _gazetteer: Gazetteer | None = None
    _names: CorpusNames | None = None
    _parses: dict[str, ParsedText | None] = field(default_factory=dict)
    _languages: LanguageIdentifier | None = None
    sentences: SentenceRetriever | None = None

    @classmethod
    def create(cls, documents: list[Document], data: IndexData, embedder: Encoder | None = None,
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

    @property
    def names(self) -> CorpusNames:
        """The corpus's words as the name-novelty test reads them; built on first use."""
        if self._names is None:
            folded = frozenset(strip_accents(w) for w in self.vocabulary.words)
            self._names = CorpusNames(words=folded, holds_term=self.holds_term, pieces=self.word_pieces)
        return self._names

    @property
    def languages(self) -> LanguageIdentifier:
        """Tells English questions from others, judged without the corpus's names; built on first use."""
        if self._languages is None:
            texts = [self.data.passages[i].text for i in self.data.searchable]
            self._languages = LanguageIdentifier(self.vocabulary.words, proper_names(texts))
        return self._languages

    def holds_term(self, word: str) -> bool:
        """Does any passage hold a content term of ``word`` (its stem, BM25's vocabulary)?"""
        return any(self.bm25.df(t) > 0 for t in content_terms(word))

    def word_pieces(self, word: str) -> int:
        """How many pieces the model's tokenizer splits ``word`` into (1 without an embedder)."""
        return len(self.embedder.tokenize(word)) if self.embedder is not None else 1

    @property
    def gazetteer(self) -> Gazetteer:
        """The corpus's names and nouns with their kinds (built with the index)."""
        if self._gazetteer is None:
            self._gazetteer = Gazetteer.from_dict(self.data.annotations.get("gazetteer", {}))
        return self._gazetteer

    def passage(self, row: int) -> Passage:
        return self.data.passages[self.data.searchable[row]]



    def sentence_entities(self, row: int) -> list[list[tuple[str, str]]]:
        """(text, label) of the named entities of each sentence of row ``row``'s passage."""
        found = self._sentence_entities.get(row)
        if found is None:
            p = self.passage(row)
            spans = self.data.annotations.get("entities", {}).get(p.passage_id, [])
            found = [[(p.text[a:b], label) for a, b, label in spans if sp.start <= a and b <= sp.end]
                     for sp in p.sentences]
            self._sentence_entities[row] = found
        return found

    def parse(self, passage: Passage) -> ParsedText | None:
        """The passage's build-time parse (tokens, noun chunks, entities); None when the index has none."""
        if passage.passage_id not in self._parses:
            syntax = self.data.annotations.get("syntax", {}).get(passage.passage_id)
            entities = self.data.annotations.get("entities", {}).get(passage.passage_id, [])
            try:
                parsed = ParsedText.from_annotations(passage.text, syntax, entities) if syntax else None
            except (KeyError, TypeError, ValueError) as exc:
                log.warning("stored parse of %s is unusable (%s): no short answers from it", passage.passage_id, exc)
                parsed = None
            self._parses[passage.passage_id] = parsed
        return self._parses[passage.passage_id]

    def record(self, row: int, q_vec: np.ndarray, bank: BankMatch | None = None) -> PassageRecord:
        return PassageRecord(row, self.passage(row), float(self.data.passage_vectors[row] @ q_vec),
                             self.sentence_vectors(row), self.window_vectors(row), self.sentence_terms(row),
                             self.sentence_entities(row),
                             None if bank is None else self._of_row(bank.sentence_scores, row))

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


class QAEngine:
    """Answers questions about the corpus with sentences quoted from it, or declines."""

    def __init__(self, state: _State, embedder: Encoder, settings: Settings,
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
        self._retriever = retriever or HybridRetriever(settings.retrieval, settings.top_k, settings.rrf_k,
                                                       adaptive=settings.adaptive_fusion)
        self._selector = selector or SentenceSelector()
        self._short = ShortAnswerExtractor()
        self._verdict = VerdictReader()
        self._short_gate = load_short_answer_gate(settings.short_answer_gate)
        self._reader = reader or QuestionReader(settings.history_turns_used)
        self._metadata = metadata.MetadataAnswerer()
        self._novelty = NameNovelty()
        manifest = self._state.data.manifest
        self._adapter = query_adapter or load_query_adapter(settings.query_adapter, manifest.get("corpus_hash"),
                                                            manifest.get("model_fingerprint"))
        self._bank = question_bank if question_bank is not None else load_question_bank(
            settings.question_bank, manifest.get("corpus_hash"), manifest.get("model_fingerprint"))
        if answerability is None:
            answerability = self._answerability_for(settings, fitted_for_corpus=self.fitted_for_corpus)
        self._answerability: AnswerabilityModel = answerability
        # variant(threshold=...) wins over any model's own threshold (fitting and evaluation set 0).
        self._threshold_override = threshold_override
        # Answers by (question, turns used, index generation); None when caching is off.
        self._cache: LRUCache | None = LRUCache(settings.cache_size) if settings.cache_size else None
        self._cache_lock = threading.Lock()

    @staticmethod
    def _answerability_for(settings: Settings, fitted_for_corpus: bool) -> AnswerabilityModel:
        """The fitted model when the adapter or bank was fitted for this corpus; else the general model (any
        article), when there is one, with a warning that says how to fit this article's own."""
        general = settings.general_answerability_model
        if not fitted_for_corpus and general is not None and Path(general).exists():
            log.info("No query adapter or question bank was fitted for this corpus: the general answerability "
                        "model (%s) is used. Fit this article's own with training questions: %s",
                        general, "colnato-qa fit TRAIN.jsonl --corpus DIR --index DIR --write")
            return load_answerability(general)
        return load_answerability(settings.answerability_model)

    @property
    def fitted_for_corpus(self) -> bool:
        """Whether the query adapter or the question bank in use were fitted for this corpus and encoder."""
        return not self._adapter.is_identity or not self._bank.is_empty

    @property
    def abstain_threshold(self) -> float:
        """Below this confidence the engine declines: a variant's explicit threshold, else the general
        model's own (when it is in use), else the abstain_threshold setting."""
        if self._threshold_override is not None:
            return self._threshold_override
        if self._answerability.threshold is not None:
            return self._answerability.threshold
        return self.settings.abstain_threshold

    @property
    def fitted_artefacts(self) -> dict[str, Any]:
        """What the answers rest on, for /healthz and reports: whether the adapter and the bank were fitted for
        this corpus, and the file of the answerability model in use (answerability_general.json on an article
        nobody fitted for)."""
        return {"fitted_for_corpus": self.fitted_for_corpus, "query_adapter": not self._adapter.is_identity,
                "question_bank": not self._bank.is_empty, "answerability_model": self._answerability.name}

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
        engine = cls(_State.create(documents, data, embedder, settings.approximate_above), embedder, settings, corpus_dir,
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
            self._shared["state"] = _State.create(documents, data, self.embedder, self.settings.approximate_above)
        return True

    def variant(self, *, retrieval: str | None = None, answer_mode: str | None = None,
                threshold: float | None = None, answerability: AnswerabilityModel | None = None,
                selector: SentenceSelector | None = None, reader: QuestionReader | None = None,
                retriever: HybridRetriever | None = None, query_adapter: QueryAdapter | None = None,
                question_bank: QuestionBank | None = None, **changes: Any) -> "QAEngine":
        """A new engine with other settings (or other components) that shares this one's model and index."""
        if retrieval is not None:
            changes["retrieval"] = retrieval
        if answer_mode is not None:
            changes["answer_mode"] = answer_mode
        if threshold is not None:
            changes["abstain_threshold"] = threshold
        override = threshold if threshold is not None else (
            self._threshold_override if "abstain_threshold" not in changes else None)
        settings = self.settings.replace(**changes)
        if (answerability is None and settings.answerability_model == self.settings.answerability_model
                and settings.general_answerability_model == self.settings.general_answerability_model):
            answerability = self._answerability
        if reader is None and settings.history_turns_used == self.settings.history_turns_used:
            reader = self._reader
        if query_adapter is None and settings.query_adapter == self.settings.query_adapter:
            query_adapter = self._adapter
        if question_bank is None and settings.question_bank == self.settings.question_bank:
            question_bank = self._bank
        return QAEngine(self._state, self.embedder, settings, self.corpus_dir, self.index_dir,
                        _shared=self._shared, answerability=answerability,
                        selector=selector or self._selector, reader=reader, retriever=retriever,
                        query_adapter=query_adapter, question_bank=question_bank, threshold_override=override)

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
    def suggested_questions(self) -> tuple[str, ...]:
        """Questions to offer with a reply that quotes nothing: the settings' example questions when a
        query adapter was fitted for this corpus (the settings belong to it), else ANY_ARTICLE_QUESTIONS."""
        if self._adapter.is_identity:
            return ANY_ARTICLE_QUESTIONS
        return tuple(self.settings.example_questions)

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

    def encode_question(self, question: str, adapted: bool = True) -> np.ndarray:
        """The vector a question (asked on its own) is searched with; ``adapted=False``: the encoder's own."""
        read = self._read(question, [], self._state)
        vector = self.embedder.encode_one(read.text)
        return self._adapter.run(vector) if adapted else vector

    @property
    def passages(self) -> list[Passage]:
        return list(self._state.data.passages)

    # ------------------------------------------------------------------ asking
    def ask(self, question: str, history: list | None = None) -> Answer:
        """Answer ``question``; ``history`` is earlier turns (strings or {"role", "content"}).
        Raises InvalidQuestionError / InvalidHistoryError as ``AskRequest`` defines them."""
        q, used = self._request(question, history)
        state = self._state

        def compute() -> Answer:
            read = self._read(q, list(used), state)
            return self._triaged(q, state, read) or self._finished(q, read, state)

        return self._cached((q, used, state.generation), compute)

    def ask_many(self, items: list[tuple[str, list | None]], batch_size: int = 32) -> list[Answer]:
        """Answer many (question, history) pairs, encoding the questions in batches.

        Every item is validated first: a bad one raises before anything is answered.
        """
        prepared = [self._request(question, history) for question, history in items]
        state = self._state
        reads = [self._read(q, list(used), state) for q, used in prepared]
        todo = sorted({r.text for r in reads if self._metadata.run(r.text) is None})
        vectors = dict(zip(todo, self.embedder.encode(todo, batch_size=batch_size))) if todo else {}
        return [self._cached((q, used, state.generation),
                             lambda q=q, read=read: self._triaged(q, state, read)
                             or self._finished(q, read, state, q_vec=vectors.get(read.text)))
                for (q, used), read in zip(prepared, reads)]

    def _request(self, question: Any, history: Any) -> tuple[str, tuple[HistoryTurn, ...]]:
        """The question as validated by AskRequest, and the turns of its history that are read."""
        s = self.settings
        request = AskRequest.parse(question, history, max_question_chars=s.max_question_chars,
                                   max_history_turns=s.max_history_turns)
        turns = request.turns
        return request.question, tuple(turns[-s.history_turns_used:]) if s.history_turns_used else ()

    def _cached(self, key: tuple, compute: Callable[[], Answer]) -> Answer:
        """The cached answer for ``key``, else ``compute()`` (run outside the lock: it may ask again)."""
        if self._cache is None:
            return compute()
        with self._cache_lock:
            answer = self._cache.get(key)
        if answer is None:
            answer = compute()
            with self._cache_lock:
                self._cache[key] = answer
        return answer

    def _earlier_turns(self, turns: list, state: _State) -> tuple[EarlierTurn, ...]:
        """The conversation's user turns (the last ``history_turns_used``), oldest first, each read with the
        turns before it and answered, in order: each is read once. An answer counts as one only when it
        is confident (``followup_min_confidence``); the assistant's reply that follows a turn in the
        history, when there is one, is the answer's text (what the reader saw)."""
        out: list[EarlierTurn] = []
        users = [i for i, t in enumerate(turns) if t.role == "user"][-self.settings.history_turns_used:]
        for i in users:
            before = tuple(turns[:i])
            content = turns[i].content

            def compute(content: str = content, before: tuple = before) -> Answer:
                read = self._reader.run(content, before, self._reading_context(state, tuple(out)))
                return self._triaged(content, state, read) or self._finished(content, read, state)

            try:
                answered = self._cached((content, before, state.generation), compute)
            except ColnatoError:
                out.append(EarlierTurn(content, None))
                continue
            confident = not answered.abstained and answered.confidence >= self.settings.followup_min_confidence
            text = answered.answer
            if confident and i + 1 < len(turns) and turns[i + 1].role == "assistant" and turns[i + 1].content:
                text = turns[i + 1].content
            out.append(EarlierTurn(answered.interpreted_as or content, text if confident else None))
        return tuple(out)

    def _reading_context(self, state: _State, earlier: tuple[EarlierTurn, ...] = ()) -> ReadingContext:
        return ReadingContext(
            gazetteer=state.gazetteer,
            frequency=lambda text: min((state.bm25.df(t) for t in content_terms(text)), default=0),
            spell=lambda text: self._spell_checked(text, state),
            earlier=earlier,
        )

    def _read(self, q: str, turns: list, state: _State) -> ReadQuestion:
        """How the question is read: typos repaired, a follow-up resolved against the earlier turns (read
        and answered first, only when the question may lean on them)."""
        context = self._reading_context(state)
        if self._reader.leans_on_history(q, turns, context):
            context = self._reading_context(state, self._earlier_turns(turns, state))
        return self._reader.run(q, turns, context)

    def _triaged(self, q: str, state: _State, read: ReadQuestion) -> Answer | None:
        """A reply that quotes nothing, when one is due: a question not in English (the engine reads
        English only: said in the asker's language), or a pronoun with nothing to refer to ("When was it
        signed?" asked first: which one?). None: answer the question."""
        # A question in a form the engine reads as English (about the article itself, "tl;dr") is English.
        guess = state.languages.run(q) if self._metadata.run(q) is None else None
        if guess is not None and not guess.english:
            return Answer(q, None, True, 0.0, language=guess.code, reason="other_language",
                          reply=english_only_reply(guess.code), suggestions=self.suggested_questions)
        if read.unresolved is None or self._metadata.run(read.text) is not None:
            return None
        return Answer(q, None, True, 0.0, interpreted_as=read.interpreted_as, reason="unclear_reference",
                      reply=f"Which one do you mean by “{read.unresolved}”? Ask again with its name, for example:",
                      suggestions=self.suggested_questions)

    def _finished(self, q: str, read: ReadQuestion, state: _State, q_vec: np.ndarray | None = None) -> Answer:
        """The answer to ``q`` with its short answer."""
        return self._with_short_answer(self._answer(q, read, state, q_vec=q_vec), read, state)

    def _with_short_answer(self, answer: Answer, read: ReadQuestion, state: _State) -> Answer:
        """``answer`` with the minimal phrase of its quote that answers ``read`` (None when abstained)."""
        if answer.abstained or not answer.citations or answer.citations[0].answer_span is None:
            return answer
        if is_yes_no(read.text):
            # The Yes/No is the short answer of a yes/no question, given only where the quote settles it;
            # a phrase in bold would promise more than the quote does.
            return replace(answer, verdict=self._verdict.run(read.text, answer.answer or "", answer.confidence))
        first = answer.citations[0]
        t0 = time.perf_counter()
        found = self._short.best(read.text, first.passage.text, first.answer_span, state.parse(first.passage))
        short = None
        if found is not None:
            phrase = first.passage.text[found.span.start:found.span.end]
            features = short_answer_features(read.text, answer.answer or "", phrase, found.kind, found.score)
            confidence = self._short_gate.run(features) if self._short_gate is not None else 1.0
            if self._short_gate is None or self._short_gate.shown(confidence):
                short = ShortAnswer(phrase, found.span.start, found.span.end, confidence)
            debug_short = {"short_candidate": phrase, "short_features": features, "short_confidence": confidence}
        else:
            debug_short = {}
        debug = dict(answer.debug, short_answer_ms=(time.perf_counter() - t0) * 1000, **debug_short)
        return replace(answer, short_answer=short, debug=debug)

    def _answer(self, q: str, read: ReadQuestion, state: _State, q_vec: np.ndarray | None = None) -> Answer:
        """The answer to ``q`` as ``read``; ``q_vec`` is ``read.text``'s encoder vector when already encoded."""
        s = self.settings
        t0 = time.perf_counter()
        meta = self._metadata.run(read.text)
        if meta is not None:
            return self._meta_answer(q, read, meta, state)
        raw = self.embedder.encode_one(read.text) if q_vec is None else q_vec
        q_vec = self._adapter.run(raw)
        bank = self._bank.run(raw, len(state.data.sentence_vectors))
        t_enc = time.perf_counter()
        terms = list(dict.fromkeys(content_terms(read.text)))
        if read.kind == EXPANSION:
            framing = expansion_terms(read.text)
            terms = [t for t in terms if t not in framing]
        n_docs = max(state.bm25.n_docs, 1)
        dfs = {t: state.bm25.df(t) for t in terms}
        weights = {t: idf(dfs[t], n_docs) for t in terms}
        total = sum(weights.values())
        lexical_share = sum(w for t, w in weights.items() if dfs[t] > 0) / total if total > 0 else 0.0
        rows = self._retrieve(read.text, q_vec, state, lexical_share)
        records = [state.record(r, q_vec, bank) for r in rows]
        vocab_cov = self._vocabulary_coverage(read.text, weights, dfs, state) if total > 0 else 0.0
        related = tuple(Citation(rec.passage, rec.cosine) for rec in records)
        debug: dict[str, Any] = {"query": read.text, "answer_type": read.kind, "terms": terms, "rows": rows}
        if not rows:
            return Answer(q, None, True, 0.0, related, read.interpreted_as, debug)
        # Words carried over from earlier turns locate the passage; the follow-up's own words choose the sentence.
        carried = set(content_terms(read.context)) - set(content_terms(q)) if read.context else set()
        select_weights = {t: (w * CARRIED_TERM_WEIGHT if t in carried else w) for t, w in weights.items()}
        candidates = self._selector.run(SelectionQuery(read, q_vec, terms, select_weights), records)
        if not candidates:
            return Answer(q, None, True, 0.0, related, read.interpreted_as, debug)
        best = candidates[0]
        features = dict(best.features, vocabulary_coverage=vocab_cov, unknown_name=self._novelty.run(read.text, state.names),
                        null_margin=best.features["sentence_cosine"] - self._adapter.null_score(q_vec),
                        bank_margin=bank.margin, asks_opinion=1.0 if asks_for_opinion(read.text) else 0.0,
                        negation_mismatch=1.0 if negated(read.text) != negated(best.text) else 0.0)
        conf = self._answerability.run(features)
        debug.update({"features": features, "encode_ms": (t_enc - t0) * 1000,
                      "total_ms": (time.perf_counter() - t0) * 1000})
        if conf < self.abstain_threshold:
            return Answer(q, None, True, conf, related, read.interpreted_as, debug)
        span = Span(0, len(best.passage.text)) if s.answer_mode == "passage" else best.span
        first = Citation(best.passage, next(rec.cosine for rec in records if rec.row == best.row), span)
        rest = tuple(c for c in related if c.passage.passage_id != best.passage.passage_id)
        return Answer(q, best.passage.text[span.start:span.end], False, conf, (first,) + rest,
                      read.interpreted_as, debug)

    def _meta_answer(self, q: str, read: ReadQuestion, meta: metadata.MetaMatch, state: _State) -> Answer:
        """A question about the article itself, answered from its byline and front matter; "what is it
        about?" and "summarize it" from its conclusion's opening and its lead."""
        if meta.intent == "about":
            summary = self._summary(q, read, meta, state)
            if summary is not None:
                return summary
        found = metadata.answer(meta.intent, state.meta_passages, state.doc_meta)
        debug = {"meta": meta.intent, "query": read.text}
        if found is None:  # e.g. a publication date the metadata does not hold
            return Answer(q, None, True, 0.0, tuple(Citation(p, 0.0) for p in state.meta_passages),
                          read.interpreted_as, debug)
        passage, span = found
        return Answer(question=q, answer=passage.text[span.start:span.end], abstained=False,
                      confidence=meta.confidence, citations=(Citation(passage, 1.0, span),),
                      interpreted_as=read.interpreted_as, debug=debug)

    @staticmethod
    def _summary(q: str, read: ReadQuestion, meta: metadata.MetaMatch, state: _State) -> Answer | None:
        """The article summed up by its own words: the opening two sentences of its last paragraph (where
        an analysis states its conclusion), citing that paragraph and the lead."""
        body = [state.data.passages[i] for i in state.data.searchable if state.data.passages[i].sentences]
        if not body:
            return None
        last, lead = body[-1], body[0]
        span = Span(last.sentences[0].start, last.sentences[min(1, len(last.sentences) - 1)].end)
        citations = (Citation(last, 1.0, span),) + ((Citation(lead, 1.0),) if lead is not last else ())
        return Answer(q, last.text[span.start:span.end], False, meta.confidence, citations, read.interpreted_as,
                      {"meta": "summary", "query": read.text})

    def _spell_checked(self, text: str, state: _State) -> str:
        """Correct words the corpus lacks that are one slip away from a corpus word ("partnerhsip").

        Left alone: words whose stem the corpus holds ("leaders" when it says "leader"), and words the
        model's tokenizer knows whole (real English words such as "capital", absent or not)."""
        if state.embedder is None:
            return text
        vocab = state.vocabulary

        def fix(m: re.Match[str]) -> str:
            w = m.group(0)
            low = w.lower()
            if low in STOPWORDS or low in vocab or state.holds_term(low):
                return w
            if state.word_pieces(low) == 1:
                return w
            c = vocab.correct(low)
            if c is None:
                return w
            return c.capitalize() if w[0].isupper() else c

        return _WORD_RE.sub(fix, text)

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

    def _retrieve(self, text: str, q_vec: np.ndarray, state: _State, lexical_share: float = 1.0) -> list[int]:
        return self._retriever.run(text, q_vec, Rankers(state.dense, state.bm25, state.sentences), lexical_share)

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
