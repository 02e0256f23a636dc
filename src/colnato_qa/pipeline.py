"""The answering pipeline: a question as read in, an answer with its trace out.

``AnsweringPipeline(settings, embedder, components...)`` holds the components (settings in ``__init__``);
``run(question, read, state)`` answers one question already read against one index snapshot:

    triage (not English? a pronoun with nothing to refer to?) -> metadata / summary, or
    encode -> query adapter -> question bank -> retriever -> selector -> answerability -> short answer / verdict

Every stage's outcome goes into the answer's ``Trace`` (trace.py). The engine (engine.py) keeps loading,
the conversation's order, the cache and the variants.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from .components import metadata
from .components.alignment import WordAlignment
from .components.answerability import AnswerabilityModel, load_answerability
from .components.language import english_only_reply
from .components.novelty import NameNovelty
from .components.query_adapter import QueryAdapter
from .components.question_bank import QuestionBank
from .components.reader import EarlierTurn, QuestionReader, ReadingContext
from .components.retriever import HybridRetriever, Rankers
from .components.selector import SelectionQuery, SentenceSelector, idf
from .components.short_answer import ShortAnswerExtractor
from .components.short_answer_gate import load_short_answer_gate, short_answer_features
from .components.small_talk import SmallTalk, reply, topic
from .components.verdict import VerdictReader, is_yes_no, negated
from .encoders import Encoder
from .lexicon import STOPWORDS
from .question import EXPANSION, ReadQuestion, acronyms, asks_for_opinion, expansion_terms
from .request import HistoryTurn
from .settings import Settings
from .state import IndexState
from .text import content_terms, fold_width, surface_forms
from .trace import AnswerabilityStage, ReadStage, RetrievalStage, ShortAnswerStage, Trace
from .types import Answer, Citation, ShortAnswer, Span
from .vocabulary import soft_credit

log = logging.getLogger(__name__)

# Offered instead of the settings' example questions when those were written for another article (no
# query adapter fitted for this corpus): questions any article answers, from its metadata and its opening.
ANY_ARTICLE_QUESTIONS = ("What is the article about?", "Who wrote the article?")

_WORD_RE = re.compile(r"[A-Za-z]+")

# In a follow-up, words that came from earlier turns locate the passage but count this much in choosing the
# answer sentence: none, so that the follow-up's own words choose it (forms/dev follow-ups 13 -> 17 of 20 with
# the joined reading; docs/ablation.md, "Issue 17, fifth round").
CARRIED_TERM_WEIGHT = 0.0


class AnsweringPipeline:
    """Settings and components in ``__init__``; a question as read and an index snapshot in ``run``."""

    def __init__(self, settings: Settings, embedder: Encoder, *, reader: QuestionReader | None = None,
                 retriever: HybridRetriever | None = None, selector: SentenceSelector | None = None,
                 answerability: AnswerabilityModel | None = None, adapter: QueryAdapter | None = None,
                 bank: QuestionBank | None = None, threshold_override: float | None = None) -> None:
        self.settings = settings
        self.embedder = embedder
        self.reader = reader or QuestionReader(settings.history_turns_used)
        self.small_talk = SmallTalk()
        self.retriever = retriever or HybridRetriever(settings.retrieval, settings.top_k, settings.rrf_k,
                                                      adaptive=settings.adaptive_fusion)
        self.adapter = adapter if adapter is not None else QueryAdapter.identity()
        self.bank = bank if bank is not None else QuestionBank.empty()
        # A selector given here is kept by variants; the default one follows whether the adapter or bank in use
        # was fitted for the corpus.
        self.selector_given = selector is not None
        self.selector = selector or SentenceSelector.for_article(self.fitted_for_corpus, self.bank.selector_weight)
        self.answerability = answerability or self.answerability_for(settings, self.fitted_for_corpus)
        self.threshold_override = threshold_override      # a variant's explicit threshold (fitting sets 0)
        self.short = ShortAnswerExtractor()
        self.short_gate = load_short_answer_gate(settings.short_answer_gate)
        self.verdict = VerdictReader()
        self.metadata = metadata.MetadataAnswerer()
        self.novelty = NameNovelty()
        self.alignment = WordAlignment()

    # ------------------------------------------------------------------ what it rests on
    @staticmethod
    def answerability_for(settings: Settings, fitted_for_corpus: bool) -> AnswerabilityModel:
        """The fitted model when the adapter or bank was fitted for this corpus; else the general model (any
        article), when there is one. Logged at info: `build` and `serve` say it in one line with the fit command
        for this corpus and a config of its own (cli/common.unfitted_notice); `fitted_artefacts` reports it."""
        general = settings.general_answerability_model
        if not fitted_for_corpus and general is not None and Path(general).exists():
            log.info("No query adapter or question bank was fitted for this corpus: the general answerability "
                     "model (%s) is used.", general)
            return load_answerability(general)
        return load_answerability(settings.answerability_model)

    @property
    def fitted_for_corpus(self) -> bool:
        """Whether the query adapter or the question bank in use were fitted for this corpus and encoder."""
        return not self.adapter.is_identity or not self.bank.is_empty

    @property
    def abstain_threshold(self) -> float:
        """Below this confidence the pipeline declines: a variant's explicit threshold, else the general
        model's own (when it is in use), else the abstain_threshold setting."""
        if self.threshold_override is not None:
            return self.threshold_override
        if self.answerability.threshold is not None:
            return self.answerability.threshold
        return self.settings.abstain_threshold

    @property
    def fitted_artefacts(self) -> dict[str, Any]:
        """Whether the adapter and the bank were fitted for this corpus, and the file of the answerability model
        in use (answerability_general.json on an article nobody fitted for)."""
        return {"fitted_for_corpus": self.fitted_for_corpus, "query_adapter": not self.adapter.is_identity,
                "question_bank": not self.bank.is_empty, "answerability_model": self.answerability.name}

    @property
    def suggested_questions(self) -> tuple[str, ...]:
        """Questions to offer with a reply that quotes nothing: the settings' example questions when a
        query adapter was fitted for this corpus (the settings belong to it), else ANY_ARTICLE_QUESTIONS."""
        if self.adapter.is_identity:
            return ANY_ARTICLE_QUESTIONS
        return tuple(self.settings.example_questions)

    # ------------------------------------------------------------------ reading
    def reading_context(self, state: IndexState, earlier: tuple[EarlierTurn, ...] = ()) -> ReadingContext:
        return ReadingContext(
            gazetteer=state.gazetteer,
            frequency=lambda text: min((state.bm25.df(t) for t in content_terms(text)), default=0),
            spell=lambda text: self.spell_checked(text, state),
            earlier=earlier,
        )

    def as_typed(self, question: str) -> str:
        """The question as it is read: full-width characters as ASCII, without the small talk it opens with
        ("hi, who is Uribe?" reads "who is Uribe?")."""
        return self.small_talk.without_opening(fold_width(question))

    def leans_on_history(self, question: str, turns: list[HistoryTurn], state: IndexState) -> bool:
        question = self.as_typed(question)
        if self._about_the_article_as_before(question, turns, state):
            return False
        return self.reader.leans_on_history(question, turns, self.reading_context(state))

    def read(self, question: str, turns: list[HistoryTurn], state: IndexState,
             earlier: tuple[EarlierTurn, ...] = ()) -> ReadQuestion:
        question = self.as_typed(question)
        if self._about_the_article_as_before(question, turns, state):
            turns = []
        return self.reader.run(question, turns, self.reading_context(state, earlier))

    def about_the_article(self, text: str, state: IndexState) -> metadata.MetaMatch | None:
        """What ``text`` asks about the article itself (its author, title, what it is about), or None."""
        return self.metadata.run(text, state.title_words, state.author_names)

    def _about_the_article_as_before(self, question: str, turns: list[HistoryTurn], state: IndexState) -> bool:
        """Whether ``question`` asks about the article itself ("who wrote it?") right after a question that
        did too ("what is this article about?"): its pronoun is the article, not a phrase of that answer.
        After a question about something else the pronoun is resolved as usual ("What is the ITPP?" then
        "who wrote it?" asks about the ITPP, which the article may not say)."""
        if self.about_the_article(question, state) is None:
            return False
        users = [t.content for t in turns if t.role == "user"]
        return bool(users) and self.about_the_article(users[-1], state) is not None

    def spell_checked(self, text: str, state: IndexState) -> str:
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

    # ------------------------------------------------------------------ answering
    def run(self, q: str, read: ReadQuestion, state: IndexState, q_vec: np.ndarray | None = None) -> Answer:
        """The answer to ``q`` as ``read``: a reply without a quote when one is due, else the quote with its
        short answer or verdict. ``q_vec`` is ``read.text``'s encoder vector when already encoded."""
        t0 = time.perf_counter()
        answer = self.triaged(q, state, read) or self._with_short_answer(self._answer(q, read, state, q_vec), read, state)
        return replace(answer, trace=replace(answer.trace or Trace(), total_ms=(time.perf_counter() - t0) * 1000))

    def needs_encoding(self, read: ReadQuestion, state: IndexState) -> bool:
        """Whether answering ``read`` runs the encoder (not for a question about the article itself)."""
        return self.article_intent(read, state)[0] is None

    def article_intent(self, read: ReadQuestion, state: IndexState) -> tuple[metadata.MetaMatch | None, ReadQuestion]:
        """What a question as read asks about the article itself (or None), and the reading that asks it. Read
        as typed too when the reading only repaired typos: the corpus's words are not the words about articles
        ("peice" is not "peace"); then the reading is the question as typed."""
        if read.refers_back:
            return None, read   # "who wrote it?" after "What is the ITPP?" asks about the ITPP, not the article
        # An elliptical follow-up asks about the article only by its own words ("and who wrote the article?"; "and
        # what's the bottom line?" read with "who wrote it?" does not ask who wrote it).
        found = self.about_the_article(read.typed if read.context and read.typed else read.text, state)
        if found is None and not read.context and read.typed and read.typed != read.text:
            found = self.about_the_article(read.typed, state)
            if found is not None:
                return found, replace(read, text=read.typed, interpreted_as=None)
        return found, read

    def triaged(self, q: str, state: IndexState, read: ReadQuestion) -> Answer | None:
        """A reply that quotes nothing, when one is due: a question not in English (the engine reads
        English only: said in the asker's language), small talk ("hi", "thanks": components/small_talk.py),
        or a pronoun with nothing to refer to ("When was it signed?" asked first: which one?). None: answer
        the question."""
        # A question in a form the engine reads as English (about the article itself, "tl;dr") is English.
        guess = state.languages.run(q) if self.about_the_article(q, state) is None else None
        if guess is not None and not guess.english:
            return Answer(q, None, True, 0.0, language=guess.code, reason="other_language",
                          reply=english_only_reply(guess.code), suggestions=self.suggested_questions,
                          trace=Trace(route="other_language", read=_read_stage(read, guess.code)))
        kind = self.small_talk.run(q)
        if kind is not None:    # "hi", "thanks", "who are you?": a reply, as the chat page gives it
            return Answer(q, None, True, 0.0, reason="small_talk", reply=reply(kind, topic(state.documents)),
                          suggestions=self.suggested_questions, trace=Trace(route="small_talk", read=_read_stage(read)))
        if read.unresolved is None or self.article_intent(read, state)[0] is not None:
            return None
        return Answer(q, None, True, 0.0, interpreted_as=read.interpreted_as, reason="unclear_reference",
                      reply=f"Which one do you mean by “{read.unresolved}”? Ask again with its name, for example:",
                      suggestions=self.suggested_questions, trace=Trace(route="unclear_reference", read=_read_stage(read)))

    def _with_short_answer(self, answer: Answer, read: ReadQuestion, state: IndexState) -> Answer:
        """``answer`` with the minimal phrase of its quote that answers ``read`` (None when abstained)."""
        if answer.abstained or not answer.citations or answer.citations[0].answer_span is None:
            return answer
        if answer.trace is not None and answer.trace.route == "metadata":
            return answer      # the front matter's value is its own short answer (and its verdict, if asked)
        trace = answer.trace or Trace()
        # A follow-up read with the question before it is judged Yes or No on its own words: "and in 2019?"
        # after "Was the ITPP signed in 2021?" does not ask whether it was signed in 2021.
        asked = read.typed if read.context and read.typed else read.text
        if is_yes_no(read.text) or is_yes_no(asked):
            # The Yes/No is the short answer of a yes/no question, given only where the quote settles it;
            # a phrase in bold would promise more than the quote does.
            verdict = self.verdict.run(asked, answer.answer or "", answer.confidence)
            return replace(answer, verdict=verdict, trace=replace(trace, verdict=verdict))
        first = answer.citations[0]
        t0 = time.perf_counter()
        found = self.short.best(read.text, first.passage.text, first.answer_span, state.parse(first.passage))
        if found is None:
            return answer
        phrase = first.passage.text[found.span.start:found.span.end]
        features = short_answer_features(read.text, answer.answer or "", phrase, found.kind, found.score)
        confidence = self.short_gate.run(features) if self.short_gate is not None else 1.0
        shown = self.short_gate is None or self.short_gate.shown(confidence)
        short = ShortAnswer(phrase, found.span.start, found.span.end, confidence) if shown else None
        stage = ShortAnswerStage(phrase, features, confidence, shown, (time.perf_counter() - t0) * 1000)
        return replace(answer, short_answer=short, trace=replace(trace, short_answer=stage))

    def _answer(self, q: str, read: ReadQuestion, state: IndexState, q_vec: np.ndarray | None = None) -> Answer:
        s = self.settings
        t0 = time.perf_counter()
        meta, read = self.article_intent(read, state)
        if meta is not None:
            return self._meta_answer(q, read, meta, state)
        raw = self.embedder.encode_one(read.text) if q_vec is None else q_vec
        q_vec = self.adapter.run(raw)
        bank = self.bank.run(raw, len(state.data.sentence_vectors))
        encode_ms = (time.perf_counter() - t0) * 1000
        terms = list(dict.fromkeys(content_terms(read.text)))
        if read.kind == EXPANSION:
            framing = expansion_terms(read.text)
            terms = [t for t in terms if t not in framing]
        n_docs = max(state.bm25.n_docs, 1)
        dfs = {t: state.bm25.df(t) for t in terms}
        weights = {t: idf(dfs[t], n_docs) for t in terms}
        total = sum(weights.values())
        lexical_share = sum(w for t, w in weights.items() if dfs[t] > 0) / total if total > 0 else 0.0
        rows = self.retriever.run(read.text, q_vec, Rankers(state.dense, state.bm25, state.sentences), lexical_share)
        records = [state.record(r, q_vec, bank) for r in rows]
        related = tuple(Citation(rec.passage, rec.cosine) for rec in records)[:s.cited_k]
        trace = Trace(read=_read_stage(read),
                      retrieval=RetrievalStage(tuple(terms), tuple(rows), lexical_share, encode_ms))
        if not rows:
            return Answer(q, None, True, 0.0, related, read.interpreted_as, trace=trace)
        # Words carried over from earlier turns locate the passage; the follow-up's own words choose the sentence.
        carried = set(content_terms(read.context)) - set(content_terms(q)) if read.context else set()
        select_weights = {t: (w * CARRIED_TERM_WEIGHT if t in carried else w) for t, w in weights.items()}
        candidates = self.selector.run(SelectionQuery(read, q_vec, terms, select_weights), records)
        if not candidates:
            return Answer(q, None, True, 0.0, related, read.interpreted_as, trace=trace)
        best = candidates[0]
        vocab_cov = self._vocabulary_coverage(read.text, weights, dfs, state) if total > 0 else 0.0
        features = dict(best.features, vocabulary_coverage=vocab_cov, unknown_name=self.novelty.run(read.text, state.names),
                        null_margin=best.features["sentence_cosine"] - self.adapter.null_score(q_vec),
                        bank_margin=bank.margin, asks_opinion=1.0 if asks_for_opinion(read.text) else 0.0,
                        negation_mismatch=1.0 if negated(read.text) != negated(best.text) else 0.0)
        if self.answerability.reads_alignment:
            features.update(self._alignment(read.text, best.row, best.sentence_index, best.sentence_count, state))
        conf = self.answerability.run(features)
        # "What does X stand for?" is answered only where the article spells X out, whatever the confidence.
        declined_by = ("acronym_not_spelled_out"
                       if read.kind == EXPANSION and not state.spelled_out.run(acronyms(read.text)) else None)
        trace = replace(trace, answerability=AnswerabilityStage(features, conf, self.abstain_threshold,
                                                                self.answerability.name, declined_by))
        if declined_by is not None:
            return Answer(q, None, True, 0.0, related, read.interpreted_as, trace=trace)
        if conf < self.abstain_threshold:
            return Answer(q, None, True, conf, related, read.interpreted_as, trace=trace)
        span = Span(0, len(best.passage.text)) if s.answer_mode == "passage" else best.span
        first = Citation(best.passage, next(rec.cosine for rec in records if rec.row == best.row), span)
        rest = tuple(c for c in related if c.passage.passage_id != best.passage.passage_id)[:s.cited_k - 1]
        return Answer(q, best.passage.text[span.start:span.end], False, conf, (first,) + rest,
                      read.interpreted_as, trace=trace)

    def _meta_answer(self, q: str, read: ReadQuestion, meta: metadata.MetaMatch, state: IndexState) -> Answer:
        """A question about the article itself, answered from its byline and front matter; "what is it
        about?" from its lead and "summarize it" from its conclusion."""
        if meta.intent in metadata.ABOUT_THE_WHOLE:
            summary = self._summary(q, read, meta, state)
            if summary is not None:
                return summary
        found = metadata.answer(meta.intent, state.meta_passages, state.doc_meta)
        trace = Trace(route="metadata", read=_read_stage(read), meta_intent=meta.intent)
        if found is None:  # e.g. a publication date the metadata does not hold
            return Answer(q, None, True, 0.0, tuple(Citation(p, 0.0) for p in state.meta_passages),
                          read.interpreted_as, trace=trace)
        passage, span = found
        value = passage.text[span.start:span.end]
        # "Was this published by the New York Times?": Yes or No from the front matter itself.
        verdict = metadata.name_verdict(meta.named, value)
        return Answer(question=q, answer=value, abstained=False,
                      confidence=meta.confidence, citations=(Citation(passage, 1.0, span),),
                      interpreted_as=read.interpreted_as, verdict=verdict,
                      trace=replace(trace, verdict=verdict) if verdict else trace)

    @staticmethod
    def _summary(q: str, read: ReadQuestion, meta: metadata.MetaMatch, state: IndexState) -> Answer | None:
        """The article by its own words, the opening two sentences of one paragraph, citing its lead and its last
        paragraph: "what is it about?" quotes the lead (a news article states its subject first); "summarize it",
        "the main takeaway" the last paragraph (where an analysis states its conclusion). Chosen on the training
        questions of both kinds (docs/ablation.md, "Issue 17, fifth round")."""
        body = [state.data.passages[i] for i in state.data.searchable if state.data.passages[i].sentences]
        if not body:
            return None
        lead, last = body[0], body[-1]
        quoted, other = (lead, last) if meta.intent == "about" else (last, lead)
        span = Span(quoted.sentences[0].start, quoted.sentences[min(1, len(quoted.sentences) - 1)].end)
        citations = (Citation(quoted, 1.0, span),) + ((Citation(other, 1.0),) if other is not quoted else ())
        return Answer(q, quoted.text[span.start:span.end], False, meta.confidence, citations, read.interpreted_as,
                      trace=Trace(route="summary", read=_read_stage(read), meta_intent=meta.intent))

    def _alignment(self, text: str, row: int, first: int, count: int, state: IndexState) -> dict[str, float]:
        """The word alignment of the question with the chosen sentences, their passage and the article."""
        vectors = state.word_vectors
        question = self.embedder.encode_tokens([text])[0]
        return self.alignment.run(question, vectors.answer(row, first, count), vectors.passages[row], vectors.article)

    @staticmethod
    def _vocabulary_coverage(text: str, weights: dict[str, float], dfs: dict[str, int], state: IndexState) -> float:
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


def _read_stage(read: ReadQuestion, language: str = "en") -> ReadStage:
    return ReadStage(read.text, read.kind, read.interpreted_as, language)
