"""Which language a question is in (components/language.py): names and acronyms set aside, the words left
weighed by how common they are in English and in the other languages, and by py3langid.

The questions are written for this test; none is an item of corpus/gold/languages/."""

from __future__ import annotations

import pytest

from colnato_qa.components.language import LanguageIdentifier, foreign_lean, words_of

CORPUS_WORDS = ["the", "partnership", "program", "colombia", "nato", "role"]
NAMES = ["colombia", "santos", "uribe", "otan"]


@pytest.fixture(scope="module")
def identifier() -> LanguageIdentifier:
    return LanguageIdentifier(CORPUS_WORDS, NAMES)


@pytest.mark.parametrize("question, words", [
    ("le rôle d'Uribe", ["le", "rôle", "d", "Uribe"]),        # an elided preposition: the name after it stays a name
    ("qu'est-ce que l'OTAN", ["qu", "est", "ce", "que", "l", "OTAN"]),
    ("it's Uribe's role, isn't it", ["it's", "Uribe's", "role", "isn't", "it"]),   # English contractions stay whole
])
def test_words_of_splits_elisions_only(question, words):
    assert words_of(question) == words


def test_foreign_lean_compares_frequencies():
    # Spanish's and French's "la" is far more common than English's; "future" is an English word.
    assert foreign_lean("la") > 2.0
    assert foreign_lean("future") < -0.5
    assert foreign_lean("qwzx") == 0.0          # too rare for any list: no evidence either way


@pytest.mark.parametrize("question, code", [
    # English keyword searches: py3langid alone reads some of them as Italian or Portuguese.
    ("colombia nato future role", "en"),
    ("nato program purpose results", "en"),
    ("Santos and the OTAN", "en"),
    ("Santos", "en"),                             # only names: nothing says it is not English
    # Names the article does not hold are names too, though Spanish text uses them more than English text.
    ("Bogotá", "en"),
    ("Medellín", "en"),
    ("Álvaro Uribe Vélez", "en"),
    ("Cartagena", "en"),
    # ... but not another language's everyday words, capitalised as first word or as a German noun.
    ("Quién", "es"),
    ("Hola", "es"),                               # a greeting leans further than a name
    ("Bonjour", "fr"),
    ("¿Medellín?", "es"),                         # asked with Spanish's opening mark
    ("Rolle Kolumbien", "de"),
    ("U.S. role", "en"),                          # initials are set aside like acronyms
    # English's own closed-class words make it English, whatever it quotes.
    ("What did the Fuerzas Armadas de Colombia do?", "en"),
    ("is the deal a fait accompli for Santos", "en"),
    ("QUIÉN FIRMÓ EL ACUERDO CON LA ALIANZA", "es"),   # typed in capitals: the words still count
    # English's auxiliary before a name, which German's "Was" (what) is not; unless what follows leans foreign.
    ("Was Santos pro OTAN?", "en"),
    ("Was Uribe ein Partner?", "de"),
    ("Was Kolumbien jemals Partner?", "de"),
    ("Is Santos lid van de partij?", "nl"),
    # Other languages, however short.
    ("Uribe y la OTAN", "es"),
    ("¿Quién fue Santos?", "es"),
    ("Colômbia e a OTAN, quando?", "pt"),
    ("le rôle d'Uribe", "fr"),
    ("Wann wurde Kolumbien Partner der NATO?", "de"),
])
def test_language_of_short_questions(identifier, question, code):
    assert identifier.run(question).code == code


@pytest.mark.parametrize("question", ["Presidente Uribe", "Qué", "Wann"])
def test_everyday_words_of_other_languages_are_not_names(identifier, question):
    # Capitalised, and English text uses them, but they lean far more to another language than names do.
    assert not identifier.run(question).english


def test_english_guess_reports_the_english_probability(identifier):
    guess = identifier.run("what role did the partnership play")
    assert guess.english and 0.0 <= guess.english_probability <= 1.0


def test_the_byline_is_a_name(engine):
    # The author's name is not a French or German phrase.
    author = engine.documents[0].metadata["author"]
    assert engine.ask(author.lower()).language == "en"
