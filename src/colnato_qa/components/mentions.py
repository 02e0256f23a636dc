"""What a pronoun can stand for: the corpus's names and nouns, each with its kind.

The gazetteer is made once, at index-build time, by spaCy's small English pipeline (named entities
and noun-chunk heads of the corpus); serving only looks phrases up in it, so answering needs no
parser. A mention found in a text is widened to the run of content words around it, so "what's the
BI program" yields "the BI program", not just "BI".

    >>> g = Gazetteer({"nato": "thing", "santos": "person", "lessons": "group"})
    >>> [m.text for m in g.find("what lessons does nato learn", from_answer=False)]
    ['lessons', 'nato']
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from dataclasses import dataclass, field

from ..lexicon import FUNCTION_WORDS
from ..text import americanize
from .followup import GROUP, PERSON, THING, Mention

# spaCy entity labels -> the kind of pronoun that can refer to them. Dates, numbers, money: none.
ENTITY_KINDS = {
    "PERSON": PERSON,
    "NORP": GROUP,
    "ORG": THING, "GPE": THING, "LOC": THING, "FAC": THING, "PRODUCT": THING, "EVENT": THING,
    "LAW": THING, "WORK_OF_ART": THING, "LANGUAGE": THING,
}
_TOKEN_RE = re.compile(r"[A-Za-zÀ-ÿ0-9][A-Za-zÀ-ÿ0-9’'.-]*")
_WORD_RE = re.compile(r"[A-Za-z]+")


@dataclass
class Gazetteer:
    """Lower-cased phrase -> kind (person, thing, group)."""

    kinds: dict[str, str]
    # Words seen inside the corpus's noun phrases (nouns and their modifiers): a mention widens over these.
    phrase_words: frozenset[str] = frozenset()
    _pattern: re.Pattern[str] | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, object]:
        return {"kinds": dict(sorted(self.kinds.items())), "phrase_words": sorted(self.phrase_words)}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> "Gazetteer":
        kinds = data.get("kinds", {}) if isinstance(data, dict) else {}
        words = data.get("phrase_words", []) if isinstance(data, dict) else []
        return cls({str(k): str(v) for k, v in dict(kinds).items() if v in (PERSON, THING, GROUP)},
                   frozenset(str(w) for w in list(words)))

    @property
    def pattern(self) -> re.Pattern[str] | None:
        if self._pattern is None and self.kinds:
            alternatives = sorted(self.kinds, key=len, reverse=True)
            self._pattern = re.compile(r"(?<![\w’'])(" + "|".join(re.escape(a) for a in alternatives) + r")(?![\w’'])",
                                       re.I)
        return self._pattern

    def find(self, text: str, from_answer: bool) -> list[Mention]:
        """Mentions in ``text`` in order of appearance, each widened to its run of content words."""
        if not text or self.pattern is None:
            return []
        tokens = [(m.start(), m.end(), m.group(0)) for m in _TOKEN_RE.finditer(text)]
        out: list[Mention] = []
        seen: set[str] = set()
        for hit in self.pattern.finditer(_spelled_as_american(text)):
            kind = self.kinds[hit.group(0).lower()]
            phrase = _widen(text, tokens, hit.start(), hit.end(), self.phrase_words)
            key = phrase.lower()
            if key in seen:
                continue
            seen.add(key)
            out.append(Mention(phrase, kind, from_answer))
        return out


def _spelled_as_american(text: str) -> str:
    """``text`` with British spellings made American where that keeps each word's length ("cyber defence"
    finds the corpus's "cyber defense"), so the mentions' offsets stay those of ``text``."""
    def fix(m: re.Match[str]) -> str:
        word = m.group(0)
        american = americanize(word.lower())
        if len(american) != len(word) or american == word.lower():
            return word
        return "".join(a.upper() if w.isupper() else a for w, a in zip(word, american))

    return _WORD_RE.sub(fix, text)


def _widen(text: str, tokens: list[tuple[int, int, str]], start: int, end: int, phrase_words: frozenset[str]) -> str:
    """The run of noun-phrase words around text[start:end], with a leading "the"."""
    idx = [i for i, (s, e, _) in enumerate(tokens) if s < end and e > start]
    if not idx:
        return text[start:end]
    lo, hi = idx[0], idx[-1]

    def content(i: int) -> bool:
        word = tokens[i][2].lower().strip("’'.")
        return bool(word) and word not in FUNCTION_WORDS and (word in phrase_words or tokens[i][2][:1].isupper())

    def adjacent(i: int, j: int) -> bool:   # only white space between tokens i < j
        return text[tokens[i][1]:tokens[j][0]].strip() == ""

    while lo > 0 and content(lo - 1) and adjacent(lo - 1, lo):
        lo -= 1
    while hi + 1 < len(tokens) and content(hi + 1) and adjacent(hi, hi + 1):
        hi += 1
    if lo > 0 and tokens[lo - 1][2].lower() == "the" and adjacent(lo - 1, lo):
        lo -= 1
    return text[tokens[lo][0]:tokens[hi][1]].rstrip("’'.,")


def build_gazetteer(docs: Iterable[Any]) -> Gazetteer:
    """Names (spaCy entities) and noun-chunk head nouns of parsed ``docs`` with their kinds.

    ``docs`` are spaCy ``Doc`` objects from a pipeline with ``ner`` and ``parser``. Build time only.
    """
    names: dict[str, str] = {}
    heads: dict[str, str] = {}
    phrase_words: set[str] = set()
    for doc in docs:
        for ent in doc.ents:
            kind = ENTITY_KINDS.get(ent.label_)
            text = re.sub(r"^(?:the|a|an)\s+", "", ent.text.strip(), flags=re.I)
            text = re.sub(r"(?:’s|'s)$", "", text).strip()
            if kind and len(text) > 1 and text.lower() not in FUNCTION_WORDS:
                names.setdefault(text.lower(), kind)
        for chunk in doc.noun_chunks:
            head = chunk.root
            if head.pos_ not in ("NOUN", "PROPN"):
                continue
            word = re.sub(r"(?:’s|'s)$", "", head.text.lower())
            if len(word) < 3 or word in FUNCTION_WORDS:
                continue
            heads.setdefault(word, GROUP if head.tag_ in ("NNS", "NNPS") else THING)
            phrase_words.update(t.text.lower().strip("’'") for t in chunk
                                if t.pos_ in ("NOUN", "PROPN", "ADJ") and t.text.lower() not in FUNCTION_WORDS)
    # A name's last word alone ("Santos" for "Juan Manuel Santos") is that person too.
    for name, kind in list(names.items()):
        if kind == PERSON and " " in name:
            names.setdefault(name.rsplit(" ", 1)[1], PERSON)
    kinds = dict(heads)
    kinds.update(names)   # what the entity recogniser says wins over a noun chunk's head
    return Gazetteer(kinds, frozenset(phrase_words))
