"""No held-out question has a near twin among the questions the engine is fitted or tuned on.

The sets are listed in corpus/gold/splits.json; the rule is colnato_qa.evaluation.twins (rapidfuzz
token_set_ratio >= 85 and token_sort_ratio >= 75 on questions of at least 5 words, or identical questions
of at least 3 words). scripts/dedupe_gold.py removes twins from the seen sets, never from the held-out ones.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from colnato_qa.evaluation.gold import load_gold
from colnato_qa.evaluation.twins import is_twin, near_twins

ROOT = Path(__file__).resolve().parents[1]
SPLITS = json.loads((ROOT / "corpus" / "gold" / "splits.json").read_text(encoding="utf-8"))


def _questions(spec: str) -> list[tuple[str, str]]:
    path, _, split = spec.partition(":")
    return [(i.id, i.question) for i in load_gold(ROOT / path) if not split or i.split == split]


@pytest.mark.parametrize("held_out", SPLITS["held_out"])
def test_no_held_out_question_has_a_near_twin_in_train_or_dev(held_out):
    seen = [q for spec in SPLITS["seen"] for q in _questions(spec)]
    twins = near_twins(_questions(held_out), seen)
    assert not twins, [f"{t.held_out_id} {t.held_out!r} ~ {t.seen_id} {t.seen!r}" for t in twins[:10]]


@pytest.mark.parametrize(("a", "b", "twin"), [
    ("What does UNASUR stand for?", "what does unasur stand for", True),        # identical up to case
    ("how did folks react when the news first broke?",
     "How did lots of folks react when that news first came out?", True),      # set 85+, sort 75+
    ("When was it signed?", "when was it signed", True),                       # identical, 4 words
    ("why though", "why though", False),                                       # too short to be a twin
    ("Who wrote the article?", "Who wrote the piece?", False),                 # under 5 words, not identical
    ("What is the tallest mountain in Europe today?",
     "Which programme did Colombia join in 2017 with NATO?", False),
])
def test_twin_rule(a, b, twin):
    assert is_twin(a, b) is twin


def test_every_split_file_is_listed_once():
    specs = SPLITS["seen"] + SPLITS["held_out"]
    assert len(specs) == len(set(specs))
    for spec in specs:
        assert _questions(spec), spec
