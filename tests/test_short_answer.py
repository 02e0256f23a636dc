"""Short answers: the extractor on hand-made parses, and the engine's short_answer on every gold question."""

from __future__ import annotations

from pathlib import Path

import pytest

from colnato_qa.components.short_answer import DATE, PERSON, REASON, THING, ParsedText, ShortAnswerExtractor, asked_for
from colnato_qa.evaluation.gold import load_gold
from colnato_qa.types import Span

GOLD_DIR = Path(__file__).resolve().parents[1] / "corpus" / "gold"

# "The treaty, signed in 1990 by Ada Roe, ended the war because both sides were exhausted."
TEXT = "The treaty, signed in 1990 by Ada Roe, ended the war because both sides were exhausted."
_WORDS = ["The", "treaty", ",", "signed", "in", "1990", "by", "Ada", "Roe", ",", "ended", "the", "war",
          "because", "both", "sides", "were", "exhausted", "."]
_PARSE = [  # tag, pos, dep, head
    ("DT", "DET", "det", 1), ("NN", "NOUN", "nsubj", 10), (",", "PUNCT", "punct", 1), ("VBN", "VERB", "acl", 1),
    ("IN", "ADP", "prep", 3), ("CD", "NUM", "pobj", 4), ("IN", "ADP", "agent", 3), ("NNP", "PROPN", "compound", 8),
    ("NNP", "PROPN", "pobj", 6), (",", "PUNCT", "punct", 1), ("VBD", "VERB", "ROOT", 10), ("DT", "DET", "det", 12),
    ("NN", "NOUN", "dobj", 10), ("IN", "SCONJ", "mark", 16), ("DT", "DET", "det", 15), ("NNS", "NOUN", "nsubj", 16),
    ("VBD", "AUX", "advcl", 10), ("JJ", "ADJ", "acomp", 16), (".", "PUNCT", "punct", 10),
]


def _tokens():
    out, at = [], 0
    for word, (tag, pos, dep, head) in zip(_WORDS, _PARSE):
        at = TEXT.index(word, at)
        out.append([at, at + len(word), tag, pos, dep, head])
        at += len(word)
    return out


PARSED = ParsedText.from_annotations(
    TEXT, {"tokens": _tokens(), "chunks": [[0, 10], [30, 37], [45, 52], [61, 71]]},
    [[22, 26, "DATE"], [30, 37, "PERSON"]])


def short(question, span=Span(0, len(TEXT))):
    found = ShortAnswerExtractor().run(question, TEXT, span, PARSED)
    return None if found is None else TEXT[found.start:found.end]


@pytest.mark.parametrize("question, expected", [
    ("When was the treaty signed?", "1990"),
    ("Who signed the treaty?", "Ada Roe"),
    ("What did the treaty end?", "the war"),
])
def test_the_phrase_of_the_kind_asked_for(question, expected):
    assert short(question) == expected


def test_a_why_question_gets_the_clause_after_its_connective():
    assert short("Why did the treaty end the war?") == "both sides were exhausted"


def test_kinds_come_from_the_main_clause():
    assert asked_for("What did the treaty end when it was signed?").kind == THING
    assert asked_for("Who was in charge when the treaty was signed?").kind == PERSON
    assert asked_for("In what year was the treaty signed?").kind == DATE
    assert asked_for("Why did the war end?").kind == REASON
    assert asked_for("With which group did they sign it?").preposition == "with"


def test_none_without_a_parse_or_a_shorter_phrase():
    extractor = ShortAnswerExtractor()
    assert extractor.run("When was the treaty signed?", TEXT, Span(0, len(TEXT)), None) is None
    # A span of one short phrase: nothing shorter answers.
    assert short("When was the treaty signed?", Span(22, 26)) is None


def test_the_short_answer_stays_inside_the_span():
    span = Span(39, len(TEXT))  # "ended the war because ..."
    found = ShortAnswerExtractor().run("When was the treaty signed?", TEXT, span, PARSED)
    assert found is None or (span.start <= found.start < found.end <= span.end)


def test_a_parse_that_does_not_fit_the_text_is_refused():
    with pytest.raises(ValueError):
        ParsedText.from_annotations("short", {"tokens": _tokens(), "chunks": []})


def _gold_questions():
    return [it.question for it in load_gold(GOLD_DIR / "squad_v2.json")] + [
        it.question for it in load_gold(GOLD_DIR / "colnato_gold.jsonl") if not it.history]


def test_every_short_answer_lies_at_its_offsets_inside_the_first_citation(engine):
    """Every phrase the extractor finds (the gate off: config/short_answer.json shows few in bold)."""
    ungated = engine.variant(short_answer_gate=None)
    seen = 0
    for question in _gold_questions():
        d = ungated.ask(question).to_dict()
        s = d["short_answer"]
        if d["abstained"]:
            assert s is None, question
            continue
        if s is None:
            continue
        seen += 1
        c = d["citations"][0]
        assert c["text"][s["start"]:s["end"]] == s["text"], question
        assert c["answer_start"] <= s["start"] < s["end"] <= c["answer_end"], question
        assert len(s["text"]) < len(d["answer"]), question
    assert seen > 50


def test_short_answers_are_short(engine):
    # (That serving imports no parser is checked by test_encoders' no-torch serving test.)
    ungated = engine.variant(short_answer_gate=None)
    words = []
    for question in _gold_questions():
        s = ungated.ask(question).short_answer
        if s is not None:
            words.append(len(s.text.split()))
    words.sort()
    assert words[len(words) // 2] <= 6


def test_the_chat_shows_the_short_answer_in_bold_inside_the_highlighted_quote():
    from colnato_qa.web.render import render_answer

    text = "Intro. It was signed in 2021 <b>by</b> the minister. Outro."
    sentence = "It was signed in 2021 <b>by</b> the minister."
    start = text.index(sentence)
    at = text.index("2021")
    answer = {"question": "When?", "answer": sentence, "abstained": False, "confidence": 0.9,
              "short_answer": {"text": "2021", "start": at, "end": at + 4},
              "citations": [{"text": text, "paragraph": 1, "answer_start": start, "answer_end": start + len(sentence)}]}
    html = render_answer(answer)
    assert '<mark class="colnato-mark">It was signed in <strong>2021</strong> &lt;b&gt;by&lt;/b&gt; the minister.</mark>' in html
    # A short answer outside the quote is not shown in bold.
    answer["short_answer"] = {"text": "Intro", "start": 0, "end": 5}
    assert "<strong>" not in render_answer(answer)


@pytest.mark.slow
def test_the_weights_are_what_the_tuning_command_keeps():
    """The extractor's weights are reproducible: a coordinate search on the dev split keeps them."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, str(root / "scripts" / "tune_short_answer.py"), "--check"],
                          cwd=root, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert "weights kept" in done.stdout


def test_the_gate_shows_a_phrase_only_at_or_above_its_threshold(engine):
    """With the fitted gate, a bold phrase carries its own confidence, at least the gate's threshold."""
    from colnato_qa.components.short_answer_gate import load_short_answer_gate

    gate = load_short_answer_gate(engine.settings.short_answer_gate)
    assert gate is not None
    for question in _gold_questions():
        a = engine.ask(question)
        if a.short_answer is not None:
            assert gate.threshold <= a.short_answer.confidence <= 1.0
        elif not a.abstained and "short_confidence" in a.debug:
            assert a.debug["short_confidence"] < gate.threshold
