"""The retriever and the name-novelty test as components: settings in __init__, data in run()."""

from __future__ import annotations

import pytest

from colnato_qa.components.novelty import CorpusNames, NameNovelty, asking_sentence, strip_accents
from colnato_qa.components.retriever import HybridRetriever, Rankers
from colnato_qa.retrieval.base import Hit


class FixedRanker:
    def __init__(self, rows: list[int]):
        self.rows = rows

    def search(self, query_text, query_vector, k):
        return [Hit(r, 1.0 / (i + 1)) for i, r in enumerate(self.rows[:k])]


RANKERS = Rankers(dense=FixedRanker([1, 2, 3, 4]), bm25=FixedRanker([4, 3, 9, 1]), sentences=FixedRanker([2, 1, 3]))


def test_single_rankings_pass_through():
    assert HybridRetriever("dense", top_k=3).run("q", None, RANKERS) == [1, 2, 3]
    assert HybridRetriever("bm25", top_k=2).run("q", None, RANKERS) == [4, 3]


def test_hybrid_fuses_every_ranking_by_reciprocal_rank():
    # rrf_k=0: score(row) = sum of 1/rank. Row 1: 1 + 1/4 + 1/2; row 2: 1/2 + 1; row 4: 1/4 + 1; row 3: 1/3 + 1/2 + 1/3.
    assert HybridRetriever("hybrid", top_k=4, rrf_k=0).run("q", None, RANKERS) == [1, 2, 4, 3]


def test_without_sentence_ranking_only_passage_rankings_count():
    # Row 1: 1 + 1/4; row 4: 1/4 + 1; tie kept in first-seen order; row 2: 1/2; row 3: 1/3 + 1/2.
    got = HybridRetriever("hybrid", top_k=4, rrf_k=0, sentence_ranking=False).run("q", None, RANKERS)
    assert got == [1, 4, 3, 2]


def test_adaptive_fusion_drops_bm25_when_no_question_word_is_in_the_corpus():
    lexical = HybridRetriever("hybrid", top_k=4, rrf_k=0, adaptive=True, sentence_ranking=False)
    assert lexical.run("q", None, RANKERS, lexical_share=0.0) == [1, 2, 3, 4]
    assert lexical.run("q", None, RANKERS, lexical_share=1.0) == [1, 4, 3, 2]


def test_an_unknown_mode_names_the_valid_ones():
    with pytest.raises(ValueError, match="hybrid, dense, bm25"):
        HybridRetriever("sparse")


CORPUS = CorpusNames(
    words=frozenset({"colombia", "nato", "alvaro", "uribe", "santos", "itpp", "farc", "partnership"}),
    holds_term=lambda w: False,
    pieces=lambda w: 1 if w in {"european", "obama", "atlantic"} else 3,
)


@pytest.mark.parametrize("question, expected", [
    ("Who is NATO's Secretary General, Stoltenberg?", 1.0),      # a rare name the corpus lacks
    ("What does the OAS say about it?", 1.0),                   # an acronym the corpus lacks
    ("What did Obama think of the partnership?", 0.5),          # a capitalised word the tokenizer knows whole
    ("What happened under Álvaro Uribe?", 0.0),                 # in the corpus
    ("what happened under Alvaro Uribe", 0.0),                  # in the corpus, up to accents
    ("When was Santoss in office?", 0.0),                       # one slip from a corpus name
    ("What does the ITTP cover?", 0.0),                         # two letters swapped
    ("Colombia joined when?", 0.0),                             # nothing new
    ("I grew up in Ecuador near Quito. Why did Colombia join NATO?", 0.0),  # context is not the question
    ("Tell me what Stoltenberg said.", 1.0),                    # no question mark: the last sentence asks
    ("Stoltenberg said what?", 0.0),                            # a capital opening a sentence is not evidence
])
def test_name_novelty(question, expected):
    assert NameNovelty().run(question, CORPUS) == expected


def test_the_asking_sentence_is_the_last_question():
    assert asking_sentence("My uncle says X. I disagree. Who is right? Thanks!") == "Who is right?"
    assert asking_sentence("tell me about the deal") == "tell me about the deal"


def test_strip_accents():
    assert strip_accents("Álvaro Bogotá") == "Alvaro Bogota"


TITLE_WORDS = frozenset({"the", "port", "of", "ardley", "and", "its", "bet", "on", "sea"})


@pytest.mark.parametrize("question, intent", [
    ("Who wrote the article?", "author"),
    ("hey so who wrote the uh the article about the port", "author"),     # fillers and the article's subject
    ("author port ardley article", "author"),
    ("who's the auther of this peice", "author"),                           # one slip in a word about articles
    ("What is the tittle of the article?", "title"),
    ("summary of the piece on the sea bet", "summary"),
    ("whats this article even about", "about"),                            # a discourse adverb
    ("What is the port about?", None),                                     # about the port, not the article
    ("Who wrote about the ferry timetable?", None),                       # someone who wrote about something
    ("who wrote the ferry timetable report for the harbour board", None), # a report the title does not name
])
def test_questions_about_the_article_name_it_by_its_title(question, intent):
    from colnato_qa.components.metadata import MetadataAnswerer

    found = MetadataAnswerer().run(question, TITLE_WORDS)
    assert (found.intent if found else None) == intent


# -- which acronyms an article spells out (components/expansions.py) --------------------------------------------

from colnato_qa.components.expansions import SpelledOutAcronyms, spelled_out_in  # noqa: E402


@pytest.mark.parametrize("text, expected", [
    ("The Individually Tailored Partnership Programme (ITPP) was signed.", {"ITPP"}),
    ("the Revolutionary Armed Forces of Colombia (FARC)", {"FARC"}),          # the letters in another language's order
    ("The ITPP (Individually Tailored Partnership Programme) was signed.", {"ITPP"}),
    ("The ITPP (signed in 2021) was new.", set()),                            # brackets that do not spell it out
    ("NATO and the EU met in Brussels.", set()),                              # used bare
    ("Uribe (2002-2010) and Santos (2010-2018)", set()),                      # years in brackets
    ("the United States (U.S.) and others", {"US"}),
])
def test_spelled_out_in(text, expected):
    assert spelled_out_in(text) == expected


@pytest.mark.parametrize("asked, expected", [
    (["ITPP"], True),
    (["ITP"], True),              # one letter dropped
    (["FARK"], True),             # one letter changed
    (["NATO"], False),            # used bare, never spelled out
    (["OTAN"], False),            # never used
    (["SOUTHCOM", "ITPP"], True),  # any of the question's acronyms
    (["BO"], False),              # two letters: no slip allowed
    ([], False),
])
def test_spelled_out_acronyms_run(asked, expected):
    corpus = SpelledOutAcronyms.from_texts(["The Individually Tailored Partnership Programme (ITPP).",
                                            "the Revolutionary Armed Forces of Colombia (FARC)", "NATO (BI) and more"])
    assert corpus.run(asked) is expected


@pytest.mark.parametrize("sentence, intent, named", [
    ("Was this published by the New York Times?", "publisher", "New York Times"),
    ("Is the author Juan Manuel Santos?", "author", "Juan Manuel Santos"),
    ("Was the piece written by Ana de la Cruz?", "author", "Ana de la Cruz"),
    ("Who published the NATO report?", "publisher", ""),           # not a yes/no question
    ("Was it written by Smith or by Jones?", "author", ""),         # two guesses
    ("Was this published in Bogota?", "title", ""),                 # not an author or publisher question
    ("Is the writer for or against the Harbour Works plan?", "author", ""),   # a stance, not a guess
    ("Is this article written by someone called Ana Ruiz?", "author", "Ana Ruiz"),
])
def test_the_name_a_yes_no_question_guesses_for_the_article(sentence, intent, named):
    from colnato_qa.components.metadata import guessed_name

    assert guessed_name(sentence, intent) == named


@pytest.mark.parametrize("named, value, verdict", [
    ("New York Times", "The Innovation Times", "no"),
    ("Miracle", "Ferdinand Miracle", "yes"),
    ("the Innovation Times", "The Innovation Times", "yes"),
    ("", "The Innovation Times", None),
])
def test_a_guessed_name_against_the_front_matter(named, value, verdict):
    from colnato_qa.components.metadata import name_verdict

    assert name_verdict(named, value) == verdict
