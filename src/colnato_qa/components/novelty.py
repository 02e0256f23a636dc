"""Does the question name something the corpus never mentions? (``unknown_name``)

A name or acronym the article never mentions is strong evidence that the article does not answer
("Who is NATO's Secretary General, Stoltenberg?"). Only the asking sentence counts: the context a
rambling question opens with ("I grew up in Ecuador ...") names things the question is not about.
A name the corpus holds up to accents or one slip ("Alvaro", "Santoss", "ITTP") is not new.

``NameNovelty().run(question, corpus) -> float``:

* 1.0: an acronym, or a capitalised word the model's tokenizer splits into pieces (a rare name:
  "Stoltenberg", "Unasur"), that the corpus does not hold;
* 0.5: only capitalised words that the tokenizer knows whole ("European", "Obama"): ordinary words
  as often as new names;
* 0.0: nothing new.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from ..lexicon import STOPWORDS

# A capitalised word or acronym; group 1 is set when it opens a sentence.
_CAPITALISED_RE = re.compile(r"(?:(^|[.?!]\s+)|\s|[(\"“‘])([A-Z][A-Za-z’'-]*)")
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+")


def strip_accents(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def asking_sentence(text: str) -> str:
    """The sentence that asks: the last one ending in "?", else the last sentence."""
    sentences = [s for s in _SENTENCE_END_RE.split(text.strip()) if s]
    if not sentences:
        return text
    asking = [s for s in sentences if s.rstrip().endswith("?")]
    return asking[-1] if asking else sentences[-1]


@dataclass(frozen=True)
class CorpusNames:
    """What the corpus holds, as the novelty test needs it."""

    words: frozenset[str]                 # lower-cased, accent-stripped corpus words
    holds_term: Callable[[str], bool]     # does any passage hold this word's content term?
    pieces: Callable[[str], int]          # word pieces the model's tokenizer splits a word into


class NameNovelty:
    """Settings (the smallest acronym length) in ``__init__``, the question in ``run``."""

    def __init__(self, min_acronym: int = 2) -> None:
        self.min_acronym = min_acronym

    def run(self, question: str, corpus: CorpusNames) -> float:
        score = 0.0
        for m in _CAPITALISED_RE.finditer(asking_sentence(question)):
            word, at_start = m.group(2).strip("’'-"), m.group(1) is not None
            acronym = word.isupper() and len(word) >= self.min_acronym
            if not word or word.lower() in STOPWORDS or (at_start and not acronym):
                continue
            if self._known(word, corpus):
                continue
            if acronym or corpus.pieces(word.lower()) > 1:
                return 1.0
            score = 0.5
        return score

    @staticmethod
    def _known(word: str, corpus: CorpusNames) -> bool:
        low = strip_accents(word.lower())
        if low.endswith("'s") or low.endswith("’s"):
            low = low[:-2]
        if low in corpus.words or corpus.holds_term(low):
            return True
        # One slip (a letter added, dropped, changed or two swapped) from a corpus word.
        if len(low) < 4:
            return False
        return process.extractOne(low, corpus.words, scorer=OSA.distance, score_cutoff=1) is not None
