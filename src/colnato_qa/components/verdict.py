"""Yes or No, for a yes/no question whose quoted sentence settles it.

``VerdictReader().run(question, sentence, confidence) -> "yes" | "no" | None``. A promise to the reader,
so given only where it is clear: the question must ask yes or no (it opens with an auxiliary verb), the
quote must cover most of what the question asks about (``min_coverage`` of its content terms), and the
answer must be confident. Then a sentence that negates ("does not obligate", "without compromising",
"nor") answers a question that does not with No; a sentence without negation answers a question without
negation with Yes, provided it holds every number the question names ("in 2019?" is not answered Yes by
"in 2021"; "in 2015?" is by "(2010-2018)"). Anything else (a negated question, mixed polarity) gets no
verdict. Closed-class English only (auxiliaries, negators); the thresholds were chosen on the yes/no questions of the forms
train and dev sets (scripts/measure_verdicts.py).
"""

from __future__ import annotations

import re

from ..lexicon import AUXILIARIES
from ..text import content_terms, number_values

_AUX = "|".join(a.replace("'", "'?") for a in AUXILIARIES)
# A yes/no question: an auxiliary opens the asking sentence (after an optional "so", "ok", "and" ...).
_YES_NO_RE = re.compile(rf"^\s*(?:(?:so|ok|okay|and|but|hey|also|quick question|just wondering)[,:]?\s+)*(?:{_AUX})\b",
                        re.I)
_NEGATION_RE = re.compile(r"\b(?:not|no|never|nor|neither|without|none|nothing|cannot)\b|n[’']t\b", re.I)
# Negators that deny the predicate itself ("without" qualifies it: "freedom ... without being bound").
_DENIAL_RE = re.compile(r"\b(?:not|never|nor|cannot)\b|n[’']t\b", re.I)
# Focus words make a yes/no question turn on something a sentence rarely settles ("only", "already", "first").
_FOCUS_RE = re.compile(r"\b(?:only|just|already|still|yet|ever|first|all|every|really|entirely|completely|fully)\b", re.I)
_SENTENCE_RE = re.compile(r"[^.?!]+[.?!]*")

#: How a verdict is shown to the reader (the chat page, `colnato-qa ask`).
VERDICTS = {"yes": "Yes", "no": "No"}
MIN_COVERAGE = 0.5          # for No: of the question's content terms, the share the denying sentence holds
YES_COVERAGE = 0.67         # for Yes: the sentence must hold more of what is asked
MIN_CONFIDENCE = 0.5


def asking_sentence(question: str) -> str:
    """The sentence of the message that asks (the last one ending in '?', else the whole message)."""
    asks = [s for s in _SENTENCE_RE.findall(question) if s.strip().endswith("?")]
    return asks[-1].strip() if asks else question.strip()


def negated(text: str) -> bool:
    """Does the text hold a negator ("not", "n't", "never", "without", ...)?"""
    return bool(_NEGATION_RE.search(text))


def is_yes_no(question: str) -> bool:
    return bool(_YES_NO_RE.match(asking_sentence(question)))


class VerdictReader:
    """Settings (how much of the question the quote must cover, how confident the answer must be) in
    ``__init__``; the question, the quote and the answer's confidence in ``run``."""

    def __init__(self, min_coverage: float = MIN_COVERAGE, min_confidence: float = MIN_CONFIDENCE,
                 yes_coverage: float = YES_COVERAGE) -> None:
        self.min_coverage = min_coverage
        self.min_confidence = min_confidence
        self.yes_coverage = yes_coverage

    def run(self, question: str, sentence: str, confidence: float) -> str | None:
        asked = asking_sentence(question)
        if not _YES_NO_RE.match(asked) or confidence < self.min_confidence:
            return None
        terms = set(content_terms(asked))
        numbers = number_values(sentence)
        held = set(content_terms(sentence)) | numbers     # a year inside "(2010-2018)" is held
        coverage = len(terms & held) / len(terms) if terms else 0.0
        if coverage < self.min_coverage or _NEGATION_RE.search(asked):
            return None
        if _DENIAL_RE.search(sentence):
            return "no"
        if (_NEGATION_RE.search(sentence) or _FOCUS_RE.search(asked) or coverage < self.yes_coverage
                or not number_values(asked) <= numbers):
            return None       # "signed in 2019?" against "signed in 2021": the quote does not say yes
        return "yes"
