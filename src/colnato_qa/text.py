"""Word-level text helpers shared by BM25, question analysis and answer scoring."""

from __future__ import annotations

import functools
import re
import unicodedata

from .lexicon import STOPWORDS

_WORD = re.compile(r"[^\W_]+(?:[’'.-][^\W_]+)*", re.UNICODE)

_QUOTES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
})


def fold(text: str, *, keep_case: bool = False) -> str:
    """For matching only, never for display: NFKC, curly quotes to straight, whitespace runs to
    one space, and case folded unless ``keep_case``."""
    text = " ".join(unicodedata.normalize("NFKC", text).translate(_QUOTES).split())
    return text if keep_case else text.casefold()


_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*")
# A span of years as the article writes it or as a reader asks it: "2010-2018", "2010–2018", "from 2010 to 2018",
# "between 2010 and 2018".
_YEAR_SPAN = re.compile(r"\b(1[5-9]\d\d|2\d\d\d)\s*(?:[-\u2013\u2014]|to|and|until|till|through)\s*(1[5-9]\d\d|2\d\d\d)\b",
                        re.IGNORECASE)
MAX_YEAR_SPAN = 100


def number_values(text: str) -> set[str]:
    """The numbers a text writes, as values ("1,500" and "1500" alike), with every year inside a span of years
    ("(2010-2018)" holds 2015)."""
    values = {n.replace(",", "") for n in _NUMBER.findall(text)}
    for first, last in _YEAR_SPAN.findall(text):
        if 0 < int(last) - int(first) <= MAX_YEAR_SPAN:
            values.update(str(y) for y in range(int(first), int(last) + 1))
    return values


_WIDE = re.compile("[\u3000\uff01-\uff5e]+")


def fold_width(text: str) -> str:
    """Full-width letters, digits and punctuation (as East Asian keyboards type them: "Ｗｈｅｎ ｗａｓ") and the
    ideographic space read as their ASCII forms; everything else is left as typed."""
    return _WIDE.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text)


def words(text: str) -> list[str]:
    """Folded word tokens (keeps "u.s", "2002-2010", "nato's" whole)."""
    return _WORD.findall(fold(text))


@functools.lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def strip_possessive(word: str) -> str:
    return word[:-2] if word.endswith("'s") else word


# British to American spellings, so "programme"/"program" and "criticised"/"criticized" meet.
_SPELLING = [
    (re.compile(r"programme"), "program"),
    (re.compile(r"(?<=[a-z]{3})(is)(e|ed|es|ing|ation|ations)$"), r"iz\2"),
]


def americanize(word: str) -> str:
    if word in ("defence", "offence", "licence"):
        return word[:-2] + "se"
    for pattern, repl in _SPELLING:
        word = pattern.sub(repl, word)
    return word


def _content_words(text: str) -> list[tuple[str, list[str]]]:
    """(normalised word, its unstemmed terms) for each content word: possessive and dots dropped,
    British spelling americanised, stopwords left out, a hyphenated word also split into parts."""
    out: list[tuple[str, list[str]]] = []
    for w in words(text):
        w = americanize(strip_possessive(w).strip("."))
        if not w or w in STOPWORDS:
            continue
        parts = [w] + ([p for p in re.split(r"[-.']", w) if p and p not in STOPWORDS] if re.search(r"[-.']", w) else [])
        out.append((w, parts))
    return out


def content_terms(text: str) -> list[str]:
    """Stemmed content words: no stopwords, possessives dropped, hyphenated words also split."""
    out = [p for _, parts in _content_words(text) for p in parts]
    return _stemmer().stemWords(out) if out else []


def slugify(text: str, max_words: int = 6) -> str:
    """A file-name-safe id from the first words of ``text`` ("colombia-s-path-to-nato-partnership")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    found = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "-".join(found[:max_words]) or "document"


def surface_forms(text: str) -> dict[str, str]:
    """Stemmed content term -> the (normalised) word it came from, first occurrence."""
    out: dict[str, str] = {}
    for w, parts in _content_words(text):
        for term in _stemmer().stemWords(parts):
            out.setdefault(term, w)
    return out
