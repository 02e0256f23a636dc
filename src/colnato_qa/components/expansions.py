"""Does the article spell out the acronym a question asks about? ("What does NATO stand for?")

An "X stands for?" question is answered only by a sentence that spells X out. An article that uses an acronym
bare ("NATO" throughout), or never uses it ("OTAN" in an English article), does not say what it stands for,
however close a sentence's vector comes to the question's: without this test "What does SOUTHCOM stand
for?" was answered, at 0.68, with the sentence that spells out another programme's name.

``SpelledOutAcronyms.from_texts(texts)`` reads the corpus once; ``.run(acronyms) -> bool`` says whether any
of a question's acronyms is spelled out. An acronym counts as spelled out when the corpus writes it in
brackets after a name ("the Individually Tailored Partnership Programme (ITPP)", "the Revolutionary Armed
Forces of Colombia (FARC)") or writes a name in brackets after it whose capitals hold its letters ("ITPP
(Individually Tailored Partnership Programme)"). A question's acronym one slip away from a spelled-out one
("FARK", "ITP") is the same acronym mistyped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz.distance import OSA

# "... Programme (ITPP)": an acronym alone in brackets (letters and digits, a capital first, mostly capitals).
_BRACKETED_RE = re.compile(r"\(\s*([A-Z][A-Za-z0-9&.-]{1,11})\s*\)")
# "ITPP (Individually Tailored ...)": an acronym followed by a bracketed name.
_FOLLOWED_RE = re.compile(r"\b([A-Z][A-Z0-9&]{1,11})\s+\(([^()]{3,160})\)")
_CAPITAL_RE = re.compile(r"\b([A-Z])")


def _key(acronym: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", acronym).upper()


def _looks_like_acronym(token: str) -> bool:
    letters = [c for c in token if c.isalpha()]
    return len(letters) >= 2 and sum(c.isupper() for c in letters) >= max(2, len(letters) - 1)


def letters_in_order(acronym: str, initials: str) -> bool:
    """``acronym``'s letters occur in ``initials`` in order (case as given): "ITPP" in "ITPP", "BI" in "NBI"."""
    it = iter(initials)
    return all(c in it for c in acronym if c.isalpha())


def spelled_out_in(text: str) -> set[str]:
    """The acronyms ``text`` spells out, upper case without dots."""
    found = {_key(m.group(1)) for m in _BRACKETED_RE.finditer(text) if _looks_like_acronym(m.group(1))}
    for m in _FOLLOWED_RE.finditer(text):
        initials = "".join(_CAPITAL_RE.findall(m.group(2)))
        if letters_in_order(_key(m.group(1)), initials):
            found.add(_key(m.group(1)))
    return found


@dataclass(frozen=True)
class SpelledOutAcronyms:
    """The acronyms a corpus spells out; a question's acronyms in ``run``."""

    acronyms: frozenset[str]

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> "SpelledOutAcronyms":
        found: set[str] = set()
        for text in texts:
            found |= spelled_out_in(text)
        return cls(frozenset(found))

    def run(self, asked: Sequence[str]) -> bool:
        """Whether the corpus spells out any of ``asked`` (a question's acronyms), allowing one slip in an
        acronym of three letters or more."""
        for acronym in map(_key, asked):
            if acronym in self.acronyms:
                return True
            if len(acronym) >= 3 and any(OSA.distance(acronym, known) <= 1 for known in self.acronyms if len(known) >= 3):
                return True
        return False
