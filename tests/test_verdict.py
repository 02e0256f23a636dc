"""Yes or No (components/verdict.py): given only where the quote settles the question.

The sentences and questions are written for this test; none is an item of a gold set."""

from __future__ import annotations

import pytest

from colnato_qa.components.verdict import VerdictReader
from colnato_qa.text import number_values

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


PARTNER = "The port authority has long been a reliable partner of the shipping lines, and it signed the lease in 2019."
LESSONS = "For the ministry, the port's experience in dredging provides valuable lessons for other harbours."
VIEWED = "The merger was seen by some as a threat to smaller harbours, potentially weakening their trade."
RELUCTANT = "The city, while reluctant to join the scheme at first, remained a member of the regional board."


@pytest.mark.parametrize("question, sentence", [
    # A relation the quote does not state ("before", "against", "under").
    ("Was the lease signed before the merger?", PARTNER),
    ("Is the port authority against the shipping lines?", PARTNER),
    # Every content word but one: who does what to whom is not read from word overlap.
    ("Does the ministry teach the port about dredging?", LESSONS),
    ("Is the port authority free of the shipping lines?", PARTNER),
    # A reported view or a hedge is not the quote's own Yes.
    ("Is the merger a threat to smaller harbours?", VIEWED),
    # Held back without a "not".
    ("Did the city join the scheme?", RELUCTANT),
])
def test_no_yes_where_the_quote_does_not_affirm(question, sentence):
    assert VerdictReader().run(question, sentence, confidence=0.95) is None


def test_a_relation_the_quote_states_still_gets_yes():
    assert VerdictReader().run("Was the lease signed after the vote?",
                               "The lease was signed after the vote in 2019.", confidence=0.9) == "yes"


def test_no_verdict_below_the_confidence():
    assert VerdictReader().run("Was the treaty signed in 2021?", SIGNED, confidence=0.3) is None


def test_a_year_inside_the_quote_s_span_of_years_is_held():
    assert VerdictReader().run("Was the minister in office in 2015?",
                               "The minister (2010-2018) led the talks in office.", confidence=0.9) == "yes"


@pytest.mark.parametrize("text, values", [
    ("about 1,500 troops in 2021, 3.5 percent", {"1500", "2021", "3.5"}),
    ("Santos (2010-2013)", {"2010", "2011", "2012", "2013"}),
    ("from 2001 to 2003", {"2001", "2002", "2003"}),
    ("between 1998 and 1999", {"1998", "1999"}),
    ("pages 10-12", {"10", "12"}),                 # not years: no span
    ("from 1900 to 2020", {"1900", "2020"}),       # longer than MAX_YEAR_SPAN: the ends only
    ("version v2.3", set()),
])
def test_numbers_are_read_as_values(text, values):
    assert number_values(text) == values
