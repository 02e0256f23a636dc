"""Hostile input through the engine and the CLI: whatever comes in, the result is an answer
that keeps its invariants or a domain error with a message; never another exception, never a
traceback on the terminal.
"""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from colnato_qa.cli.common import load_engine as REAL_LOAD_ENGINE
from colnato_qa.errors import InvalidHistoryError, InvalidQuestionError
from colnato_qa.types import Answer

PROPERTY = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HTML = "<script>alert('x')</script><img src=x onerror=alert(1)> When was the ITPP signed?"
NASTY_STRINGS = [
    "", " ", "\t\n\r", "?", "??????", "\u200b", "\u200b\u200b\u200b", "\ufeff", "\u202e When was the ITPP signed?",
    "a\x00b", "\x00", "\x1b[31mred\x1b[0m", "\x7f", "\ud800", "When\udcff signed?", "\U0001f600" * 50,
    "Z\u0351\u0352\u0353\u0354\u0355" * 40, "ﷺ" * 100, "𒐫" * 200, "\u0301" * 500, "İıﬃß", "NaN", "null", "None",
    "' OR 1=1 --", "../../../../etc/passwd", "${jndi:ldap://127.0.0.1/a}", "{{7*7}}", "%s%s%s%n", HTML,
    "When was the ITPP signed?" * 39, "x" * 1000, "x" * 1001, "x" * 100_000, " " * 100_000,
    "word " * 20_000, "\n" * 5000 + "When was the ITPP signed?",
]
WRONG_TYPES = [None, 0, 3.5, True, b"When was the ITPP signed?", ["When"], {"question": "When"}, object()]


def check_answer(answer: Answer) -> None:
    assert isinstance(answer, Answer)
    assert 0.0 <= answer.confidence <= 1.0
    if answer.abstained:
        assert answer.answer is None
    else:
        first = answer.citations[0]
        span = first.answer_span
        assert first.passage.text[span.start:span.end] == answer.answer
    d = answer.to_dict()
    if not d["abstained"]:
        c = d["citations"][0]
        assert c["text"][c["answer_start"]:c["answer_end"]] == d["answer"]


def ask_or_refuse(engine, question, history=None) -> Answer | None:
    """The answer, or None when the engine refused the input with a domain error."""
    try:
        answer = engine.ask(question, history)
    except (InvalidQuestionError, InvalidHistoryError) as exc:
        assert str(exc).strip(), "a refusal says what is wrong"
        return None
    check_answer(answer)
    return answer


@pytest.fixture(scope="module")
def uncached(engine):
    """The session engine without the answer cache, so every example really runs."""
    return engine.variant(cache_size=0)


# -- the engine ---------------------------------------------------------------------------------
@pytest.mark.parametrize("question", NASTY_STRINGS, ids=lambda s: repr(s[:20]) + f"[{len(s)}]")
def test_nasty_strings(uncached, question):
    ask_or_refuse(uncached, question)


@pytest.mark.parametrize("question", WRONG_TYPES, ids=lambda v: type(v).__name__)
def test_wrong_types_are_refused(uncached, question):
    with pytest.raises(InvalidQuestionError, match="must be a string"):
        uncached.ask(question)


def test_control_characters_and_length_are_refused_with_a_reason(uncached):
    with pytest.raises(InvalidQuestionError, match="control characters"):
        uncached.ask("When\x00 was the ITPP signed?")
    with pytest.raises(InvalidQuestionError, match="limit is"):
        uncached.ask("x" * 100_000)
    with pytest.raises(InvalidQuestionError, match="empty"):
        uncached.ask(" \u3000\n" * 1000)


def test_html_is_answered_as_text(uncached):
    answer = ask_or_refuse(uncached, HTML)
    assert answer is not None
    if not answer.abstained:
        assert "<script" not in answer.answer


@given(st.text(max_size=300))
@PROPERTY
def test_random_unicode_questions(uncached, question):
    ask_or_refuse(uncached, question)


@given(st.text(alphabet=st.characters(codec="utf-8", categories=["L", "M", "N", "P", "S", "Z", "C"]), max_size=120))
@PROPERTY
def test_random_unicode_with_every_category(uncached, question):
    ask_or_refuse(uncached, question)


HISTORY_ITEM = st.one_of(
    st.text(max_size=80),
    st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant"]), "content": st.text(max_size=80)}),
    st.dictionaries(st.text(max_size=8), st.one_of(st.none(), st.integers(), st.text(max_size=8)), max_size=3),
    st.integers(), st.none(), st.floats(allow_nan=True), st.lists(st.text(max_size=5), max_size=3),
)


@given(question=st.one_of(st.text(max_size=80), st.sampled_from(["When was it signed?", "And why?", "Who?"])),
       history=st.one_of(st.none(), st.lists(HISTORY_ITEM, max_size=8), st.text(max_size=10), st.integers(),
                         st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2)))
@PROPERTY
def test_random_histories(uncached, question, history):
    ask_or_refuse(uncached, question, history)


def test_ask_many_refuses_a_bad_item_before_answering(uncached):
    with pytest.raises(InvalidQuestionError):
        uncached.ask_many([("When was the ITPP signed?", None), ("a\x00", None)])
    answers = uncached.ask_many([("When was the ITPP signed?", None), ("When was it signed?", ["What is the ITPP?"]),
                                 (HTML, None), ("Who wrote the article?", None)])
    for a in answers:
        check_answer(a)


def test_history_at_the_turn_limit_reads_the_recent_turns(uncached):
    limit = uncached.settings.max_history_turns
    history = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"Question number {i} about NATO?"}
               for i in range(limit)]
    history[-2] = {"role": "user", "content": "What is the ITPP?"}
    started = time.perf_counter()
    answer = ask_or_refuse(uncached, "When was it signed?", history)
    assert answer is not None
    assert time.perf_counter() - started < 5.0
    assert answer.interpreted_as and "ITPP" in answer.interpreted_as   # the recent turns, not the first ones


def test_ten_thousand_turns_are_refused_at_once_naming_the_limit(uncached):
    history = ["When was the ITPP signed? " * 40] * 10_000   # ~10 MB of history
    started = time.perf_counter()
    with pytest.raises(InvalidHistoryError, match=f"the limit is {uncached.settings.max_history_turns}"):
        uncached.ask("And why?", history)
    assert time.perf_counter() - started < 1.0


def test_long_turns_within_the_limit_are_bounded(uncached):
    history = ["When was the ITPP signed? " * 4000] * uncached.settings.max_history_turns   # ~10 MB
    started = time.perf_counter()
    ask_or_refuse(uncached, "And why?", history)
    assert time.perf_counter() - started < 30.0


def test_bad_turn_deep_in_a_long_history_is_named(uncached):
    history = ["What is the ITPP?"] * 80 + [42] + ["What is the ITPP?"] * 10
    with pytest.raises(InvalidHistoryError, match=r"history\[80\]"):
        uncached.ask("When was it signed?", history)


# -- the CLI ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cli(engine):
    """Runs ``colnato-qa`` in-process; the engine loader returns the session engine (loading the
    model once per invocation would take seconds) - one test below uses the real loader."""
    import colnato_qa.cli as cli_module
    from colnato_qa.cli import common

    patch = pytest.MonkeyPatch()
    patch.setattr(common, "load_engine", lambda *a, **k: engine.variant(cache_size=0))
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(cli_module.main, list(args), catch_exceptions=True)

    yield run
    patch.undo()


def check_cli_result(result) -> None:
    output = result.output + (result.stderr if hasattr(result, "stderr") else "")
    assert "Traceback" not in output, output[-2000:]
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"uncaught {type(result.exception).__name__}: {result.exception!r}") from result.exception
    assert result.exit_code in (0, 1, 2), (result.exit_code, output[-500:])
    if result.exit_code != 0:
        assert "Error" in output and len(output.strip()) > len("Error:"), output


@pytest.mark.parametrize("question", [q for q in NASTY_STRINGS if "\x00" not in q][:30],
                         ids=lambda s: repr(s[:15]) + f"[{len(s)}]")
def test_cli_nasty_strings(cli, question):
    check_cli_result(cli("ask", question))
    check_cli_result(cli("ask", "--json", question))


def test_cli_null_byte_and_overlong_question_exit_1_with_message(cli):
    for q in ("a\x00b", "x" * 100_000):
        result = cli("ask", q)
        check_cli_result(result)
        assert result.exit_code == 1


@given(question=st.text(max_size=200), history=st.lists(st.text(max_size=40), max_size=4), as_json=st.booleans())
@PROPERTY
def test_cli_random_questions(cli, question, history, as_json):
    args = ["ask"] + (["--json"] if as_json else [])
    for h in history:
        args += ["--history", h]
    check_cli_result(cli(*args, "--", question))


@pytest.mark.parametrize("args", [
    ["ask"], ["ask", "a", "--batch", "missing.jsonl"], ["ask", "--no-such-flag", "x"], ["nope"],
    ["ask", "--history"], ["ask", "-", "--json"], ["--version"], ["ask", "--help"],
])
def test_cli_bad_usage(cli, args):
    check_cli_result(cli(*args))


@pytest.mark.parametrize("lines", [
    ['{"question": "When was the ITPP signed?"}', "not json"],
    ['{"question": 42}'],
    ['[1, 2, 3]'],
    ['{"history": []}'],
    ['{"question": "When was it signed?", "history": "What is the ITPP?"}'],
    ['{"question": "x", "history": [{"role": "robot", "content": "hi"}]}'],
    ['{"question": "' + "[" * 5000 + '"}'],
    ["[" * 5000 + "]" * 5000],
    [""],
    ['{"question": "When was the ITPP signed?", "history": ["What is the ITPP?"], "id": "ok"}'],
])
def test_cli_hostile_batch_files(cli, tmp_path, lines):
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    check_cli_result(cli("ask", "--batch", str(path)))


def test_cli_batch_file_not_utf8(cli, tmp_path):
    path = tmp_path / "batch.jsonl"
    path.write_bytes(b'{"question": "caf\xe9?"}\n')
    result = cli("ask", "--batch", str(path))
    check_cli_result(result)
    assert result.exit_code == 1


def test_cli_real_loader_with_a_bad_index_path(tmp_path, session_index_dir, monkeypatch):
    """Without the stand-in loader: a bad --index is a clean error, a good one answers."""
    from colnato_qa.cli import common, main
    from colnato_qa.settings import DEFAULT_CORPUS_DIR

    monkeypatch.setattr(common, "load_engine", REAL_LOAD_ENGINE)

    not_a_dir = tmp_path / "index-file"
    not_a_dir.write_text("x", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["ask", "--index", str(not_a_dir), "When was the ITPP signed?"])
    check_cli_result(result)
    assert result.exit_code == 1 and "not a directory" in result.output
    result = runner.invoke(main, ["ask", "--corpus", str(tmp_path / "nothing"), "When was the ITPP signed?"])
    check_cli_result(result)
    assert result.exit_code == 1 and "does not exist" in result.output
    result = runner.invoke(main, ["ask", "--corpus", str(DEFAULT_CORPUS_DIR), "--index", str(session_index_dir),
                                  "--json", "When was the ITPP signed?"])
    check_cli_result(result)
    assert result.exit_code == 0 and "2021" in result.output
