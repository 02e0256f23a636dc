"""Yes or No (components/verdict.py): given only where the quote settles the question.

The sentences and questions are written for this test; none is an item of a gold set."""

from __future__ import annotations

import pytest

from colnato_qa.components.verdict import VerdictReader, numbers_of

SIGNED = "The treaty was signed in 2021 by the two governments."
DENIED = "The agreement does not oblige the members to defend each other."


@pytest.mark.parametrize("question, sentence, verdict", [
    ("Was the treaty signed in 2021?", SIGNED, "yes"),
    ("Was the treaty signed by the two governments?", SIGNED, "yes"),
    ("Does the agreement oblige the members to defend each other?", DENIED, "no"),
    # A number the quote does not hold: the quote does not say yes (nor, certainly, no).
    ("Was the treaty signed in 2019?", SIGNED, None),
    ("Was the treaty signed by 3 governments?", SIGNED, None),
    # Not a yes/no question, or a negated one: no verdict.
    ("When was the treaty signed?", SIGNED, None),
    ("Wasn't the treaty signed in 2021?", SIGNED, None),
    # The quote covers too little of what is asked.
    ("Did the parliament ratify the treaty unanimously?", SIGNED, None),
])
def test_verdicts(question, sentence, verdict):
    assert VerdictReader().run(question, sentence, confidence=0.9) == verdict


def test_no_verdict_below_the_confidence():
    assert VerdictReader().run("Was the treaty signed in 2021?", SIGNED, confidence=0.3) is None


def test_numbers_are_read_as_values():
    assert numbers_of("about 1,500 troops in 2021, 3.5 percent") == {"1500", "2021", "3.5"}
