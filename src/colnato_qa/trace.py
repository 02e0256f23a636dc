"""What each stage of answering did, as typed records collected in one ``Trace`` per answer.

``Answer.trace`` holds it (never part of the answer JSON). Fitting reads the answerability stage's features,
the short-answer fit reads the short-answer stage, the benchmarks read the timings: each from its own record,
not from a dict read by string key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

#: How a question was answered: quoted from a chosen sentence, from the byline and front matter, summed up
#: from the conclusion and the lead, or replied to without a quote (not English; a pronoun with nothing to
#: refer to).
ROUTES = ("sentence", "metadata", "summary", "other_language", "unclear_reference", "small_talk")

#: Rules that decline a question whatever the answerability model's confidence: "what does X stand for?" when
#: the article never spells X out (components/expansions.py).
DECLINING_RULES = ("acronym_not_spelled_out",)


@dataclass(frozen=True)
class ReadStage:
    """The question as the reader read it (components/reader.py)."""

    text: str                       # what retrieval and scoring use (typos repaired, a follow-up resolved)
    kind: str                       # the kind of answer asked for
    interpreted_as: str | None = None
    language: str = "en"


@dataclass(frozen=True)
class RetrievalStage:
    """The passages retrieved and what the question's words weigh (components/retriever.py)."""

    terms: tuple[str, ...]          # the question's content terms
    rows: tuple[int, ...]           # the searchable rows retrieved, best first
    lexical_share: float            # IDF-weighted share of the question's terms the corpus holds
    encode_ms: float                # the encoder pass (0 when the vector came encoded)


@dataclass(frozen=True)
class AnswerabilityStage:
    """The chosen sentence's features and the confidence the answerability model gave them."""

    features: Mapping[str, float]
    confidence: float
    threshold: float
    model: str                      # the file of the model in use
    declined_by: str | None = None  # a rule that declines whatever the confidence (DECLINING_RULES), if one did


@dataclass(frozen=True)
class ShortAnswerStage:
    """The phrase the extractor found in the quote, the gate's confidence in it, and whether it is shown."""

    candidate: str
    features: Mapping[str, float]
    confidence: float
    shown: bool
    ms: float


@dataclass(frozen=True)
class Trace:
    """One answer's stages; a stage that did not run is None."""

    route: str = "sentence"
    read: ReadStage | None = None
    retrieval: RetrievalStage | None = None
    answerability: AnswerabilityStage | None = None
    short_answer: ShortAnswerStage | None = None
    verdict: str | None = None
    total_ms: float = 0.0
    meta_intent: str | None = None
    extra: Mapping[str, object] = field(default_factory=dict)
