"""Answer types and follow-up reading (the request's validation: test_request.py)."""

from __future__ import annotations

import pytest

from colnato_qa.question import answer_type, read_question
from colnato_qa.request import HistoryTurn as Turn


@pytest.mark.parametrize("question, kind", [
    ("When was the agreement signed?", "year"),
    ("In what year did it start?", "year"),
    ("How many members are there?", "number"),
    ("Who led the country?", "person"),
    ("Where is the headquarters?", "place"),
    ("Why did they join?", "reason"),
    ("Does the deal oblige them to fight?", "yes_no"),
    ("What is the programme?", "definition"),
    ("What did the treaty change?", "other"),
    ("What was the name of the treaty?", "name"),
])
def test_answer_type(question, kind):
    assert answer_type(question) == kind


def test_follow_up_pronoun_replaced_by_topic():
    read = read_question("When was it signed?", [Turn("user", "What is the ITPP?")], 6)
    assert read.text == "When was the ITPP signed?"
    assert read.interpreted_as == "When was the ITPP signed?"


def test_follow_up_without_pronoun_is_joined_to_previous():
    read = read_question("Why?", [Turn("user", "When did Colombia become a global partner?")], 6)
    assert "When did Colombia become a global partner?" in read.text
    assert read.interpreted_as.startswith("Why? (following up on:")


def test_standalone_question_not_rewritten():
    read = read_question("What did Santos believe about NATO?", [Turn("user", "What is the ITPP?")], 6)
    assert read.text == "What did Santos believe about NATO?"
    assert read.interpreted_as is None


def test_chained_follow_ups():
    hist = [Turn("user", "What is the Building Integrity programme?"), Turn("user", "Who takes part in it?")]
    read = read_question("What does it assess?", hist, 6)
    assert read.text == "What does the Building Integrity assess?"


def test_expansion_questions():
    from colnato_qa.question import EXPANSION, expansion_terms, type_match

    q = "What does ABC stand for?"
    assert answer_type(q) == EXPANSION
    assert type_match(EXPANSION, "The Alpha Beta Club (ABC) met.", q) == 1.0
    assert type_match(EXPANSION, "The ABC met.", q) == 0.0
    assert "stand" in expansion_terms(q)
    assert answer_type("What does it stand for?") != EXPANSION  # no acronym to spell out


def test_entities():
    from colnato_qa.question import entities

    found = dict(entities("The journey began when the country signed the Agreement on Cooperation and Security of "
                          "Information with NATO."))
    assert found == {"Agreement on Cooperation and Security of Information": True, "NATO": False}


def test_personal_pronoun_resolved_from_previous_answer():
    answer = "The push came under the administration of Jane Public (2010-2018), who wanted more."
    read = read_question("When was he in office?", [Turn("user", "Which leader pushed for it?")], 6, lambda: answer)
    assert read.text == "When was Jane Public in office?"
    assert read.context == "Jane Public"


def test_pronoun_resolved_to_name_the_answer_introduced():
    answer = "In 1990 the city signed the Treaty of Examples with its neighbours."
    read = read_question("What did it change?", [Turn("user", "What did the city sign in 1990?")], 6, lambda: answer)
    assert read.text == "What did the Treaty of Examples change?"


def test_previous_answer_not_computed_when_not_needed():
    def boom():
        raise AssertionError("previous answer should not be needed")

    assert read_question("When was it signed?", [Turn("user", "What is the ABC?")], 6, boom).text == "When was the ABC signed?"
    assert read_question("Who founded the ABC?", [Turn("user", "What is the XYZ?")], 6, boom).interpreted_as is None


@pytest.mark.parametrize("sentence, expected", [
    ("The Alpha Treaty (AT), signed in 1999, set rules.", 1.0),
    ("AT rules are strict.", 1.0),
    ("Some of the aims of the AT include:", 0.3),
    ("Members discussed the AT at length.", 0.5),
])
def test_definition_type_match(sentence, expected):
    from colnato_qa.question import DEFINITION, type_match

    assert type_match(DEFINITION, sentence, "What is the AT?") == expected


@pytest.mark.parametrize("kind, sentence, expected", [
    ("person", "The push came under the administration of Ana Torres.", 1.0),
    ("person", "The push for the Alliance came later.", 0.0),   # the only name is the question's own
    ("place", "She remained an ally of the U.S. for years.", 1.0),
    ("place", "The Alliance grew in strength.", 0.0),
])
def test_person_and_place_need_a_new_name(kind, sentence, expected):
    from colnato_qa.question import type_match

    assert type_match(kind, sentence, "Who led the push for the Alliance?" if kind == "person"
                      else "Which country is an ally of the Alliance?") == expected


@pytest.mark.parametrize("sentence, expected", [
    ("It focuses on areas including trade, health, and defence.", 1.0),
    ("Its goals are trade, health, and defence.", 1.0),
    ("It focuses on trade.", 0.4),
])
def test_list_type_match(sentence, expected):
    from colnato_qa.question import LIST, type_match

    assert type_match(LIST, sentence, "Name the areas it focuses on.") == expected
