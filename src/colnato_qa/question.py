"""What kind of answer a question asks for, and whether a sentence holds that kind of thing.

The request itself is validated by ``request.AskRequest``; follow-ups are read by
``components/reader.py``. Every rule here is general English (question words, connectives, entity
labels from the build-time annotator), never a word of one article.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .lexicon import KIND_LABELS
from .text import content_terms

# ---------------------------------------------------------------- answer type

YEAR, NUMBER, PERSON, PLACE, NAME, REASON, YES_NO, LIST, EXPANSION, DEFINITION, OTHER = (
    "year", "number", "person", "place", "name", "reason", "yes_no", "list", "expansion", "definition", "other")

# "What is the ITPP?": the answer is the sentence that introduces the term, not any that mentions it.
_DEFINITION_RE = re.compile(
    r"^\s*(?:what|who)\s+(?:is|are|was|were)\s+(?:(?:an?|the)\s+)?(?P<term>[^?,;]{1,60}?)\s*\??\s*$", re.I)

# "What does UNASUR stand for?": the answer is the sentence that spells the acronym out.
_EXPANSION_RE = re.compile(r"\b(stand for|stands for|short for|acronym|abbreviation|full name|full form|spelled out)\b", re.I)
_ACRONYM_RE = re.compile(r"\b([A-Z][A-Z0-9]{1,9})\b")

# "which other Latin American countries", "what kind of city": up to three words between the question
# word and the noun that names the kind, none of them a verb that starts a clause ("what does the country").
_MODIFIERS = r"(?:\s+(?!(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should)\b)[\w’'-]+){0,3}?"


def _which(nouns: str) -> str:
    return rf"\b(?:which|what){_MODIFIERS}\s+(?:{nouns})\b"


_TYPE_RULES: list[tuple[str, re.Pattern[str]]] = [
    (YEAR, re.compile(r"\b(when|what year|which year|in what year|since when|what date|how long ago|what decade)\b|"
                      + _which(r"years?|yrs?|months?|dates?|days?|decades?|century|centuries"), re.I)),
    (NUMBER, re.compile(r"\b(how many|how much|what number of|what percentage|what share|how large|how big|number of)\b|"
                        + _which(r"percentage|percent|proportion|amount|total|number|figure|budget|cost|size"), re.I)),
    (PERSON, re.compile(r"^\s*(who|whom|whose)\b|\bwho (is|was|were|are|did|does|do|has|had)\b|"
                        + _which(r"persons?|people|presidents?|leaders?|ministers?|officials?|generals?|secretar(?:y|ies)|"
                                 r"ambassadors?|politicians?|commanders?|authors?|writers?|journalists?|spokes(?:man|woman|person)"), re.I)),
    (PLACE, re.compile(r"^\s*where\b|\bwhere (is|was|were|are|did|does|do|has|had)\b|"
                       + _which(r"countr(?:y|ies)|cit(?:y|ies)|regions?|places?|continents?|towns?|states?|nations?|capitals?|"
                                r"bases?|locations?"), re.I)),
    (NAME, re.compile(r"\b(what|which) (is|are|was|were) the names? of\b|\bwhat (is|was) (it|that|this) called\b|"
                      + _which(r"organi[sz]ations?|agenc(?:y|ies)|institutions?|compan(?:y|ies)|centers?|centres?|schools?|"
                               r"universit(?:y|ies)|scandals?|operations?|treat(?:y|ies)|newspapers?|papers?"), re.I)),
    (REASON, re.compile(r"^\s*why\b|\b(what|which) (reason|motive|motivation)s?\b|\bhow come\b|\bwhat for\b", re.I)),
    (LIST, re.compile(r"\b(list|name (the|some|all)|what are (the|some)|what kinds? of|which (\w+ )?\w+s (are|were|does|do|did))\b", re.I)),
    (YES_NO, re.compile(r"^\s*(is|are|was|were|does|do|did|has|have|had|can|could|will|would|should|shall|may|might|must)\b", re.I)),
]


def acronyms(question: str) -> list[str]:
    return _ACRONYM_RE.findall(question)


def answer_type(question: str) -> str:
    if _EXPANSION_RE.search(question) and acronyms(question):
        return EXPANSION
    m = _DEFINITION_RE.match(question)
    if m and len(m.group("term").split()) <= 6 and not re.match(r"names?\b", m.group("term"), re.I):
        return DEFINITION
    # The question word that comes first governs ("who was president when ..." asks for a person).
    found = [(m.start(), order, kind) for order, (kind, pattern) in enumerate(_TYPE_RULES)
             if (m := pattern.search(question)) is not None]
    return min(found)[2] if found else OTHER


_YEAR_RE = re.compile(r"\b(1[5-9]\d\d|20\d\d)s?\b")
_MONTH_RE = re.compile(r"\b(January|February|March|April|May|June|July|August|September|October|November|December)\b")
_NUMBER_RE = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|hundreds|thousand|thousands|million|millions|billion|dozen|dozens|half|percent)\b", re.I)
# Connectives that introduce a reason or a purpose.
_REASON_RE = re.compile(r"\b(because|since|as|so that|in order to|to|due to|owing to|thanks to|given that|for the sake of)\b", re.I)


def expansion_terms(question: str) -> set[str]:
    """Words of an "X stands for?" question that only frame it; they are not looked for in the text."""
    return set(content_terms(" ".join(m.group(0) for m in _EXPANSION_RE.finditer(question))))


def type_match(kind: str, sentence: str, question: str = "", entities: Sequence[tuple[str, str]] = ()) -> float:
    """1.0 when the sentence holds the kind of thing asked for, 0.0 when it cannot, 0.5 unknown.

    ``entities`` are the sentence's named entities as (text, label) from the build-time annotator.
    """
    if kind == EXPANSION:
        return 1.0 if any(f"({a})" in sentence for a in acronyms(question)) else 0.0
    if kind == DEFINITION:
        m = _DEFINITION_RE.match(question)
        term = m.group("term").strip() if m else ""
        if sentence.rstrip().endswith(":") or not term:
            return 0.3  # a lead-in introduces a list about the term, not the term
        introduced = (f"({term})" in sentence or re.match(rf"^(?:an?\s+|the\s+)?[“\"]?{re.escape(term)}\b", sentence, re.I))
        return 1.0 if introduced else 0.5
    if kind == YEAR:
        return 1.0 if (_YEAR_RE.search(sentence) or _MONTH_RE.search(sentence)
                       or any(label in KIND_LABELS[YEAR] for _, label in entities)) else 0.0
    if kind == NUMBER:
        return 1.0 if (_NUMBER_RE.search(sentence) or any(label in KIND_LABELS[NUMBER] for _, label in entities)) else 0.0
    if kind in (PERSON, PLACE, NAME):
        # The answer to "who"/"where"/"which country" names someone or somewhere the question did not.
        asked = question.lower()
        return 1.0 if any(label in KIND_LABELS[kind] and text.lower() not in asked for text, label in entities) else 0.0
    if kind == LIST:
        # An enumeration: "including a, b, and c", "such as ...", or a run of commas closed by "and".
        enumerates = re.search(r"\b(including|such as|include|includes|namely)\b", sentence, re.I) or (
            sentence.count(",") >= 2 and re.search(r",\s*(and|or)\s", sentence))
        return 1.0 if enumerates else 0.4
    if kind == REASON:
        return 0.8 if _REASON_RE.search(sentence) else 0.4
    return 0.5


# The asker wants the chatbot's own view ("what do you think", "in your opinion", "should I"): second person,
# general English. The article's author's view is not this ("what does the author think").
_OPINION_RE = re.compile(
    r"\b(?:do|would|did|don[’']t|wouldn[’']t)\s+you\s+(?:personally\s+)?(?:think|believe|reckon|feel|agree|consider|"
    r"recommend|suggest|say|prefer|support|like)\b|\byour\s+(?:own\s+)?(?:opinion|view|views|take|thoughts|"
    r"verdict|feeling|stance)\b|\bwhat\s+do\s+you\s+make\s+of\b|\bshould\s+(?:i|we)\b|\bare\s+you\s+(?:for|against)\b"
    r"|\bpersonally\b|\bif\s+you\s+were\b",
    re.I)


def asks_for_opinion(question: str) -> bool:
    """Does the question ask for the chatbot's own opinion, prediction or advice?"""
    return bool(_OPINION_RE.search(question))


@dataclass(frozen=True)
class ReadQuestion:
    """A question as the reader (components/reader.py) read it."""

    text: str                   # what retrieval and scoring use
    interpreted_as: str | None  # set when the history or a typo repair changed how the question was read
    context: str = ""           # words brought in from earlier turns (weigh less when choosing the sentence)
    kind: str = OTHER           # the kind of answer asked for (answer_type)
    unresolved: str | None = None  # a pronoun with nothing to refer to ("it" in a first "When was it signed?")
    typed: str = ""             # the question as typed, before typo repair
    refers_back: bool = False   # a pronoun or "that ..." of the question stands for something of an earlier turn
