"""Which language a question is written in: the engine reads English only, and says so in the asker's language.

``LanguageIdentifier(corpus_words, names).run(question) -> LanguageGuess(code, english)``. The corpus's proper
names and acronyms are taken out first ("Santos y la OTAN" is judged on "y la"; "Santos and NATO" on "and"):
names are the same in every language and tip short questions either way. Two signals then weigh the words left:

- how common each word is in English and in the other candidate languages (wordfreq's word lists, shipped in its
  wheel, kept memory-mapped: language_model.py): the question's *lean* is the mean, over its words, of the word's
  frequency in its likeliest other language minus its frequency in English (Zipf scale). The corpus's (English)
  words and English's closed-class words and chat fillers (lexicon.py) lean no further than 0. "colombia nato
  future role" leans English, whatever a character model makes of "future role"; "y la" leans Spanish;
- py3langid's probability of English (its model ships in the wheel), which reads spelling ("ção", "¿").

A question that holds one of English's own closed-class words (``ENGLISH_MARKER_LEAN``: "what", "the", "did") is
English, and so is one made only of names the article does not hold ("Bogotá", "Medellín": capitalised words
that English text also uses, leaning foreign by at most ``NAME_LEAN``), and one that opens with an English
auxiliary before a name ("Was Uribe pro NATO?": German's "Was" is "what") unless the rest leans clearly foreign.
Otherwise it is taken as not English when it leans clearly foreign (``STRONG_LEAN``), or when py3langid
gives English less than ``MAX_ENGLISH`` and it leans foreign at all (``WEAK_LEAN``). Which language: the one whose
words are the most common (mean Zipf), plus ``LANGID_WEIGHT`` times py3langid's probability for it. The
thresholds were chosen on corpus/gold/languages/dev.jsonl and the English training and dev questions
(scripts/measure_languages.py prints the figures; docs/ablation.md, "Issue 17, sixth round").
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ..lexicon import AUXILIARIES, FILLERS, FUNCTION_WORDS, STOPWORDS
from ..text import fold_width
from .language_model import load_identifier, load_word_frequencies

#: The languages told apart (ISO 639-1); the engine answers in English and replies in the others.
CANDIDATES = ("en", "es", "pt", "fr", "de", "it", "nl")
MAX_ENGLISH = 0.3           # py3langid's normalised probability of English below which a question may be foreign
STRONG_LEAN = 0.5           # a lean (Zipf points) above which a question is foreign whatever py3langid says
WEAK_LEAN = 0.0             # ... and above which it is, when py3langid gives English less than MAX_ENGLISH
ENGLISH_MARKER_LEAN = -1.0  # a closed-class English word at most this foreign marks its question English
LANGID_WEIGHT = 2.0         # Zipf points one unit of py3langid's probability is worth, in naming the language
NAME_LEAN = 2.0             # a capitalised word English text also uses, leaning foreign no more than this, is a name

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
# An elided article or preposition before a word ("d'Uribe", "l'OTAN", "qu'est"): read as two words, so that the
# name after it is still a name. English's contractions elide after the word ("it's", "don't") and stay whole.
_ELISION = re.compile(r"^([^\W\d_]{1,2}|qu)['’]([^\W\d_]{3,})$", re.IGNORECASE)


# Spanish's opening marks: "¿Bogotá?" is asked in Spanish.
_INVERTED = re.compile("[¿¡]")


def _name_like(word: str, zipf: dict[str, float]) -> bool:
    """A capitalised word that English text also uses, not much more often in another language: a name ("Cartagena",
    "Medellín", "Bogotá", "Vélez": 1.3 to 1.9 Zipf points more common in Spanish), the same in every language.
    Another language's everyday words lean further: greetings ("Hola" 2.2, "Bonjour" 2.3), "Presidente" 3.1,
    German's capitalised "Bedeutung" 3.1, "Qué" 3.5. A name that leans as far ("Duque" 2.1) is read as the
    language it leans to, as before."""
    return word[0].isupper() and zipf["en"] > 0.0 and _lean_of(zipf) <= NAME_LEAN


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


@lru_cache(maxsize=1)
def _frequencies():
    # wordfreq's lists for the candidate languages, memory-mapped from the user cache (language_model.py).
    return load_word_frequencies(CANDIDATES)


def preload() -> None:
    """Load the language identifier and the word lists now (a few ms once their tables are cached; otherwise on
    the first question): ``colnato-qa serve`` loads them beside the engine so that the first question does not
    wait for them."""
    _identifier()
    _frequencies()


def proper_names(texts: Iterable[str]) -> frozenset[str]:
    """Words that the texts only ever write capitalised (names: "Colombia", "Santos"), accents folded."""
    capitalised: set[str] = set()
    lower: set[str] = set()
    for text in texts:
        for w in _WORD.findall(text):
            (capitalised if w[0].isupper() else lower).add(fold_accents(w))
    return frozenset(capitalised - lower)


def words_of(question: str) -> list[str]:
    """The question's words, an elided article or preposition split from the word it precedes."""
    words: list[str] = []
    for w in _WORD.findall(question):
        elided = _ELISION.match(w)
        words.extend(elided.groups() if elided else (w,))
    return words


def foreign_lean(word: str) -> float:
    """How much more common ``word`` is in its likeliest other language than in English (Zipf points; < 0: it
    is more common in English). Words too rare for the word lists count 0 in every language.

        >>> foreign_lean("la") > 2 > 0 > foreign_lean("future")
        True
    """
    return _lean_of(_frequencies().zipf(word))


def _lean_of(zipf: dict[str, float]) -> float:
    return max(zipf[code] for code in CANDIDATES[1:]) - zipf["en"]


class LanguageIdentifier:
    """Settings (the corpus's words and names, the thresholds) in ``__init__``, a question in ``run``."""

    def __init__(self, corpus_words: Iterable[str], names: Iterable[str], max_english: float = MAX_ENGLISH,
                 strong_lean: float = STRONG_LEAN, weak_lean: float = WEAK_LEAN) -> None:
        self.english_words = frozenset(fold_accents(w) for w in corpus_words) | STOPWORDS | FUNCTION_WORDS | FILLERS
        # English's own closed-class words ("what", "the", "did", "of"; not "is", "a", "in", "was", which other
        # languages share): a question built on them is English, whatever names or phrases it quotes ("What was
        # the Unión de Naciones Suramericanas?", "the raison d'être of the partnership").
        self.english_markers = frozenset(w for w in STOPWORDS | FUNCTION_WORDS
                                         if foreign_lean(w) <= ENGLISH_MARKER_LEAN)
        self.names = frozenset(names)
        self.max_english = max_english
        self.strong_lean = strong_lean
        self.weak_lean = weak_lean

    def lean(self, words: list[str], zipf: list[dict[str, float]]) -> float:
        """The words' mean foreign lean (``zipf``: each word's frequencies), the English words the engine knows
        counted at most 0."""
        leans = (_lean_of(z) for z in zipf)
        return sum(min(lean, 0.0) if fold_accents(w) in self.english_words else lean
                   for w, lean in zip(words, leans)) / len(words)

    def run(self, question: str) -> LanguageGuess:
        # Names, acronyms ("OTAN") and initials ("U.S.") are the same in every language: set aside (a question
        # of three words or more typed in capitals keeps its words).
        question = fold_width(question)
        typed = words_of(question)
        capitals = question.isupper() and len(typed) >= 3
        words = [w for w in typed if fold_accents(w) not in self.names and (capitals or not w.isupper())]
        if not words:
            return LanguageGuess("en", 1.0)      # only names and numbers: nothing says it is not English
        ranks = dict(_identifier().rank(" ".join(words)))
        english = float(ranks.get("en", 0.0))
        if any(w.lower() in self.english_markers for w in words):
            return LanguageGuess("en", english)
        zipf = [_frequencies().zipf(w) for w in words]
        if not capitals and not _INVERTED.search(question) and all(map(_name_like, words, zipf)):
            return LanguageGuess("en", english)      # names the article does not hold: "Bogotá", "Álvaro Uribe Vélez"
        if self._inverted_english(typed):
            # "Was Uribe pro NATO?": English's auxiliary before a name, which German's "Was" (what) is not; the
            # words after it must lean clearly foreign ("Is Colombia lid van de NAVO?"), py3langid aside.
            words, zipf = words[1:] or words, zipf[1:] or zipf
            return LanguageGuess("en" if self.lean(words, zipf) <= self.strong_lean else self._likeliest(words, zipf, ranks),
                                 english)
        lean = self.lean(words, zipf)
        if not (lean > self.strong_lean or (english < self.max_english and lean > self.weak_lean)):
            return LanguageGuess("en", english)
        return LanguageGuess(self._likeliest(words, zipf, ranks), english)

    @staticmethod
    def _likeliest(words: list[str], zipf: list[dict[str, float]], ranks: dict[str, float]) -> str:
        """The other language whose words these most are, py3langid's probability weighed in."""
        return max(CANDIDATES[1:],
                   key=lambda c: sum(z[c] for z in zipf) / len(words) + LANGID_WEIGHT * ranks.get(c, 0.0))

    def _inverted_english(self, typed: list[str]) -> bool:
        """An English auxiliary opens the question and a name follows it ("Was Uribe ...", "Did Santos ...")."""
        if len(typed) < 2 or typed[0].lower() not in AUXILIARIES:
            return False
        second = typed[1]
        return fold_accents(second) in self.names or _name_like(second, _frequencies().zipf(second))


@lru_cache(maxsize=1)
def _replies() -> dict[str, str]:
    return json.loads(resources.files("colnato_qa.data").joinpath("replies.json").read_text(encoding="utf-8"))


def english_only_reply(code: str) -> str:
    """'I answer questions in English' in language ``code`` (English when there is no translation)."""
    replies = _replies()
    return replies.get(code, replies["en"])
