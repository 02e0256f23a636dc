"""The question side: what kind of answer it asks for, and reading follow-ups (the request itself is
validated by ``request.AskRequest``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .request import HistoryTurn
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

_TYPE_RULES: list[tuple[str, re.Pattern[str]]] = [
    (YEAR, re.compile(r"\b(when|what year|which year|in what year|since when|what date|how long ago|what decade)\b", re.I)),
    (NUMBER, re.compile(r"\b(how many|how much|what number of|what percentage|what share|how large|how big|number of)\b", re.I)),
    (PERSON, re.compile(r"^\s*(who|whom|whose)\b|\b(which|what) (person|president|leader|minister|official|general)\b", re.I)),
    (PLACE, re.compile(r"^\s*where\b|\b(which|what) (country|city|region|place|continent)\b", re.I)),
    (NAME, re.compile(r"\b(what|which) (is|are|was|were) the names? of\b|\bwhat (is|was) (it|that|this) called\b", re.I)),
    (REASON, re.compile(r"^\s*why\b|\b(what|which) (reason|motive|motivation)s?\b|\bhow come\b|\bwhat for\b", re.I)),
    (LIST, re.compile(r"\b(list|name (the|some|all)|what are (the|some)|which (areas|goals|objectives|benefits|fields))\b", re.I)),
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
    for kind, pattern in _TYPE_RULES:
        if pattern.search(question):
            return kind
    return OTHER


_YEAR_RE = re.compile(r"\b(1[5-9]\d\d|20\d\d)s?\b")
_MONTH_RE = re.compile(r"\b(January|February|March|April|May|June|July|August|September|October|November|December)\b")
_NUMBER_RE = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|hundreds|thousand|thousands|million|millions|billion|dozen|dozens|half|percent)\b", re.I)
_REASON_RE = re.compile(r"\b(because|since|as|so that|in order to|to|due to|believed|sought|saw|aim|help|could)\b", re.I)


def expansion_terms(question: str) -> set[str]:
    """Words of an "X stands for?" question that only frame it; they are not looked for in the text."""
    return set(content_terms(" ".join(m.group(0) for m in _EXPANSION_RE.finditer(question))))


def type_match(kind: str, sentence: str, question: str = "") -> float:
    """1.0 when the sentence holds the kind of thing asked for, 0.0 when it cannot, 0.5 unknown."""
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
        return 1.0 if (_YEAR_RE.search(sentence) or _MONTH_RE.search(sentence)) else 0.0
    if kind == NUMBER:
        return 1.0 if _NUMBER_RE.search(sentence) else 0.0
    if kind in (PERSON, PLACE, NAME):
        # The answer to "who"/"where"/"which country" names someone or somewhere the question did not.
        asked = question.lower()
        return 1.0 if any(name.lower() not in asked for name, _ in entities(sentence)) else 0.0
    if kind == LIST:
        # An enumeration: "including a, b, and c", "such as ...", or a run of commas closed by "and".
        enumerates = re.search(r"\b(including|such as|include|includes|namely)\b", sentence, re.I) or (
            sentence.count(",") >= 2 and re.search(r",\s*(and|or)\s", sentence))
        return 1.0 if enumerates else 0.4
    if kind == REASON:
        return 0.8 if _REASON_RE.search(sentence) else 0.4
    return 0.5


# ---------------------------------------------------------------- follow-ups

_ANAPHORA = re.compile(
    r"\b(it|its|they|them|their|theirs|this|that|these|those|he|him|his|she|her|there|such|the same)\b", re.I)
_TOPIC_PATTERNS = [
    re.compile(r"^(?:what|who|which)\s+(?:is|are|was|were)\s+(?P<topic>.+)$", re.I),
    re.compile(r"^(?:tell me about|what about|how about|explain|describe|talk about)\s+(?P<topic>.+)$", re.I),
    re.compile(r"^what\s+(?:does|do|did)\s+(?P<topic>.+?)\s+(?:mean|stand for|do|involve|include|offer)$", re.I),
]


@dataclass(frozen=True)
class ReadQuestion:
    text: str                   # what retrieval and scoring use
    interpreted_as: str | None  # set when history changed how the question was read
    context: str = ""           # words brought in from earlier turns (weigh less when choosing the sentence)


def _topic_of(question: str) -> str | None:
    q = question.strip().rstrip("?.! ").strip()
    for pattern in _TOPIC_PATTERNS:
        m = pattern.match(q)
        if m:
            return m.group("topic").strip()
    return None


def is_follow_up(question: str) -> bool:
    terms = content_terms(question)
    return bool(_ANAPHORA.search(question)) or len(terms) <= 1 or bool(re.match(r"^\s*(and|what about|how about)\b", question, re.I))


_PERSONAL = {"he", "him", "his", "she", "her"}
_ENTITY = re.compile(
    r"(?:(?:[A-Z]\.){2,}|[A-ZÁÉÍÓÚÑ][\w’'-]+|[A-Z]{2,})"
    r"(?:\s+(?:(?:of|and|on|for|de|del|the)\s+)*(?:(?:[A-Z]\.){2,}|[A-ZÁÉÍÓÚÑ][\w’'-]+|[A-Z]{2,}))*")
_SENTENCE_START_WORDS = {"the", "a", "an", "in", "by", "for", "on", "as", "this", "these", "that", "it", "its",
                         "what", "which", "who", "when", "where", "why", "how", "is", "are", "was", "were", "does",
                         "do", "did", "has", "have", "can", "will", "would", "should", "however", "moreover", "through"}


def entities(text: str) -> list[tuple[str, bool]]:
    """Names in ``text`` (capitalised runs such as "Agreement on Cooperation and Security of Information",
    acronyms), each with whether "the" stands before it. A capitalised sentence-opening function word is not a name."""
    out = []
    for m in _ENTITY.finditer(text):
        name = m.group(0)
        first, _, rest = name.partition(" ")
        if first.lower() in _SENTENCE_START_WORDS:
            if not rest:
                continue
            name = rest
        name = re.sub(r"(?:\s+(?:of|and|on|for|de|del|the))+$", "", name)
        start = text.find(name, m.start())
        preceded_by_the = text[max(0, start - 4):start].lower() == "the "
        out.append((name, preceded_by_the))
    return out


def _new_entity(answer: str, question: str, personal: bool) -> str | None:
    """The longest name in the previous answer that the previous question did not already hold."""
    asked = question.lower()
    fresh = [(n, the) for n, the in entities(answer) if n.lower() not in asked and not n.isupper() or
             (n.isupper() and n.lower() not in asked)]
    if personal:  # "he"/"she" refers to a person: a run of two or more capitalised words
        fresh = [(n, the) for n, the in fresh if len(n.split()) >= 2 and not the and not n.isupper()]
    if not fresh:
        return None
    name, the = max(fresh, key=lambda e: len(e[0]))
    return f"the {name}" if the else name


def _entity_of(question: str) -> str | None:
    """The longest name in a question (its first word aside), e.g. "the ITPP" in "When was the ITPP signed?"."""
    found = entities(question)
    if not found:
        return None
    name, the = max(found, key=lambda e: len(e[0]))
    return f"the {name}" if the else name


def read_question(question: str, history: list[HistoryTurn], turns_used: int,
                  previous_answer: Callable[[], str | None] | None = None) -> ReadQuestion:
    """Resolve a follow-up against the previous user question (and its answer); otherwise the question as asked.

    A pronoun is replaced by what it most likely refers to: the topic of a "What is X?" question, else
    (and first, for he/she) a name the previous answer introduced, else the main name of the previous
    question. Without a pronoun, or with nothing to put in its place, the previous question is searched too.
    """
    users = [t.content for t in history if t.role == "user"][-turns_used:] if turns_used else []
    if not users or not is_follow_up(question):
        return ReadQuestion(question, None)
    # The previous question, itself resolved against the turns before it.
    previous = read_question(users[-1], [HistoryTurn("user", u) for u in users[:-1]], turns_used).text
    pronoun = next((m for m in _ANAPHORA.finditer(question) if m.group(0).lower() != "there"), None)
    if pronoun is not None:
        personal = pronoun.group(0).lower() in _PERSONAL
        topic = None if personal else _topic_of(previous)
        if topic is None and previous_answer is not None:
            answer = previous_answer()
            if answer:
                topic = _new_entity(answer, previous, personal)
        if topic is None and not personal:
            topic = _entity_of(previous)
        if topic:
            w = pronoun.group(0).lower()
            if w in ("its", "their", "theirs", "his", "her"):
                replacement = topic + ("’" if topic.endswith("s") else "’s")
            elif w in ("this", "that", "these", "those") and question[pronoun.end():pronoun.end() + 1] == " " \
                    and not re.match(r"\s+(is|was|are|were|mean|do|does|did)\b", question[pronoun.end():], re.I):
                replacement = f"{topic}’s"  # a determiner: "those governments" -> "the pink tide’s governments"
            else:
                replacement = topic
            rewritten = question[:pronoun.start()] + replacement + question[pronoun.end():]
            if rewritten[0].islower():
                rewritten = rewritten[0].upper() + rewritten[1:]
            return ReadQuestion(rewritten, rewritten, topic)
    return ReadQuestion(f"{question} {previous}", f"{question} (following up on: {previous})", previous)
