"""Near twins: a held-out question that is (nearly) a question the engine was fitted or tuned on.

The rule (issue 17), on questions case-folded, punctuation dropped and whitespace collapsed:

* identical, when both have at least ``MIN_WORDS_IDENTICAL`` words; or
* rapidfuzz ``token_set_ratio >= SET_RATIO`` and ``token_sort_ratio >= SORT_RATIO``, when both have at
  least ``MIN_WORDS_FUZZY`` words (shorter questions such as "why?" recur naturally).

``near_twins(held_out, seen)`` lists every (held-out, seen) pair the rule matches; the suite asserts it
is empty for every test split against every train and dev split.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
import re
from dataclasses import dataclass

SET_RATIO = 85
SORT_RATIO = 75
MIN_WORDS_FUZZY = 5
MIN_WORDS_IDENTICAL = 3
_PUNCT = re.compile(r"[^\w\s]")


@dataclass(frozen=True)
class Twin:
    held_out_id: str
    seen_id: str
    held_out: str
    seen: str


def _norm(text: str) -> str:
    return " ".join(_PUNCT.sub(" ", text.casefold()).split())


def is_twin(a: str, b: str) -> bool:
    """Does the rule match questions ``a`` and ``b``?"""
    from rapidfuzz import fuzz

    a, b = _norm(a), _norm(b)
    na, nb = len(a.split()), len(b.split())
    if a == b:
        return min(na, nb) >= MIN_WORDS_IDENTICAL
    if min(na, nb) < MIN_WORDS_FUZZY:
        return False
    return fuzz.token_set_ratio(a, b) >= SET_RATIO and fuzz.token_sort_ratio(a, b) >= SORT_RATIO


def near_twins(held_out: Iterable[tuple[str, str]], seen: Sequence[tuple[str, str]]) -> list[Twin]:
    """Every pair of a held-out (id, question) and a seen (id, question) that the rule matches."""
    seen = [(i, q, _norm(q)) for i, q in seen]
    return [Twin(hid, sid, hq, sq) for hid, hq in held_out for sid, sq, _ in seen if is_twin(hq, sq)]
