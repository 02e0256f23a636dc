"""Yes or No, for a yes/no question whose quoted sentence settles it.

``VerdictReader().run(question, sentence, confidence) -> "yes" | "no" | None``. A promise to the reader,
so given only where it is clear: the question must ask yes or no (it opens with an auxiliary verb), the
quote must cover most of what the question asks about (``min_coverage`` of its content terms), and the
answer must be confident. Then a sentence that negates ("does not obligate", "without compromising",
"nor") answers a question that does not with No; a sentence without negation answers a question without
negation with Yes, provided it holds every content word and every number the question names ("in 2019?" is
not answered Yes by "in 2021"; "in 2015?" is by "(2010-2018)"), says the relation the question asks about
("before", "against", "under": lexicon.RELATIONS), and neither reports a view nor holds back ("seen by some
as ...", "reluctant to join": lexicon.REPORTED_OR_HEDGED, HELD_BACK). Word overlap cannot tell who does what to
whom ("Does NATO teach Colombia about demining?" against "Colombia's experience in demining provides lessons
for NATO"), so a Yes asks for all of the question's words, and a sentence that leaves one out gets no verdict.
Anything else (a negated question, mixed polarity) gets no verdict. Closed-class English only; the thresholds
were chosen on the yes/no questions of the forms train and dev sets (scripts/measure_verdicts.py).
"""

from __future__ import annotations

import re

from ..lexicon import AUXILIARIES, HELD_BACK, RELATIONS, REPORTED_OR_HEDGED
from ..text import content_terms, number_values, words

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
# For Yes the sentence must hold all of what is asked. Forms train+dev (scripts/measure_verdicts.py): 0.67 gives
# 34 verdicts, 33 right; 0.8 gives 23, 1.0 gives 16, all right. On the 32 verdicts of a new-user review
# (docs/ablation.md, "Yes only where the quote affirms") 0.8 still gave 3 wrong Yes, 1.0 none.
YES_COVERAGE = 1.0
MIN_CONFIDENCE = 0.5


def asking_sentence(question: str) -> str:
    """The sentence of the message that asks (the last one ending in '?', else the whole message)."""
    asks = [s for s in _SENTENCE_RE.findall(question) if s.strip().endswith("?")]
    return asks[-1].strip() if asks else question.strip()


def negated(text: str) -> bool:
    """Does the text hold a negator ("not", "n't", "never", "without", ...)?"""
    return bool(_NEGATION_RE.search(text))


def affirms(asked: str, sentence: str) -> bool:
    """Does the sentence say the relation the question asks about, in its own voice and without holding back?"""
    q_words, s_words = set(w.lower() for w in words(asked)), set(w.lower() for w in words(sentence))
    return not ((q_words & RELATIONS) - s_words or (s_words & REPORTED_OR_HEDGED) - q_words
                or (s_words & HELD_BACK) - q_words)


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
        if not affirms(asked, sentence):
            return None
        return "yes"
