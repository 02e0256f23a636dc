"""The one contract for a question (colnato_qa/request.py): the same rules and messages for the
engine, the CLI and the HTTP API."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from colnato_qa.errors import InvalidHistoryError, InvalidQuestionError
from colnato_qa.request import DEFAULT_MAX_HISTORY_TURNS, AskRequest, HistoryTurn


@pytest.mark.parametrize("question, message", [
    ("", "empty"),
    ("   \n\t ", "empty"),
    ("x" * 1001, "limit is 1000"),
    ("what\x00is this", "control characters"),
    ("bell\x07", r"U\+0007"),
    (42, "must be a string, got a number"),
    (None, "must be a string, got null"),
    (b"bytes?", "must be a string, got bytes"),
])
def test_invalid_questions_say_what_is_wrong(question, message):
    with pytest.raises(InvalidQuestionError, match=message):
        AskRequest.parse(question)


def test_question_whitespace_is_collapsed():
    assert AskRequest.parse("  When   was it?\n").question == "When was it?"


def test_question_limit_comes_from_the_caller():
    assert AskRequest.parse("x" * 20, max_question_chars=20).question == "x" * 20
    with pytest.raises(InvalidQuestionError, match="21 characters long; the limit is 20"):
        AskRequest.parse("x" * 21, max_question_chars=20)


@pytest.mark.parametrize("history, message", [
    ("What?", "history must be a list of turns"),
    ({"role": "user", "content": "x"}, "history must be a list of turns"),
    ([3], r"history\[0\] must be a string or an object"),
    ([None], r"history\[0\] must be a string or an object"),
    ([{"role": "system", "content": "x"}], r'history\[0\].role must be "user" or "assistant"'),
    ([{"role": "user", "content": 5}], r"history\[0\].content must be a string, got a number"),
    (["ok", {"role": "user"}], r'history\[1\] must have exactly the keys "role" and "content"'),
    ([{"content": "x"}], r'history\[0\] must have exactly the keys'),
    ([{"role": "user", "content": "x", "extra": 1}], r'history\[0\] must have exactly the keys'),
    (["q"] * (DEFAULT_MAX_HISTORY_TURNS + 1), f"the limit is {DEFAULT_MAX_HISTORY_TURNS}"),
])
def test_invalid_history_names_the_turn_and_the_shape(history, message):
    with pytest.raises(InvalidHistoryError, match=message):
        AskRequest.parse("When was it signed?", history)


def test_history_forms():
    request = AskRequest.parse("When?", ["What is the ABC?", {"role": "assistant", "content": "A  club.\x07"},
                                         {"role": "user", "content": "  "}, HistoryTurn("user", "And the XYZ?")])
    assert request.turns == [HistoryTurn("user", "What is the ABC?"), HistoryTurn("assistant", "A club."),
                             HistoryTurn("user", "And the XYZ?")]
    assert AskRequest.parse("When?").turns == [] and AskRequest.parse("When?", []).turns == []


def test_turn_count_limit_comes_from_the_caller():
    assert len(AskRequest.parse("q?", ["a", "b"], max_history_turns=2).turns) == 2
    with pytest.raises(InvalidHistoryError, match="history has 3 turns; the limit is 2"):
        AskRequest.parse("q?", ["a", "b", "c"], max_history_turns=2)


def test_long_turns_are_cut():
    turn = AskRequest.parse("q?", ["y" * 10_000], max_question_chars=10).turns[0]
    assert turn.content == "y" * 40


def test_question_error_is_reported_before_history_error():
    with pytest.raises(InvalidQuestionError):
        AskRequest.parse("", "not a list")


def test_http_body_errors_read_as_sentences():
    from pydantic import ValidationError

    from colnato_qa.request import describe

    with pytest.raises(ValidationError) as info:
        AskRequest.model_validate({"question": "x", "history": [1], "session": 2})
    message = describe(info.value.errors())
    assert "history[0] must be a string or an object" in message
    assert "Unknown field 'session'" in message


TURN = st.one_of(st.text(max_size=30),
                 st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant"]), "content": st.text(max_size=30)}))


@given(question=st.text(max_size=60), history=st.one_of(st.none(), st.lists(TURN, max_size=5)))
def test_accepted_requests_are_normalised(question, history):
    """Whatever is accepted has a non-blank one-line question within the limit and clean turns."""
    try:
        request = AskRequest.parse(question, history, max_question_chars=50)
    except (InvalidQuestionError, InvalidHistoryError) as exc:
        assert str(exc).strip()
        return
    assert request.question == " ".join(request.question.split()) and 0 < len(request.question) <= 50
    for turn in request.turns:
        assert turn.content and turn.content == " ".join(turn.content.split())
        assert turn.role in ("user", "assistant")
