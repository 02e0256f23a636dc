"""Choose the answer: score the sentences of the retrieved passages, pick one (or two adjacent),
and say how sure we are, or decline. Also answers questions about the article itself from
its metadata (author, publisher, title).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from . import question as qmod
from .text import STOPWORDS, words
from .types import Passage, Span

# Weights of the confidence model: a logistic function of signals that are each in [0, 1].
# Fitted by L2-regularised logistic regression (lambda 0.1) on the dev split of the gold set,
# label = "answerable and the chosen sentence holds a gold answer". The threshold on its output
# is calibrated separately by `colnato-qa calibrate` and kept in config/colnato_qa.json.
CONFIDENCE_WEIGHTS = {
    "bias": -3.31,
    "sentence_cosine": 1.28,       # MiniLM cosine of question and chosen sentence
    "passage_cosine": 1.00,        # MiniLM cosine of question and its passage
    "vocabulary_coverage": 1.67,   # IDF-weighted share of the question's words found anywhere in the corpus
    "sentence_coverage": 1.91,     # IDF-weighted share of the question's words found in the chosen passage
    "type_match": 0.40,            # the sentence holds what the question asks for (a year, a number...)
    "type_missing": -2.73,         # the question asks for a year, number, person or place and the answer has none
}
# Kinds of question whose answer must hold a thing of that kind (a year, a number, a new name).
MUST_HOLD_KINDS = ("year", "number", "person", "place", "name")


@dataclass
class Candidate:
    row: int                 # searchable row of the passage
    passage: Passage
    sentence_index: int      # first sentence of the answer in passage.sentences
    sentence_count: int      # 1 or 2 adjacent sentences
    score: float
    features: dict[str, float]

    @property
    def span(self) -> Span:
        first = self.passage.sentences[self.sentence_index]
        last = self.passage.sentences[self.sentence_index + self.sentence_count - 1]
        return Span(first.start, last.end)

    @property
    def text(self) -> str:
        s = self.span
        return self.passage.text[s.start:s.end]


def idf(df: int, n_docs: int) -> float:
    """BM25's idf, always positive; a term found nowhere gets the largest value."""
    return math.log((n_docs - df + 0.5) / (df + 0.5) + 1.0)


def confidence(features: dict[str, float]) -> float:
    z = CONFIDENCE_WEIGHTS["bias"] + sum(CONFIDENCE_WEIGHTS[k] * v for k, v in features.items() if k in CONFIDENCE_WEIGHTS)
    return 1.0 / (1.0 + math.exp(-z))


class SentenceSelector:
    """Scores each sentence of the candidate passages and picks the answer span.

    ``run(question, kind, q_vec, rows, passages, ...) -> list[Candidate]`` best first.
    """

    def __init__(self, cosine_weight: float = 1.0, overlap_weight: float = 1.0, passage_weight: float = 0.3,
                 type_weight: float = 0.25, window_mix: float = 0.5):
        self.window_mix = window_mix
        self.question_penalty = 0.6
        self.cosine_weight = cosine_weight
        self.overlap_weight = overlap_weight
        self.passage_weight = passage_weight
        self.type_weight = type_weight

    def run(self, *, kind: str, question: str = "", terms: list[str], term_weights: dict[str, float], vocab_coverage: float,
            q_vec: np.ndarray, rows: list[int], passages: list[Passage], passage_cos: dict[int, float],
            sentence_vectors: list[np.ndarray], sentence_terms: list[list[set[str]]],
            window_vectors: list[np.ndarray] | None = None) -> list[Candidate]:
        out: list[Candidate] = []
        total_w = sum(term_weights[t] for t in terms) or 1.0
        if window_vectors is None:
            window_vectors = sentence_vectors
        for row, passage, svecs, wvecs, sterms in zip(rows, passages, sentence_vectors, window_vectors, sentence_terms):
            if not passage.sentences:
                continue
            single = svecs @ q_vec if len(svecs) else np.zeros(0)
            # A sentence read with the one before it: helps "This status conferred..." sentences.
            cos = np.maximum(single, self.window_mix * (wvecs @ q_vec) + (1 - self.window_mix) * single)
            passage_terms: set[str] = set().union(*sterms) if sterms else set()
            p_cov = sum(term_weights[t] for t in set(terms) if t in passage_terms) / total_w
            for j, span in enumerate(passage.sentences):
                sent = passage.text[span.start:span.end]
                overlap = sum(term_weights[t] for t in set(terms) if t in sterms[j]) / total_w
                tmatch = qmod.type_match(kind, sent, question)
                count = 1
                # A lead-in ("... include:") is never an answer on its own: take the next sentence too.
                if sent.rstrip().endswith(":") and j + 1 < len(passage.sentences):
                    count = 2
                    nxt = passage.text[passage.sentences[j + 1].start:passage.sentences[j + 1].end]
                    tmatch = max(tmatch, qmod.type_match(kind, nxt, question))
                    overlap = max(overlap, sum(term_weights[t] for t in set(terms) if t in (sterms[j] | sterms[j + 1])) / total_w)
                score = (self.cosine_weight * float(cos[j]) + self.overlap_weight * overlap
                         + self.passage_weight * passage_cos.get(row, 0.0) + self.type_weight * (tmatch - 0.5))
                if sent.rstrip("”’\"' ").endswith("?"):
                    score -= self.question_penalty  # the article asking a question does not answer one
                features = {
                    "type_missing": 1.0 if (kind in MUST_HOLD_KINDS and tmatch == 0.0) else 0.0,
                    "sentence_cosine": float(cos[j]),
                    "passage_cosine": passage_cos.get(row, 0.0),
                    "vocabulary_coverage": vocab_coverage,
                    "sentence_coverage": p_cov,
                    "type_match": tmatch,
                }
                out.append(Candidate(row, passage, j, count, score, features))
        out.sort(key=lambda c: -c.score)
        if out:
            out[0] = self._maybe_extend(out[0], terms, term_weights, sentence_terms[rows.index(out[0].row)], kind, question)
        return out

    def _maybe_extend(self, best: Candidate, terms: list[str], weights: dict[str, float],
                      sterms: list[set[str]], kind: str, question: str = "") -> Candidate:
        """Add the adjacent sentence when the chosen one is not enough on its own.

        Not enough: the question's words are split across the two sentences (the neighbour adds
        at least a third of the question's weight the chosen sentence lacks), or the question
        asks for a year/number the chosen sentence lacks but the neighbour has.
        """
        p = best.passage
        if best.sentence_count != 1:
            return best
        j = best.sentence_index
        have = set().union(sterms[j]) & set(terms)
        total = sum(weights[t] for t in set(terms)) or 1.0
        best_gain, best_n = 0.0, None
        for n in (j - 1, j + 1):
            if not 0 <= n < len(p.sentences):
                continue
            gain = sum(weights[t] for t in (sterms[n] & set(terms)) - have) / total
            neighbour = p.text[p.sentences[n].start:p.sentences[n].end]
            if kind in MUST_HOLD_KINDS and best.features["type_match"] == 0.0 and qmod.type_match(kind, neighbour, question) == 1.0:
                gain += 0.5
            if gain > best_gain:
                best_gain, best_n = gain, n
        if best_n is None or best_gain < 0.34:
            return best
        first = min(j, best_n)
        feats = dict(best.features)
        if kind in MUST_HOLD_KINDS:
            feats["type_match"] = max(feats["type_match"], qmod.type_match(kind, p.text[p.sentences[first].start:p.sentences[first + 1].end], question))
            feats["type_missing"] = 0.0 if feats["type_match"] > 0 else feats["type_missing"]
        return Candidate(best.row, p, first, 2, best.score, feats)


# ---------------------------------------------------------------- questions about the article itself

_META_INTENTS: list[tuple[str, re.Pattern[str]]] = [
    ("author", re.compile(r"\b(who (wrote|writes|authored|penned|is behind)|author|writer|written by|byline|journalist|reporter)\b", re.I)),
    ("publisher", re.compile(r"\b(publish\w*|publication|newspaper|outlet|magazine|news ?paper|news site|website|media outlet|which paper|what paper|appeared in|ran (it|this|the))\b", re.I)),
    ("title", re.compile(r"\b(title|headline|called|named|heading)\b", re.I)),
    ("about", re.compile(r"\b(what is|what's|whats) (this|the) (article|piece|story|text|report) about\b|\b(main )?topic of (this|the) (article|piece|story)\b", re.I)),
]
# Words that may appear in a question about the article itself besides the intent words.
_META_WORDS = {"article", "piece", "story", "text", "report", "essay", "post", "op", "ed", "op-ed", "editorial", "news",
               "this", "it", "one", "name", "original", "source", "who", "which", "what", "wrote", "write", "written",
               "writer", "author", "authored", "penned", "byline", "publish", "published", "publisher", "publication",
               "newspaper", "paper", "outlet", "magazine", "website", "site", "media", "appeared", "ran", "run", "title",
               "headline", "called", "named", "heading", "journalist", "reporter", "behind", "about", "topic", "main",
               "by", "in", "on", "is", "was", "the", "of", "did", "does", "do", "its", "s", "whats", "what's", "exact",
               "full", "give", "me", "tell", "please", "company", "organization", "organisation", "times", "online"}


def meta_intent(question: str) -> str | None:
    """'author', 'publisher', 'title' or 'about' when the question asks about the article itself."""
    toks = [w.strip("'’") for w in words(question)]
    extra = [w for w in toks if w not in _META_WORDS and w not in STOPWORDS]
    if extra:
        return None
    if qmod.answer_type(question) == qmod.YEAR and re.search(r"\b(publish\w*|written|wrote|appear\w*|come out|date)\b", question, re.I):
        return "date"
    for intent, pattern in _META_INTENTS:
        if pattern.search(question):
            return intent
    return None


def meta_answer(intent: str, passages: list[Passage], doc_meta: dict[str, dict[str, str]]) -> tuple[Passage, Span] | None:
    """The passage and span holding the metadata value, or None when the article has no such value.

    The author is quoted from the byline when there is one; publisher and date from the front matter.
    """
    by_kind: dict[str, Passage] = {}
    for p in passages:
        by_kind.setdefault(p.kind, p)
    if intent in ("title", "about"):
        p = by_kind.get("title")
        return (p, Span(0, len(p.text))) if p is not None and p.text.strip() else None
    key = {"author": "author", "publisher": "publisher", "date": "date"}.get(intent)
    if key is None:
        return None
    value = next((m.get(key) for m in doc_meta.values() if m.get(key)), None)
    sources = (by_kind.get("byline"), by_kind.get("metadata")) if key == "author" else (by_kind.get("metadata"),)
    for p in sources:
        if p is not None and value and value in p.text:
            i = p.text.index(value)
            return p, Span(i, i + len(value))
    return None
