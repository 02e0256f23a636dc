"""The colnato-qa command line: answers, the batch mode, and clean errors for bad input."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from colnato_qa.cli import main

from .conftest import CORPUS_DIR


@pytest.fixture
def run(session_index_dir):
    def invoke(*args, input=None):
        runner = CliRunner()
        full = list(args)
        if args and args[0] in ("ask", "build"):
            full += ["--corpus", str(CORPUS_DIR), "--index", str(session_index_dir)]
        return runner.invoke(main, full, input=input, catch_exceptions=False)

    return invoke


def test_ask_text(run):
    r = run("ask", "When was the ITPP signed?")
    assert r.exit_code == 0, r.output
    assert "signed in 2021" in r.output and re.search(r"\[1\] .+, paragraph \d+", r.output)


def test_ask_json(run):
    r = run("ask", "--json", "When was it signed?", "--history", "What is the ITPP?")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["interpreted_as"] == "When was it signed? (following up on: What is the ITPP?)"
    c = d["citations"][0]
    assert c["text"][c["answer_start"]:c["answer_end"]] == d["answer"]


def test_ask_abstains_in_text(run):
    r = run("ask", "Who won the World Cup?")
    assert r.exit_code == 0
    assert "The article doesn't say" in r.output


@pytest.mark.parametrize("question, said", [
    ("¿En qué año firmó Colombia su acuerdo con la alianza?", "inglés"),      # not English: said in Spanish
    ("When was it signed?", "Which one do you mean"),                          # a pronoun with nothing before it
])
def test_ask_prints_the_engines_reply_in_text(run, question, said):
    r = run("ask", question)
    assert r.exit_code == 0, r.output
    assert said in r.output and "The article doesn't say" not in r.output
    assert r.output.count("\n  - ") >= 2          # the questions it suggests


def test_batch(run, tmp_path):
    f = tmp_path / "q.jsonl"
    f.write_text("\n".join([
        json.dumps({"id": "a", "question": "When was the ITPP signed?"}),
        "",
        json.dumps({"id": "b", "question": "When was it signed?", "history": ["What is the ITPP?"], "type": "followup"}),
        json.dumps({"id": "c", "question": "Who won the World Cup?"}),
    ]), encoding="utf-8")
    out = tmp_path / "a.jsonl"
    r = run("ask", "--batch", str(f), "--out", str(out))
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["id"] for x in lines] == ["a", "b", "c"]
    assert lines[1]["type"] == "followup" and "2021" in lines[1]["answer"]
    assert lines[2]["abstained"] is True and lines[2]["answer"] is None
    assert "history" not in lines[1]


def test_batch_to_stdout(run, tmp_path):
    f = tmp_path / "q.jsonl"
    f.write_text(json.dumps({"question": "Who wrote this article?"}) + "\n", encoding="utf-8")
    r = run("ask", "--batch", str(f))
    assert r.exit_code == 0
    assert json.loads(r.stdout)["answer"] == "Ferdinand Miracle"


@pytest.mark.parametrize("content, message", [
    ('{"question": "ok?"}\n{"question": "broken"\n', "line 2: not valid JSON"),
    ('{"id": 1}\n', 'line 1: missing the "question" field'),
    ('["a list"]\n', "line 1: expected a JSON object"),
    ('{"question": "   "}\n', "line 1: The question is empty"),
    ('{"question": "ok", "history": "nope"}\n', "line 1: history must be a list"),
    ('\n\n', "holds no questions"),
])
def test_batch_errors_name_the_line(run, tmp_path, content, message):
    f = tmp_path / "bad.jsonl"
    f.write_text(content, encoding="utf-8")
    r = run("ask", "--batch", str(f))
    assert r.exit_code == 1
    assert message in r.output
    assert "Traceback" not in r.output


@pytest.mark.parametrize("good", [1, 33])
def test_a_bad_line_loses_none_of_the_answers_before_it(run, tmp_path, good):
    # One good line, or a full group of 32 and one more: every line before the bad one is answered and written.
    f = tmp_path / "q.jsonl"
    lines = [json.dumps({"id": i, "question": "Who wrote this article?"}) for i in range(good)]
    f.write_text("\n".join(lines + ["not json"]) + "\n", encoding="utf-8")
    out = tmp_path / "a.jsonl"
    r = run("ask", "--batch", str(f), "--out", str(out))
    assert r.exit_code == 1
    assert f"line {good + 1}: not valid JSON" in r.output
    assert ("The answer to the line before it was written." if good == 1 else
            f"The {good} answers to the lines before it were written.") in r.output
    assert [json.loads(x)["id"] for x in out.read_text(encoding="utf-8").splitlines()] == list(range(good))


def test_readable_answer_leads_with_the_verdict(run):
    r = run("ask", "Is Colombia obliged to protect the NATO member states?")   # written for this test
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[0] == "No:"
    assert "does not obligate Colombia" in r.stdout.splitlines()[1]


def test_full_width_question_reads_as_ascii(run):
    # As East Asian keyboards type it; the answer is the one to the ASCII question.
    r = run("ask", "--json", "Ｗｈｅｎ ｗａｓ ｔｈｅ ＩＴＰＰ ｓｉｇｎｅｄ？")
    assert r.exit_code == 0, r.output
    answer = json.loads(r.stdout)
    assert not answer["abstained"] and "2021" in answer["answer"] and answer["language"] == "en"


def test_batch_file_with_a_byte_order_mark(run, tmp_path):
    f = tmp_path / "q.jsonl"
    f.write_bytes(b"\xef\xbb\xbf" + json.dumps({"question": "Who wrote this article?"}).encode() + b"\n")
    r = run("ask", "--batch", str(f))
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["answer"] == "Ferdinand Miracle"


@pytest.mark.parametrize("args, message", [
    (["ask", ""], "The question is empty"),
    (["ask", "   "], "The question is empty"),
    (["ask", "x" * 1001], "the limit is 1000"),
    (["ask", "what\x01now"], "control characters"),
    (["ask", "When \udcff ITPP signed"], "bytes that are not valid UTF-8 text"),   # a shell argument not in UTF-8
    (["ask"], "Give a QUESTION or --batch FILE"),
    (["fit", "corpus/gold/natural/train.jsonl", "--adapter-features", "both"], "'cross-fitted', 'in-sample'"),
])
def test_bad_questions(run, args, message):
    r = run(*args)
    assert r.exit_code in (1, 2)
    assert message in r.output
    assert "Traceback" not in r.output


def test_missing_corpus(tmp_path):
    r = CliRunner().invoke(main, ["ask", "hi?", "--corpus", str(tmp_path / "none"), "--index", str(tmp_path / "i")])
    assert r.exit_code == 1
    assert "does not exist" in r.output


def test_empty_corpus(tmp_path):
    (tmp_path / "c").mkdir()
    r = CliRunner().invoke(main, ["build", "--corpus", str(tmp_path / "c"), "--index", str(tmp_path / "i")])
    assert r.exit_code == 1
    assert "holds no documents" in r.output


def test_index_path_is_a_file(tmp_path):
    f = tmp_path / "index"
    f.write_text("not a dir")
    r = CliRunner().invoke(main, ["ask", "hi?", "--corpus", str(CORPUS_DIR), "--index", str(f)])
    assert r.exit_code == 1
    assert "is not a directory" in r.output


def test_build_reports_counts_and_no_library_debug_lines(tmp_path):
    r = CliRunner().invoke(main, ["build", "--corpus", str(CORPUS_DIR), "--index", str(tmp_path / "index")])
    assert r.exit_code == 0, r.output
    assert "passages" in r.output and "colnato-MiniLM-L6-qa" in r.output      # the shipped fine-tuned encoder
    assert "DEBUG" not in r.output and "INFO" not in r.output, r.output   # e.g. bm25s's "Building index"


def test_serve_runs_the_app_with_the_settings(monkeypatch, engine):
    """`colnato-qa serve` (and app.py) builds the app with the one loader and hands it to server.serve, with
    the settings (the server's limits among them)."""
    from colnato_qa.cli import common
    from colnato_qa.web import server

    served = []
    monkeypatch.setattr(common, "load_engine", lambda *a, **k: engine)
    monkeypatch.setattr(server, "serve", lambda app, host, port, log_level, settings: served.append(
        (host, port, log_level, settings.server_backlog, app.state.settings is settings)))
    monkeypatch.setenv("COLNATO_QA_PORT", "8123")
    monkeypatch.setenv("COLNATO_QA_SERVER_BACKLOG", "100")
    r = CliRunner().invoke(main, ["serve", "--host", "127.0.0.1", "--log-level", "warning"])
    assert r.exit_code == 0, r.output
    assert served == [("127.0.0.1", 8123, "warning", 100, True)]


@pytest.mark.parametrize("args, env, message", [
    (["serve", "--port", "70000"], {}, "70000 is not in the range"),
    (["serve"], {"COLNATO_QA_ALLOWED_ORIGINS": "ftp://news.example"}, "is not an origin"),
    (["serve"], {"COLNATO_QA_PORT": "eighty"}, "port"),
    (["serve"], {"COLNATO_QA_ALLOWED_HOSTS": "https://chat.example"}, "allowed_hosts"),
    (["serve"], {"COLNATO_QA_FEEDBACK_MAX_BYTES": "100"}, "feedback_max_bytes must be >= 16384"),
    (["serve"], {"COLNATO_QA_API_MAX_CONCURRENT": "0"}, "api_max_concurrent must be >= 1, got '0'"),
    (["serve"], {"COLNATO_QA_BODY_READ_TIMEOUT_S": "-5"}, "body_read_timeout_s must be >= 0.1"),
    (["serve"], {"COLNATO_QA_SERVER_HEADER_TIMEOUT_S": "inf"}, "server_header_timeout_s must be a finite number >= 0.1"),
    (["serve"], {"COLNATO_QA_MAX_BODY_BYTES": "8192"}, "max_body_bytes (8192) must be at least twice "
                                                       "chat_conversation_max_bytes (24576)"),
    (["serve"], {"COLNATO_QA_MAX_BODY_BYTES": "8192"}, "(max_body_bytes from $COLNATO_QA_MAX_BODY_BYTES)"),
])
def test_serve_refuses_bad_settings_before_loading_the_model(monkeypatch, args, env, message):
    from colnato_qa.cli import common

    def no_model(*a, **k):
        raise AssertionError("the model must not be loaded")

    monkeypatch.setattr(common, "load_engine", no_model)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    r = CliRunner().invoke(main, args)
    assert r.exit_code in (1, 2) and message in r.output, r.output
    assert "Traceback" not in r.output


# -- one error boundary: every error one line on stderr, exit status 1 ----------------------------------
def _one_line_error(r, fragment):
    assert r.exit_code == 1, r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and fragment in lines[0], r.output
    assert "Traceback" not in r.output and "Usage:" not in r.output


@pytest.mark.parametrize("args, fragment", [
    (["ask", "--batch", "/no/such/batch.jsonl"], "'/no/such/batch.jsonl' does not exist"),
    (["ask", "hi?", "--out", "answers.jsonl"], "--out does nothing without --batch"),
    (["ask", "--batch", __file__, "--json"], "--json does nothing with --batch"),
    (["ask", "--batch", __file__, "--history", "What is the ITPP?"], "--history does nothing with --batch"),
    (["ask"], "Give a QUESTION or --batch FILE"),
    (["import-page", "/no/such/page.txt"], "does not exist"),
    (["eval", "/no/such/gold.jsonl"], "Gold file /no/such/gold.jsonl does not exist"),
    (["compare", "/no/a", "/no/b"], "does not exist"),
    (["calibrate", "x.jsonl", "--dry-run"], "No such option '--dry-run'"),
    (["no-such-command"], "No such command"),
])
def test_every_error_is_one_line_with_exit_1(monkeypatch, args, fragment):
    from colnato_qa.cli import common

    monkeypatch.setattr(common, "load_engine", lambda *a, **k: pytest.fail("the model must not be loaded"))
    r = CliRunner().invoke(main, args)
    _one_line_error(r, fragment)


@pytest.mark.parametrize("source, fragment", [("env", "(from $COLNATO_QA_TOP_K)"), ("file", "(from {path})")])
def test_settings_errors_name_their_source(monkeypatch, tmp_path, source, fragment):
    from colnato_qa.cli import common

    monkeypatch.setattr(common, "load_engine", lambda *a, **k: pytest.fail("the model must not be loaded"))
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"top_k": "x" if source == "file" else 5}), encoding="utf-8")
    if source == "env":
        monkeypatch.setenv("COLNATO_QA_TOP_K", "abc")
    r = CliRunner().invoke(main, ["ask", "hi?", "--config", str(config)])
    _one_line_error(r, "top_k")
    assert fragment.format(path=config) in r.output
    other = "$COLNATO_QA_TOP_K" if source == "file" else str(config)
    assert other not in r.output


def test_every_command_is_in_the_readme():
    from .conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Command line"):readme.index("## Python")]
    assert 'export PATH="$PWD/.venv/bin:$PATH"' in section
    for name in main.commands:
        assert f"colnato-qa {name} " in section, name
    layout = readme[readme.index("## Layout"):]
    import colnato_qa

    package = __import__("pathlib").Path(colnato_qa.__file__).parent
    modules = {p.stem for p in package.glob("*.py")} | {p.name for p in package.iterdir() if p.is_dir()}
    named = set(re.findall(r"\b([a-z_]+)\b", layout[layout.index("src/colnato_qa/"):layout.index("tests/ ")]))
    for word in ("embedding", "answering"):
        assert word not in named
    for module in modules - {"__init__", "__pycache__"}:
        assert module in named, module


def test_citation_has_the_attributes_of_its_json():
    from colnato_qa.types import Citation, Passage, Span

    p = Passage("d:1", "d", "Title", 9, Span(0, 12), "Hello world.")
    for c in (Citation(p, 0.5, Span(0, 5)), Citation(p, 0.25)):
        for key, value in c.to_dict().items():
            got = getattr(c, key)
            assert (round(got, 6) if key == "score" else got) == value, key


def test_one_error_boundary_for_every_command():
    """The group and every command share cli.common.OneLineErrors; the old per-command converters are gone."""
    from colnato_qa.cli import common

    assert isinstance(main, common.OneLineErrors)
    for name, command in main.commands.items():
        assert isinstance(command, common.OneLineErrors), name
    assert not hasattr(common, "clean_errors")
    import colnato_qa.cli as cli

    assert not hasattr(cli, "DomainErrors")
