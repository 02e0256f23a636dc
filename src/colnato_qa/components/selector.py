"""The sentence selector: score every sentence of the retrieved passages and pick the answer span
(one sentence, or two adjacent ones when the question's words or the asked-for kind straddle them).

``SentenceSelector(...).run(question, passages) -> list[Candidate]`` (best first), fed one
``PassageRecord`` per retrieved passage.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .. import question as qmod
from ..question import ReadQuestion
from ..retrieval.sentences import WINDOW_MIX, window_scores
from ..types import Passage, Span


@dataclass(frozen=True)
class PassageRecord:
    """One retrieved passage with what the selector scores it by."""

    row: int                              # searchable row of the passage
    passage: Passage
    cosine: float                         # question . passage vector
    sentence_vectors: np.ndarray          # one row per sentence
    window_vectors: np.ndarray            # each sentence embedded with the one before it
    sentence_terms: list[set[str]]        # content terms of each sentence
    sentence_entities: list[list[tuple[str, str]]] = field(default_factory=list)  # (text, label) per sentence
    bank_scores: np.ndarray | None = None  # per sentence: best cosine to a bank question it answers


@dataclass(frozen=True)
class SelectionQuery:
    """The question side of a selection: how it was read, its vector, its weighted terms."""

    read: ReadQuestion
    vector: np.ndarray
    terms: list[str]
    term_weights: dict[str, float]      # for choosing the sentence (carried-over words weigh less)


# Word overlap's weight in the sentence score on an article nobody fitted a query adapter or question bank for.
# Measured at threshold 0 on port-ardley dev and the open-columns and upland-fibre training questions (the
# evidence sentence chosen, mean of the three): 0.661 at 1.0 (the weight with an adapter), 0.713 at 0.5,
# 0.712 at 0.25, 0.708 at 0 (docs/ablation.md, "Issue 22: boosted trees, and the selector without an adapter").
UNFITTED_OVERLAP_WEIGHT = 0.5

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


class SentenceSelector:
    """Scores each sentence of the candidate passages and picks the answer span; settings (the
    weights of the sentence score) in ``__init__``, data in ``run``."""

    def __init__(self, cosine_weight: float = 1.0, overlap_weight: float = 1.0, passage_weight: float = 0.3,
                 type_weight: float = 0.25, window_mix: float = WINDOW_MIX, widen: bool = True, bank_weight: float = 1.0):
        self.window_mix = window_mix
        self.widen = widen
        self.question_penalty = 0.6
        self.cosine_weight = cosine_weight
        self.overlap_weight = overlap_weight
        self.passage_weight = passage_weight
        self.type_weight = type_weight
        self.bank_weight = bank_weight

    @classmethod
    def for_article(cls, fitted_for_corpus: bool, bank_weight: float = 1.0) -> "SentenceSelector":
        """The selector for an article with a query adapter or question bank fitted for it (the bank's votes
        weighed by ``bank_weight``, which ``fit`` chose), or without: then the encoder's cosine, not adapted,
        is read with ``UNFITTED_OVERLAP_WEIGHT`` on word overlap."""
        return cls(bank_weight=bank_weight) if fitted_for_corpus else cls(overlap_weight=UNFITTED_OVERLAP_WEIGHT)

    def run(self, query: SelectionQuery, records: Sequence[PassageRecord]) -> list[Candidate]:
        """Every sentence of ``records`` scored for ``query``, best first (the best possibly widened to
        two sentences). Each candidate carries the features the answerability model reads."""
        kind, question = query.read.kind, query.read.text
        terms, term_weights, q_vec = query.terms, query.term_weights, query.vector
        out: list[Candidate] = []
        total_w = sum(term_weights[t] for t in terms) or 1.0
        for rec in records:
            passage, sterms = rec.passage, rec.sentence_terms
            if not passage.sentences:
                continue
            ents = rec.sentence_entities or [[] for _ in passage.sentences]
            single = rec.sentence_vectors @ q_vec if len(rec.sentence_vectors) else np.zeros(0)
            # A sentence read with the one before it: helps "This status conferred..." sentences.
            cos = window_scores(single, rec.window_vectors @ q_vec, self.window_mix)
            bank = rec.bank_scores if rec.bank_scores is not None else np.zeros(len(passage.sentences))
            passage_terms = set().union(*sterms)
            passage_overlap = sum(term_weights[t] for t in set(terms) if t in passage_terms) / total_w
            for j, span in enumerate(passage.sentences):
                sent = passage.text[span.start:span.end]
                overlap = sum(term_weights[t] for t in set(terms) if t in sterms[j]) / total_w
                tmatch = qmod.type_match(kind, sent, question, ents[j])
                count = 1
                # A lead-in ("... include:") is never an answer on its own: take the next sentence too.
                if sent.rstrip().endswith(":") and j + 1 < len(passage.sentences):
                    count = 2
                    nxt = passage.text[passage.sentences[j + 1].start:passage.sentences[j + 1].end]
                    tmatch = max(tmatch, qmod.type_match(kind, nxt, question, ents[j + 1]))
                    overlap = max(overlap, sum(term_weights[t] for t in set(terms) if t in (sterms[j] | sterms[j + 1])) / total_w)
                bank_j = float(bank[j]) if count == 1 else float(max(bank[j], bank[j + 1]))
                score = (self.cosine_weight * float(cos[j]) + self.overlap_weight * overlap
                         + self.passage_weight * rec.cosine + self.type_weight * (tmatch - 0.5)
                         + self.bank_weight * bank_j)
                if sent.rstrip("”’\"' ").endswith("?"):
                    score -= self.question_penalty  # the article asking a question does not answer one
                features = {
                    "kind_missing": 1.0 if (kind in MUST_HOLD_KINDS and tmatch == 0.0) else 0.0,
                    "sentence_cosine": float(cos[j]),
                    "passage_cosine": rec.cosine,
                    "type_match": tmatch,
                    "bank_cosine": bank_j,
                    "sentence_overlap": overlap,
                    "passage_overlap": passage_overlap,
                }
                out.append(Candidate(rec.row, passage, j, count, score, features))
        out.sort(key=lambda c: -c.score)
        if out and self.widen:
            best_rec = next(r for r in records if r.row == out[0].row)
            out[0] = self._maybe_extend(out[0], terms, term_weights, best_rec, kind, question)
        return out

    def _maybe_extend(self, best: Candidate, terms: list[str], weights: dict[str, float],
                      rec: PassageRecord, kind: str, question: str = "") -> Candidate:
        """Add the adjacent sentence when the chosen one is not enough on its own.

        Not enough: the question's words are split across the two sentences (the neighbour adds
        at least a third of the question's weight the chosen sentence lacks), or the question
        asks for a year/number the chosen sentence lacks but the neighbour has.
        """
        p, sterms = best.passage, rec.sentence_terms
        ents = rec.sentence_entities or [[] for _ in p.sentences]
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
            if kind in MUST_HOLD_KINDS and best.features["type_match"] == 0.0 and qmod.type_match(kind, neighbour, question, ents[n]) == 1.0:
                gain += 0.5
            if gain > best_gain:
                best_gain, best_n = gain, n
        if best_n is None or best_gain < 0.34:
            return best
        first = min(j, best_n)
        feats = dict(best.features)
        if rec.bank_scores is not None:
            feats["bank_cosine"] = float(max(rec.bank_scores[j], rec.bank_scores[best_n]))
        if kind in MUST_HOLD_KINDS:
            pair = p.text[p.sentences[first].start:p.sentences[first + 1].end]
            feats["type_match"] = max(feats["type_match"], qmod.type_match(kind, pair, question, ents[first] + ents[first + 1]))
            feats["kind_missing"] = 0.0 if feats["type_match"] > 0 else feats["kind_missing"]
        return Candidate(best.row, p, first, 2, best.score, feats)


