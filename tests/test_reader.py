"""Follow-up reading: a question leans on the conversation only when it needs to, and a pronoun is
replaced only by an earlier mention that fits it. Built on made-up text, not on the article."""

from __future__ import annotations

import pytest

from colnato_qa.components.followup import GROUP, PERSON, THING, Mention, choose_antecedent, needs_context, rewrite
from colnato_qa.components.mentions import Gazetteer
from colnato_qa.components.reader import EarlierTurn, QuestionReader, ReadingContext
from colnato_qa.request import HistoryTurn as Turn

GAZETTEER = Gazetteer({"abc": THING, "treaty": THING, "ana torres": PERSON, "torres": PERSON, "farmers": GROUP,
                       "city": THING, "river": THING},
                      frozenset({"abc", "treaty", "programme", "farmers", "city", "river", "new", "old"}))


def context(answers: dict[str, str | None], history: list[str] = ()) -> ReadingContext:
    """The engine's side, faked: each earlier question already read, with its answer (None = declined
    or not confident)."""
    return ReadingContext(
        gazetteer=GAZETTEER,
        frequency=lambda text: 1 if "abc" in text.lower() or "torres" in text.lower() else 5,
        spell=lambda text: text,
        earlier=tuple(EarlierTurn(h, answers.get(h)) for h in history),
    )


def read(question: str, history: list[str], answers: dict[str, str | None]):
    return QuestionReader(6).run(question, [Turn("user", h) for h in history], context(answers, history))


@pytest.mark.parametrize("question", [
    "Who wrote the article?",
    "Does the city have to defend the river if it floods?",   # "it" refers inside the question
    "Is it true that the ABC was signed in 1990?",            # expletive "it"
    "What does this article say about the treaty?",           # "this article" names itself
    "My uncle says he saw the old treaty in a museum and thinks the farmers signed it, is that right about the ABC?",
])
def test_standalone_questions_are_read_as_they_stand(question):
    answers = {"What is the ABC?": "The ABC is a treaty of 1990.", "Who is Ana Torres?": "Ana Torres leads the city."}
    for history in ([], ["What is the ABC?"], ["Who is Ana Torres?", "What is the ABC?"]):
        r = read(question, history, answers)
        assert r.text == question and r.interpreted_as is None


def test_pronoun_replaced_by_the_thing_asked_about():
    r = read("When was it signed?", ["What is the ABC?"], {"What is the ABC?": "The ABC is a treaty of 1990."})
    assert r.text == "When was the ABC signed?"
    assert r.interpreted_as == r.text and r.context == "the ABC"


def test_person_pronoun_needs_a_person_from_the_answer():
    answers = {"Who led the city?": "The city was led by Ana Torres for a decade."}
    assert read("When was he in office?", ["Who led the city?"], answers).text == "When was Ana Torres in office?"
    # No person anywhere: the pronoun is left alone rather than replaced by a thing.
    answers = {"What is the ABC?": "The ABC is a treaty of 1990."}
    r = read("When was he in office?", ["What is the ABC?"], answers)
    assert r.text == "When was he in office?" and r.interpreted_as is None


def test_declined_turn_gives_no_antecedent():
    answers = {"What is the capital of Mars?": None, "What is the ABC?": "The ABC is a treaty of 1990."}
    r = read("When was it signed?", ["What is the capital of Mars?"], answers)
    assert r.interpreted_as is None
    # An earlier answered turn still counts when the last one was declined.
    r = read("When was it signed?", ["What is the ABC?", "What is the capital of Mars?"], answers)
    assert r.text == "When was the ABC signed?"


def test_elliptical_question_read_with_the_earlier_one():
    answers = {"Was the ABC good for the farmers?": "The ABC helped the farmers sell more."}
    r = read("how so?", ["Was the ABC good for the farmers?"], answers)
    assert "Was the ABC good for the farmers?" in r.text
    assert r.interpreted_as.startswith("how so? (following up on:")


def test_possessive_pronoun_keeps_the_possessive():
    answers = {"What is the ABC?": "The ABC is a treaty of 1990."}
    assert read("What are its goals?", ["What is the ABC?"], answers).text == "What are the ABC’s goals?"


@pytest.mark.parametrize("question, expected", [
    ("When was it signed?", True),
    ("what has the city been able to do through it", True),    # "it" is not the clause's own subject
    ("and what does the city get?", True),                      # elliptical
    ("why?", True),
    ("What did Ana Torres say about the treaty?", False),
    ("Does the city have to defend the river if it floods?", False),
])
def test_needs_context(question, expected):
    assert (needs_context(question, "What is the ABC? The ABC is a treaty.") is not None) is expected


def test_demonstrative_phrase_refers_back_only_to_a_noun_the_turn_mentioned():
    follow = needs_context("What did those farmers want?", "Who signed the ABC? The farmers of the river signed it.")
    assert follow is not None and follow.demonstrative_noun == "farmers"
    mentions = [Mention("The farmers of the river", GROUP, True)]
    pick = choose_antecedent(mentions, follow, "What did those farmers want?")
    assert pick is not None
    assert rewrite("What did those farmers want?", pick[0], pick[1]) == "What did the farmers of the river want?"
    assert needs_context("What did those farmers want?", "What is the ABC? The ABC is a treaty.") is None


def test_gazetteer_widens_to_the_noun_phrase():
    found = GAZETTEER.find("what's the new ABC programme about", from_answer=False)
    assert [m.text for m in found] == ["the new ABC programme"]
    assert Gazetteer.from_dict(GAZETTEER.to_dict()) == GAZETTEER


def test_what_a_wh_determiner_asks_for_is_not_the_pronouns_referent():
    # "what farmers": the farmers are the answer sought; "it" still refers back (to the ABC).
    answers = {"When was the ABC signed?": "The ABC was signed in 1990."}
    r = read("Which farmers does it cover?", ["When was the ABC signed?"], answers)
    assert r.text == "Which farmers does the ABC cover?"


def test_after_a_which_question_it_is_the_thing_the_answer_named():
    answers = {"Which treaty protects the river?": "The ABC protects the river since 1990."}
    r = read("When was it signed?", ["Which treaty protects the river?"], answers)
    assert r.text == "When was the ABC signed?"
    # After a question that names its subject, "it" stays that subject even when the answer names another.
    answers = {"What does the treaty protect?": "It protects the river and the ABC."}
    assert read("When was it signed?", ["What does the treaty protect?"], answers).text == "When was the treaty signed?"


@pytest.mark.parametrize("question", ["uh so like who wrote this colombia nato thing", "who wrote this piece",
                                      "is this nato article any good"])
def test_this_with_a_word_for_a_text_points_at_the_article_not_back(question):
    """"this ... thing/article" is what the reader has in front of them, even after a turn that named its words."""
    earlier = "When did Colombia become a NATO global partner? Colombia became NATO's global partner in 2017."
    assert needs_context(question, earlier, None) is None


def test_that_with_a_noun_the_turn_named_still_refers_back():
    assert needs_context("what does that status mean", "the status of global partner", None).demonstrative_noun == "status"


@pytest.mark.parametrize("text, found", [
    ("why is cyber defence so important", ["cyber defence"]),     # British spelling, the corpus's American one
    ("why is Cyber Defence so important", ["Cyber Defence"]),     # the mention keeps the question's own text
    ("what did they organise", []),
])
def test_gazetteer_finds_british_spellings_of_american_mentions(text, found):
    g = Gazetteer({"cyber defense": THING, "nato": THING})
    assert [m.text for m in g.find(text, from_answer=False)] == found


def test_a_question_with_a_british_spelled_subject_is_not_elliptical():
    g = Gazetteer({"cyber defense": THING})
    find = lambda text: g.find(text, from_answer=False)  # noqa: E731
    assert needs_context("why is cyber defence so important according to the article", "ITPP was signed", find) is None
