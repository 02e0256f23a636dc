"""End-to-end answers with the real model: right paragraph, verbatim spans, abstention, follow-ups."""

from __future__ import annotations

import pytest

KNOWN = [  # (question, paragraph that answers it, words the answer must hold)
    ("When was the ITPP signed?", 9, "2021"),
    ("What agreement did Colombia sign with NATO in 2013?", 4, "Agreement on Cooperation and Security of Information"),
    ("Who was president of Colombia between 2002 and 2010?", 5, "Uribe"),
    ("What did Santos believe aligning with NATO could do?", 5, "irregular warfare"),
    ("Does the partnership oblige Colombia to defend NATO member states?", 8, "does not obligate"),
    ("What benefits did the global partner status bring?", 6, "training resources"),
    ("Which programme did Colombia join to improve transparency in defence institutions?", 15, "Building Integrity"),
    ("Who led the official push for NATO collaboration?", 5, "Juan Manuel Santos"),
    ("What has Colombia's military been criticised for?", 14, "patriarchal"),
    ("How did Colombian officers gain cyber defense experience?", 16, "NATO-led exercises"),
    ("What is UNASUR?", 2, "South American Nations Union"),
    ("What did the left-wing governments of the early 2000s try to do?", 2, "counterbalance U.S. influence"),
    ("What are the objectives of the ITPP?", 10, "Defending shared democratic values"),
    ("Is Colombia a full member of NATO?", 8, "without being bound by the obligations that come with full NATO membership"),
]

OFF_TOPIC = [
    "What is the capital of Colombia?",
    "How many member states does NATO have?",
    "Who won the World Cup?",
    "How many troops did Colombia send to NATO missions?",
    "What is the population of Colombia?",
    "asdkjh qwpoeiru zmxncb",
    "¿Cuál es la moneda oficial de Colombia?",
]


@pytest.mark.parametrize("question, paragraph, words", KNOWN)
def test_known_questions(engine, question, paragraph, words):
    a = engine.ask(question)
    assert not a.abstained, (question, a.confidence)
    top = a.citations[0]
    assert top.passage.paragraph == paragraph
    assert words in a.answer
    assert top.passage.text[top.answer_span.start:top.answer_span.end] == a.answer


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_off_topic_declined(engine, question):
    a = engine.ask(question)
    assert a.abstained
    assert a.answer is None
    assert a.citations and all(c.answer_span is None for c in a.citations)
    assert 0.0 <= a.confidence < engine.settings.abstain_threshold


def test_answer_is_sentences_not_paragraph(engine):
    a = engine.ask("When was the ITPP signed?")
    assert a.answer != a.citations[0].passage.text
    assert a.answer.startswith("The Individually Tailored Partnership Programme (ITPP), signed in 2021")


def test_follow_up(engine):
    a = engine.ask("When was it signed?", history=["What is the ITPP?"])
    assert a.interpreted_as == "When was the ITPP signed?"
    assert "2021" in a.answer
    d = a.to_dict()
    assert d["interpreted_as"] == "When was the ITPP signed?"


def test_follow_up_with_role_history(engine):
    a = engine.ask("When was it signed?", history=[
        {"role": "user", "content": "What is the ITPP?"},
        {"role": "assistant", "content": "The Individually Tailored Partnership Programme (ITPP)..."},
    ])
    assert "2021" in a.answer


@pytest.mark.parametrize("question, answer, kind", [
    ("Who wrote this article?", "Ferdinand Miracle", "byline"),
    ("Who is the author?", "Ferdinand Miracle", "byline"),
    ("Which newspaper published it?", "The Innovation Times", "metadata"),
    ("What is the title of the article?", "Colombia’s Path to NATO Partnership: A South American Country’s Growing Role in Global Security", "title"),
])
def test_questions_about_the_article(engine, question, answer, kind):
    a = engine.ask(question)
    assert a.answer == answer
    c = a.citations[0]
    assert c.passage.kind == kind
    assert c.passage.text[c.answer_span.start:c.answer_span.end] == answer


def test_article_date_not_in_metadata_is_declined(engine):
    a = engine.ask("When was this article published?")
    assert a.abstained and a.answer is None
    assert a.citations and a.citations[0].passage.paragraph == 0


def test_json_shape(engine):
    d = engine.ask("When was the ITPP signed?").to_dict()
    assert set(d) == {"question", "answer", "abstained", "confidence", "citations", "interpreted_as"}
    c = d["citations"][0]
    assert set(c) == {"passage_id", "doc_id", "title", "paragraph", "text", "score", "answer_start", "answer_end"}
    assert c["text"][c["answer_start"]:c["answer_end"]] == d["answer"]
    assert isinstance(c["paragraph"], int) and 0.0 <= d["confidence"] <= 1.0


def test_variants_share_the_index(engine):
    for mode in ("dense", "bm25", "hybrid"):
        a = engine.variant(retrieval=mode).ask("When was the ITPP signed?")
        assert a.citations[0].passage.paragraph == 9
    p = engine.variant(answer_mode="passage").ask("When was the ITPP signed?")
    assert p.answer == p.citations[0].passage.text


def test_threshold_zero_never_abstains(engine):
    a = engine.variant(threshold=0.0).ask("Who won the World Cup?")
    assert not a.abstained and a.answer


def test_unknown_variant_setting_names_valid_values(engine):
    from colnato_qa.errors import ConfigError

    with pytest.raises(ConfigError, match=r"Unknown retrieval mode 'fuzzy'. Supported modes: \['hybrid', 'dense', 'bm25'\]"):
        engine.variant(retrieval="fuzzy")


def test_cache_returns_same_answer(engine):
    e = engine.variant()
    first = e.ask("What is the BI program?")
    assert e.ask("What is the BI program?") is first
    assert e.ask("What is the BI program?", history=["What is the ITPP?"]) is not first


def test_ask_many_matches_ask(engine):
    qs = [("When was the ITPP signed?", None), ("When was it signed?", ["What is the ITPP?"]), ("Who wrote this article?", None),
          ("When was the ITPP sigend?", None)]
    many = engine.variant(cache_size=0).ask_many(qs)
    one = [engine.variant(cache_size=0).ask(q, h) for q, h in qs]
    assert [a.to_dict() for a in many] == [a.to_dict() for a in one]


def test_acronym_expansion(engine):
    a = engine.ask("What does FARC stand for?")
    assert not a.abstained
    assert "Revolutionary Armed Forces of Colombia (FARC)" in a.answer


@pytest.mark.parametrize("history, question, interpreted, words", [
    (["Which president led the official push for NATO collaboration?"], "When was he in office?",
     "When was Juan Manuel Santos in office?", "2010-2018"),
    (["What is the IPCP?"], "What has it allowed Colombia to do?",
     "What has the IPCP allowed Colombia to do?", "enhance its defense sector"),
])
def test_follow_ups_resolved_through_previous_answer(engine, history, question, interpreted, words):
    a = engine.ask(question, history=history)
    assert a.interpreted_as == interpreted
    assert words in a.answer


def test_follow_up_uses_assistant_turn_when_given(engine):
    a = engine.ask("When was he in office?", history=[
        {"role": "user", "content": "Who pushed for NATO collaboration officially?"},
        {"role": "assistant", "content": "It came during the administration of Juan Manuel Santos."},
    ])
    assert a.interpreted_as == "When was Juan Manuel Santos in office?"


def test_definition_question_gets_the_introducing_sentence(engine):
    a = engine.ask("What is the ITPP?")
    assert a.answer.startswith("The Individually Tailored Partnership Programme (ITPP)")


def test_typo_corrected_against_the_article(engine):
    a = engine.ask("When was the ITPP sigend?")
    assert a.interpreted_as == "When was the ITPP signed?"
    assert "2021" in a.answer
