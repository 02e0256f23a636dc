"""Follow-up reading: a question leans on the conversation only when it needs to, and a pronoun is
replaced only by an earlier mention that fits it. Built on made-up text, not on the article."""

from __future__ import annotations

import pytest

from colnato_qa.components.followup import (GROUP, PERSON, THING, Mention, choose_antecedent, needs_context, rewrite,
                                            substituted)
from colnato_qa.components.mentions import Gazetteer
from colnato_qa.components.reader import EarlierTurn, QuestionReader, ReadingContext
from colnato_qa.request import HistoryTurn as Turn

GAZETTEER = Gazetteer({"abc": THING, "treaty": THING, "ana torres": PERSON, "torres": PERSON, "farmers": GROUP,
                       "city": THING, "river": THING},
                      frozenset({"abc", "treaty", "programme", "farmers", "city", "river", "new", "old"}))


GAZETTEER_FIND = lambda text: GAZETTEER.find(text, from_answer=False)  # noqa: E731


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


def test_thing_pronoun_read_with_the_earlier_question():
    """"it" is not replaced by a name: the name drew the answer to the sentence that names it (often the answer
    just given); the earlier question's words locate the passage and the follow-up's own words choose the sentence."""
    r = read("When was it signed?", ["What is the ABC?"], {"What is the ABC?": "The ABC is a treaty of 1990."})
    assert r.text == "When was it signed? What is the ABC?"
    assert r.interpreted_as == "When was it signed? (following up on: What is the ABC?)"
    assert r.context == "What is the ABC?"


def test_person_pronoun_needs_a_person_from_the_answer():
    answers = {"Who led the city?": "The city was led by Ana Torres for a decade."}
    assert read("When was he in office?", ["Who led the city?"], answers).text == "When was Ana Torres in office?"
    # No person anywhere: the pronoun is never replaced by a thing; the question is read with the earlier one.
    answers = {"What is the ABC?": "The ABC is a treaty of 1990."}
    r = read("When was he in office?", ["What is the ABC?"], answers)
    assert r.text == "When was he in office? What is the ABC?"
    # The question names a person of its own before the pronoun: read as it stands.
    answers = {"Who led the city?": "Ana Torres led the city."}
    assert read("Did Ana Torres say he was right?", ["Who led the city?"], answers).interpreted_as is None


def test_a_first_question_whose_demonstrative_is_its_subject_asks_which_one():
    assert read("when was that signed", [], {}).unresolved == "that"


def test_person_pronoun_finds_the_person_of_a_turn_before_the_last():
    answers = {"Who led the city?": "The city was led by Ana Torres for a decade.",
               "Why was the ABC signed?": "The ABC was signed to protect the river."}
    r = read("Who came after her?", ["Who led the city?", "Why was the ABC signed?"], answers)
    assert r.text == "Who came after Ana Torres?"


def test_declined_turn_gives_no_antecedent():
    answers = {"What is the capital of Mars?": None, "What is the ABC?": "The ABC is a treaty of 1990."}
    r = read("When was it signed?", ["What is the capital of Mars?"], answers)
    assert r.interpreted_as is None
    # An earlier answered turn still counts when the last one was declined.
    r = read("When was it signed?", ["What is the ABC?", "What is the capital of Mars?"], answers)
    assert r.text == "When was it signed? What is the ABC?"


def test_elliptical_question_read_with_the_earlier_one():
    answers = {"Was the ABC good for the farmers?": "The ABC helped the farmers sell more."}
    r = read("how so?", ["Was the ABC good for the farmers?"], answers)
    assert "Was the ABC good for the farmers?" in r.text
    assert r.interpreted_as.startswith("how so? (following up on:")


def test_possessive_person_pronoun_keeps_the_possessive():
    answers = {"Who led the city?": "The city was led by Ana Torres for a decade."}
    assert read("What were his goals?", ["Who led the city?"], answers).text == "What were Ana Torres’ goals?"


def test_a_turn_read_with_an_earlier_one_is_handed_on_as_read():
    """A chain: the second follow-up is read with the first as it was read (the earlier question included)."""
    ctx = ReadingContext(gazetteer=GAZETTEER, frequency=lambda text: 5, spell=lambda text: text,
                         earlier=(EarlierTurn("What is the ABC?", "The ABC is a treaty of 1990."),
                                  EarlierTurn("When was it signed? What is the ABC?", "It was signed in 1990.")))
    r = QuestionReader(6).run("who signed it?", [Turn("user", "What is the ABC?"), Turn("user", "When was it signed?")], ctx)
    assert r.text == "who signed it? When was it signed? What is the ABC?"


@pytest.mark.parametrize("question, expected", [
    ("When was it signed?", True),
    ("what has the city been able to do through it", True),    # "it" is not the clause's own subject
    ("and what does the city get?", True),                      # elliptical
    ("why?", True),
    ("since when?", True),                                      # a preposition names no subject
    ("what did that lead to?", True),                           # "that" is the subject, "lead" its verb
    ("why was that needed for the city?", True),
    ("was that", True),
    ("was that river important?", False),                       # "that river": a phrase of its own
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
    assert rewrite("What did those farmers want?", follow, pick) == "What did the farmers of the river want?"
    assert needs_context("What did those farmers want?", "What is the ABC? The ABC is a treaty.") is None


def test_gazetteer_widens_to_the_noun_phrase():
    found = GAZETTEER.find("what's the new ABC programme about", from_answer=False)
    assert [m.text for m in found] == ["the new ABC programme"]
    assert Gazetteer.from_dict(GAZETTEER.to_dict()) == GAZETTEER


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


# -- the earlier question asked again of a new subject ------------------------------------------------------
@pytest.mark.parametrize("question, earlier, reading", [
    ("what about Torres?", "When did Ana Torres sign the ABC?", None),        # the same person: nothing to swap
    ("and the Treaty?", "When was the ABC signed?", "When was the Treaty signed?"),
    ("what about the 1990 Treaty?", "When was the ABC signed?", "When was the 1990 Treaty signed?"),
    ("and why did Torres sign it?", "When was the ABC signed?", None),       # more than a subject
    ("and the farmers?", "When was the ABC signed?", None),                  # no group in the earlier question
])
def test_substituted(question, earlier, reading):
    assert substituted(question, earlier, GAZETTEER_FIND) == reading


def test_an_opener_and_a_new_name_ask_the_earlier_question_again():
    history = ["When was the ABC signed?"]
    r = read("and the Treaty?", history, {history[0]: "The ABC was signed in 1990."})
    assert r.text == r.interpreted_as == "When was the Treaty signed?" and r.refers_back


def test_a_subject_is_not_swapped_after_an_unconfident_answer():
    history = ["When was the ABC signed?"]
    r = read("and the Treaty?", history, {history[0]: None})
    assert r.text != "When was the Treaty signed?"
