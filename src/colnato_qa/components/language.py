"""Which language a question is written in: the engine reads English only, and says so in the asker's language.

``LanguageIdentifier(corpus_words, names).run(question) -> LanguageGuess(code, english)``. py3langid (its model
ships in the wheel) ranks the languages of ``CANDIDATES`` on the question with the corpus's proper names and
acronyms taken out ("Santos y la OTAN" is judged on "y la"; "Santos and NATO" on "and"): names are the same in
every language and tip short questions either way. A question is taken as not English only when both
signals agree: py3langid gives English less than ``max_english`` and fewer than ``min_corpus_share`` of its
remaining words are English words the engine knows: the (English) corpus's, and English's closed-class words and
chat fillers (lexicon.py: a lone "how" or "hi" is English, whatever py3langid makes of two letters). Both thresholds were chosen on
corpus/gold/languages/dev.jsonl (scripts/measure_languages.py prints the figures).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ..lexicon import FILLERS, FUNCTION_WORDS, STOPWORDS
from .language_model import load_identifier

#: The languages told apart (ISO 639-1); the engine answers in English and replies in the others.
CANDIDATES = ("en", "es", "pt", "fr", "de", "it", "nl")
MAX_ENGLISH = 0.3           # py3langid's normalised probability of English below which a question may be foreign
MIN_CORPUS_SHARE = 0.67     # ... and the share of its words (names out) that are corpus words below which it is

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def fold_accents(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c))


@dataclass(frozen=True)
class LanguageGuess:
    code: str           # ISO 639-1
    english_probability: float

    @property
    def english(self) -> bool:
        return self.code == "en"


@lru_cache(maxsize=1)
def _identifier():
    # The candidate languages' columns only, memory-mapped from the user cache (language_model.py).
    return load_identifier(CANDIDATES)


def preload() -> None:
    """Load the language identifier now (a few ms once its tables are cached; otherwise on the first question):
    ``colnato-qa serve`` loads it beside the engine so that the first question does not wait for it."""
    _identifier()


def proper_names(texts: Iterable[str]) -> frozenset[str]:
    """Words that the texts only ever write capitalised (names: "Colombia", "Santos"), accents folded."""
    capitalised: set[str] = set()
    lower: set[str] = set()
    for text in texts:
        for w in _WORD.findall(text):
            (capitalised if w[0].isupper() else lower).add(fold_accents(w))
    return frozenset(capitalised - lower)


class LanguageIdentifier:
    """Settings (the corpus's words and names, the thresholds) in ``__init__``, a question in ``run``."""

    def __init__(self, corpus_words: Iterable[str], names: Iterable[str], max_english: float = MAX_ENGLISH,
                 min_corpus_share: float = MIN_CORPUS_SHARE) -> None:
        self.english_words = frozenset(fold_accents(w) for w in corpus_words) | STOPWORDS | FUNCTION_WORDS | FILLERS
        self.names = frozenset(names)
        self.max_english = max_english
        self.min_corpus_share = min_corpus_share

    def run(self, question: str) -> LanguageGuess:
        words = [w for w in _WORD.findall(question)
                 if fold_accents(w) not in self.names and not (w.isupper() and len(w) > 1)]
        if not words:
            return LanguageGuess("en", 1.0)      # only names and numbers: nothing says it is not English
        ranks = dict(_identifier().rank(" ".join(words)))
        english = float(ranks.get("en", 0.0))
        share = sum(fold_accents(w) in self.english_words for w in words) / len(words)
        if english >= self.max_english or share >= self.min_corpus_share:
            return LanguageGuess("en", english)
        code = max((c for c in CANDIDATES if c != "en"), key=lambda c: ranks.get(c, 0.0))
        return LanguageGuess(code, english)


@lru_cache(maxsize=1)
def _replies() -> dict[str, str]:
    return json.loads(resources.files("colnato_qa.data").joinpath("replies.json").read_text(encoding="utf-8"))


def english_only_reply(code: str) -> str:
    """'I answer questions in English' in language ``code`` (English when there is no translation)."""
    replies = _replies()
    return replies.get(code, replies["en"])
