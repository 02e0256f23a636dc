"""Small talk (components/small_talk.py): what is small talk, and a question that opens with it."""

from __future__ import annotations

import pytest

from colnato_qa.components.small_talk import SmallTalk


@pytest.mark.parametrize("text, kind", [
    ("thanks, that helps", "thanks"),
    ("good job!", "thanks"),
    ("ok that makes sense", "acknowledgement"),
    ("hi there", "greeting"),
    ("that helps with the treaty", None),        # a word of a question: not small talk
])
def test_kinds(text, kind):
    assert SmallTalk().run(text) == kind


@pytest.mark.parametrize("text, read", [
    ("hi, who signed the treaty?", "who signed the treaty?"),
    ("thanks! and when was it signed?", "and when was it signed?"),
    ("ok. what is the programme?", "what is the programme?"),
    ("hi, thanks!", "hi, thanks!"),                           # small talk throughout: left to the small-talk reply
    ("so, what is the programme?", "so, what is the programme?"),   # "so" alone is no small talk
    ("who signed it, and when?", "who signed it, and when?"),
    ("", ""),
])
def test_a_question_without_the_small_talk_it_opens_with(text, read):
    assert SmallTalk().without_opening(text) == read
