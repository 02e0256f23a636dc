"""Answer types and what a sentence must hold (follow-ups: test_reader.py; the request: test_request.py)."""

from __future__ import annotations

import pytest

from colnato_qa.question import answer_type


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


def test_expansion_questions():
    from colnato_qa.question import EXPANSION, expansion_terms, type_match

    q = "What does ABC stand for?"
    assert answer_type(q) == EXPANSION
    assert type_match(EXPANSION, "The Alpha Beta Club (ABC) met.", q) == 1.0
    assert type_match(EXPANSION, "The ABC met.", q) == 0.0
    assert "stand" in expansion_terms(q)
    assert answer_type("What does it stand for?") != EXPANSION  # no acronym to spell out


@pytest.mark.parametrize("sentence, expected", [
    ("The Alpha Treaty (AT), signed in 1999, set rules.", 1.0),
    ("AT rules are strict.", 1.0),
    ("Some of the aims of the AT include:", 0.3),
    ("Members discussed the AT at length.", 0.5),
])
def test_definition_type_match(sentence, expected):
    from colnato_qa.question import DEFINITION, type_match

    assert type_match(DEFINITION, sentence, "What is the AT?") == expected


@pytest.mark.parametrize("kind, sentence, entities, expected", [
    ("person", "The push came under Ana Torres.", [("Ana Torres", "PERSON")], 1.0),
    ("person", "The push for the Alliance came later.", [("Alliance", "ORG")], 0.0),     # no person
    ("person", "Ana Torres pushed for the Alliance.", [("Ana Torres", "PERSON")], 0.0),  # only the question's own
    ("place", "She remained an ally of the U.S. for years.", [("U.S.", "GPE")], 1.0),
    ("place", "The Alliance grew in strength.", [("Alliance", "ORG")], 0.0),
    ("year", "It was signed in spring.", [("spring", "DATE")], 1.0),
    ("year", "It was signed by both.", [], 0.0),
    ("number", "Seven members joined.", [("Seven", "CARDINAL")], 1.0),
])
def test_kinds_need_an_entity_of_that_kind(kind, sentence, entities, expected):
    from colnato_qa.question import type_match

    question = {"person": "Who led the push?", "place": "Which country is an ally of the Alliance?",
                "year": "When was it signed?", "number": "How many members joined?"}[kind]
    if "Ana Torres pushed" in sentence:
        question = "Who is Ana Torres?"
    assert type_match(kind, sentence, question, entities) == expected


@pytest.mark.parametrize("question, kind", [
    ("so who was actually president when it happened", "person"),   # the first question word governs
    ("When did the president who signed it leave?", "year"),
    ("which areas does it address", "list"),
])
def test_first_question_word_governs(question, kind):
    assert answer_type(question) == kind


@pytest.mark.parametrize("sentence, expected", [
    ("It focuses on areas including trade, health, and defence.", 1.0),
    ("Its goals are trade, health, and defence.", 1.0),
    ("It focuses on trade.", 0.4),
])
def test_list_type_match(sentence, expected):
    from colnato_qa.question import LIST, type_match

    assert type_match(LIST, sentence, "Name the areas it focuses on.") == expected
