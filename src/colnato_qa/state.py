"""The snapshot of the index that answers are computed from: documents, vectors, rankers, annotations and what
is derived from them on first use (the corpus's words, names, gazetteer, parses). Swapped whole on rebuild."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from .components.expansions import SpelledOutAcronyms
from .components.language import LanguageIdentifier, proper_names
from .components.mentions import Gazetteer
from .components.novelty import CorpusNames, strip_accents
from .components.question_bank import BankMatch
from .components.selector import PassageRecord
from .components.short_answer import ParsedText
from .corpus import Document
from .encoders import Encoder
from .index_store import IndexData, WordPieces
from .retrieval.bm25 import BM25Retriever
from .retrieval.dense import DenseRetriever
from .retrieval.sentences import SentenceRetriever
from .text import content_terms, strip_possessive, words
from .types import Passage
from .vocabulary import Vocabulary

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WordVectors:
    """Each searchable passage's and sentence's word-piece vectors (``Encoder.encode_tokens``), and the
    article's, for the word alignment."""

    passages: list[np.ndarray]              # by searchable row
    sentences: list[list[np.ndarray]]       # by row, then sentence
    article: np.ndarray                     # every piece of every searchable passage

    @classmethod
    def from_pieces(cls, pieces: WordPieces, sentence_offsets: np.ndarray) -> "WordVectors":
        vectors = pieces.vectors.astype(np.float32)
        passages = [vectors[a:b] for a, b in pieces.passages]
        flat = [vectors[a:b] for a, b in pieces.sentences]
        sentences = [flat[int(sentence_offsets[r]):int(sentence_offsets[r + 1])] for r in range(len(passages))]
        article = np.concatenate(passages) if passages else np.zeros((0, vectors.shape[1]), dtype=np.float32)
        return cls(passages, sentences, article)

    def answer(self, row: int, first: int, count: int) -> np.ndarray:
        """The vectors of ``count`` sentences of row ``row`` from sentence ``first``, each encoded alone."""
        return np.concatenate(self.sentences[row][first:first + count])


@dataclass
class IndexState:
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
    _title_words: frozenset[str] | None = None
    _author_names: frozenset[str] | None = None
    _spelled_out: SpelledOutAcronyms | None = None
    _word_vectors: WordVectors | None = None
    sentences: SentenceRetriever | None = None

    @classmethod
    def create(cls, documents: list[Document], data: IndexData, embedder: Encoder | None = None,
               sentence_search_limit: int = 0) -> "IndexState":
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
            # The byline's and the publisher's names are names too ("ferdinand miracle" is not French).
            credits = [value for d in self.documents for value in (d.title, d.author, d.publisher) if value]
            self._languages = LanguageIdentifier(self.vocabulary.words, proper_names(texts + credits))
        return self._languages

    @property
    def spelled_out(self) -> SpelledOutAcronyms:
        """The acronyms the corpus spells out ("... Programme (ITPP)"); built on first use."""
        if self._spelled_out is None:
            self._spelled_out = SpelledOutAcronyms.from_texts(self.data.passages[i].text for i in self.data.searchable)
        return self._spelled_out

    @property
    def word_vectors(self) -> WordVectors:
        """The searchable passages' and sentences' word-piece vectors (built with the index), as float32."""
        if self._word_vectors is None:
            if self.data.word_pieces is None:
                raise RuntimeError("this index holds no word-piece vectors: rebuild it")
            self._word_vectors = WordVectors.from_pieces(self.data.word_pieces, self.data.sentence_offsets)
        return self._word_vectors

    @property
    def title_words(self) -> frozenset[str]:
        """The words of the documents' titles, lower case: how people name an article ("the piece on the port")."""
        if self._title_words is None:
            self._title_words = frozenset(w.strip("'’").lower() for d in self.documents for w in words(d.title or ""))
        return self._title_words

    @property
    def author_names(self) -> frozenset[str]:
        """The documents' authors' names, each lower case with its words joined by one space ("ferdinand miracle"),
        and each name's last word alone ("miracle"): how people name the writer."""
        if self._author_names is None:
            names = {" ".join(w.strip("'’").lower() for w in words(d.author or "")) for d in self.documents}
            self._author_names = frozenset(n for name in names if name for n in (name, name.split()[-1]))
        return self._author_names

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
