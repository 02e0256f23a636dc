"""The metadata answerer: questions about the article itself (who wrote it, where it was published,
its title, what it is about), answered from the byline and the front matter.

``MetadataAnswerer().run(question, title_words) -> MetaMatch | None``; ``answer(match, passages, doc_meta)``
finds the quoted value. The confidence is the share of the asking sentence's words that a question about
an article is made of: "who is the author of the piece?" is all such words (1.0); "who wrote about
the 2013 agreement?" is not a question about the article itself. Beside a word for a text, the words of
the corpus's titles count as such words too (people name the article by its subject: "author of the
article on the port"; "what is the port about?" is not about the article), and
fillers ("hey", "uh") are not counted at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from .. import question as qmod
from ..lexicon import FILLERS, STOPWORDS, TEXT_NOUNS
from ..text import words
from ..types import Passage, Span
from .verdict import is_yes_no

_INTENTS: list[tuple[str, re.Pattern[str]]] = [
    ("author", re.compile(r"\b(who (wrote|writes|authored|penned|is behind)|author|writer|written by|byline|journalist|reporter)\b", re.I)),
    ("publisher", re.compile(r"\b(publish\w*|publication|newspaper|outlet|magazine|news ?paper|news site|website|media outlet|which paper|what paper|appeared in|put (it|this) out|ran (it|this|the))\b", re.I)),
    ("title", re.compile(r"\b(title|headline|heading)\b", re.I)),
    # What it is about (its topic: the lead says it) before a summary (its conclusion says it).
    ("about", re.compile(r"\b(what is|what's|whats|what)\s+(this|the|it|this\s+\w+)\s+(?:\w+\s+){0,2}about\b|\b(main )?topic of (this|the) (article|piece|story)\b", re.I)),
    ("summary", re.compile(r"\bsumm?ar[iy]\w*|\bsum (it|this|that|the \w+) up\b|\bsum up\b|\btl;? ?dr\b|\bgist\b|\bin a nutshell\b"
                           r"|\b(main|key|big) (point|takeaway|idea|message|argument)s?\b|\btakeaways?\b|\boverview\b", re.I)),
]
# Intents answered from the article's own text (its lead and its conclusion), not from its front matter.
ABOUT_THE_WHOLE = ("about", "summary")
# Words a question about an article is made of, besides its intent words: general English, no
# word of any one article.
_ARTICLE_WORDS = frozenset("""
article piece story text report essay post op ed op-ed editorial news this it one name original source who which what
wrote write written writer author authored penned byline publish published publisher publication newspaper paper
outlet magazine website site media appeared ran run title headline called named heading journalist reporter behind
about topic main by in on is was the of did does do its s whats what's exact full give me tell please company
organization organisation online put out i need know want cite citation bibliography reference summarize summarise summarized summary sum up gist tldr tl dr takeaway
takeaways key point points idea message overview nutshell explain briefly short quick line sentence basically overall
subject whole even actually really just exactly
""".split())
_NAMES_A_TEXT = re.compile(r"\b(" + "|".join(re.escape(n) for n in TEXT_NOUNS) + r")s?\b", re.I)
_DATE_RE = re.compile(r"\b(publish\w*|written|wrote|appear\w*|come out|date)\b", re.I)
_SENTENCE_RE = re.compile(r"[^.?!]+[.?!]*")
# Below this share the question is about something else that merely mentions an author or a title.
MIN_CONFIDENCE = 0.6


@dataclass(frozen=True)
class MetaMatch:
    intent: str          # author, byline (a question naming the author), publisher, title, about, summary, date
    confidence: float    # share of the asking sentence's words that belong to a question about the article
    named: str = ""      # the name a question guesses for its author or publisher ("Was this published by X?")


# A question that names a guess for the author or publisher refers to the text itself ("this", "the article",
# "the author"); the guess is a run of capitalised words, "of", "the", "de" allowed inside.
_REFERS_TO_TEXT = re.compile(r"\b(this|it|author|writer|publisher|byline)\b|" + r"\b(" + "|".join(
    re.escape(n) for n in TEXT_NOUNS) + r")s?\b", re.I)
_GUESS_BEFORE = re.compile(r"\b(?:by|called|named|author|writer|publisher|journalist|reporter)\s+(?:the\s+)?$", re.I)
_NAME_RUN = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][\w’'.-]*(?:\s+(?:(?:of|the|de|del|la|da|van|von)\s+)*[A-Z][\w’'.-]*)*")


def guessed_name(sentence: str, intent: str) -> str:
    """The author or publisher a yes/no question about the article guesses ("New York Times" in "Was this
    published by the New York Times?"), or "" when it guesses none or more than one."""
    if intent not in ("author", "publisher") or not is_yes_no(sentence) or not _REFERS_TO_TEXT.search(sentence):
        return ""
    text = sentence.strip()
    runs = [m for m in _NAME_RUN.finditer(text)]
    # The guess is what the author or publisher is said to be: "by X", "called X", "the author X"; "Is the writer
    # for or against the Brackwater plan?" names no guess.
    if len(runs) != 1 or not _GUESS_BEFORE.search(text[:runs[0].start()]):
        return ""
    return runs[0].group(0)


def name_verdict(named: str, value: str) -> str | None:
    """Yes when the guessed name is the value or part of it ("Miracle" of "Ferdinand Miracle"), No when it is
    another name, None without a guess."""
    if not named or not value:
        return None
    folded = [" ".join(w for w in words(x) if w != "the") for x in (named, value)]
    return "yes" if folded[0] and (folded[0] in folded[1] or folded[1] in folded[0]) else "no"


class MetadataAnswerer:
    def __init__(self, min_confidence: float = MIN_CONFIDENCE) -> None:
        self.min_confidence = min_confidence

    def run(self, question: str, title_words: frozenset[str] = frozenset(),
            author_names: frozenset[str] = frozenset()) -> MetaMatch | None:
        """The metadata intent of the sentence of ``question`` that asks it, or None. ``title_words``: the
        words of the corpus's titles (lower case); ``author_names``: its authors' names ("ferdinand miracle",
        "miracle"), so that "who is Ferdinand Miracle?" asks who wrote it. A slip in a word about articles
        ("who's the auther of this peice") is read as that word. The pipeline asks this of one question at several stages: the answer
        is kept for the latest questions."""
        return _match(question, title_words, self.min_confidence, author_names)


# "Who is Ferdinand Miracle?", "who's miracle": a question naming the article's author and nothing else.
_WHO_IS_RE = re.compile(r"^\W*(?:and\s+|so\s+)?(?:who\s+is|who's|whos|who\s+was|who\s+the\s+\w+\s+is)\s+"
                        r"(?P<name>.+?)\W*$", re.I)


@lru_cache(maxsize=4096)
def _match(question: str, title_words: frozenset[str], min_confidence: float,
           author_names: frozenset[str] = frozenset()) -> MetaMatch | None:
    best: MetaMatch | None = None
    for sentence in _SENTENCE_RE.findall(question) or [question]:
        named = _WHO_IS_RE.match(sentence.strip())
        if named and " ".join(w.strip("'’") for w in words(named.group("name"))) in author_names:
            return MetaMatch("byline", 1.0)
    question = _WORD_RE.sub(_repaired, question)
    for sentence in _SENTENCE_RE.findall(question) or [question]:
        intent = _intent(sentence)
        if intent is None:
            continue
        toks = [w.strip("'’") for w in words(sentence)]
        named = guessed_name(sentence, intent)
        guess = {w.strip("'’") for w in words(named)}
        content = [w for w in toks if w not in STOPWORDS and w not in FILLERS]
        if not content and intent not in ABOUT_THE_WHOLE:
            continue
        # "what is it about?": nothing but the intent's own words.
        # The title's words describe the article only beside a word for it ("the article about the port");
        # "what is NATO about?" asks about NATO.
        described = title_words if _NAMES_A_TEXT.search(sentence) else frozenset()
        share = (sum(1 for w in content if w in _ARTICLE_WORDS or w in described or w in guess) / len(content)
                 if content else 1.0)
        if best is None or share > best.confidence:
            best = MetaMatch(intent, round(share, 4), named)
    return best if best is not None and best.confidence >= min_confidence else None


_WORD_RE = re.compile(r"[A-Za-z]+")
# Words of a question about an article long enough that one slip (an edit or a swap) cannot make another word.
_REPAIRABLE = sorted(w for w in _ARTICLE_WORDS if len(w) >= 5 and w.isalpha())
MIN_REPAIR_CHARS = 5


def _repaired(m: re.Match[str]) -> str:
    word = m.group(0)
    low = word.lower()
    if len(low) < MIN_REPAIR_CHARS or low in _ARTICLE_WORDS or low in STOPWORDS:
        return word
    found = process.extractOne(low, _REPAIRABLE, scorer=OSA.distance, score_cutoff=1)
    return found[0] if found is not None else word


def _intent(sentence: str) -> str | None:
    if qmod.answer_type(sentence) == qmod.YEAR and _DATE_RE.search(sentence):
        return "date"
    for intent, pattern in _INTENTS:
        if pattern.search(sentence):
            return intent
    return None


def answer(intent: str, passages: list[Passage], doc_meta: dict[str, dict[str, str]]) -> tuple[Passage, Span] | None:
    """The passage and span holding the metadata value, or None when the article has no such value.

    The author is quoted from the byline when there is one; publisher and date from the front matter.
    """
    by_kind: dict[str, Passage] = {}
    for p in passages:
        by_kind.setdefault(p.kind, p)
    if intent == "byline" and (by_kind.get("byline") or by_kind.get("metadata")) is not None:
        # "Who is Ferdinand Miracle?": the line that says they wrote it ("by Ferdinand Miracle").
        p = by_kind.get("byline") or by_kind["metadata"]
        return p, Span(0, len(p.text.rstrip()))
    if intent == "title" or intent in ABOUT_THE_WHOLE:
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
