"""Item 6 of issue 18: ``colnato-qa ask --batch`` on hostile files.

* Lines end at ``\\n`` only: a valid JSONL line with a raw U+2028 or U+0085 inside a string is
  one line, and answered.
* A line longer than ``batch.MAX_LINE_BYTES`` is refused with a message naming it and the limit,
  without being read whole (a 100 MB line: the process stays small).
* 1,000,000 lines: the first answer is written within 5 s of the start, and the process stays
  under 400 MB while it answers (slow; the run is stopped after ``RUN_S`` seconds).

The CLI runs in a subprocess on the session's index; every run is bounded in time."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from click.testing import CliRunner

from colnato_qa.cli import main
from colnato_qa.cli.batch import MAX_LINE_BYTES
from tests.conftest import CORPUS_DIR
from tests.security.tools import MB
from tests.web_fixtures import REPO_ROOT

LINES = 1_000_000
FIRST_ANSWER_S = 5.0
RUN_S = 20.0
RSS_LIMIT_MB = 400.0
QUESTIONS = ["When was the ITPP signed?", "Who wrote this article?", "What did Colombia sign in 2013?",
             "When was it announced that Colombia would become a NATO global partner?"]


@pytest.fixture
def index_dir(session_index_dir, seed_export) -> Path:
    seed_export(session_index_dir)       # the child finds the ONNX export instead of making it
    return session_index_dir


def start_batch(batch: Path, out: Path, index_dir: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", "from colnato_qa.cli import main; main()", "ask", "--batch", str(batch), "--out", str(out),
         "--corpus", str(CORPUS_DIR), "--index", str(index_dir)],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def watch(process: subprocess.Popen, seconds: float, out: Path | None = None) -> tuple[float, float | None]:
    """(peak RSS in MB, seconds until ``out`` held its first answer) while ``process`` runs, for
    ``seconds`` at most; the process is killed then."""
    started = time.monotonic()
    peak, first = 0.0, None
    proc = psutil.Process(process.pid)
    try:
        while process.poll() is None and time.monotonic() - started < seconds:
            try:
                peak = max(peak, proc.memory_info().rss / MB)
            except psutil.NoSuchProcess:
                break
            if first is None and out is not None and out.exists() and b"\n" in out.read_bytes()[:65536]:
                first = time.monotonic() - started
            time.sleep(0.05)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
    return peak, first


def test_unicode_line_separators_inside_strings_do_not_split_lines(tmp_path, session_index_dir):
    batch = tmp_path / "q.jsonl"
    # U+2028 in the question; U+0085 and a form feed (control characters, which a question may not
    # hold) in the line's other fields, which are passed through to the answer
    lines = [json.dumps({"id": "ls", "question": "When was the ITPP\u2028signed?"}, ensure_ascii=False),
             json.dumps({"id": "nel\u0085", "question": "Who wrote this article?"}, ensure_ascii=False),
             json.dumps({"id": "ff\x0c\u2029", "question": "Who wrote this article?"}, ensure_ascii=False)]
    batch.write_text("\r\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "a.jsonl"
    result = CliRunner().invoke(main, ["ask", "--batch", str(batch), "--out", str(out), "--corpus", str(CORPUS_DIR),
                                       "--index", str(session_index_dir)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in out.read_text(encoding="utf-8").split("\n") if line]
    assert [a["id"] for a in answers] == ["ls", "nel\u0085", "ff\x0c\u2029"]
    assert "2021" in answers[0]["answer"]


@pytest.mark.slow
def test_a_line_over_the_limit_is_refused_without_being_read_whole(tmp_path, index_dir):
    batch = tmp_path / "long.jsonl"
    with batch.open("wb") as f:
        f.write(json.dumps({"question": "When was the ITPP signed?"}).encode() + b"\n")
        f.write(b'{"question": "' + b"a" * (100 * MB) + b'"}\n')
    process = start_batch(batch, tmp_path / "a.jsonl", index_dir)
    peak, _ = watch(process, 120)
    stderr = process.stderr.read()
    print(f"\n100 MB line: exit {process.returncode}, peak RSS {peak:.0f} MB; {stderr.strip()[:300]}")
    assert process.returncode == 1
    assert f"line 2: longer than {MAX_LINE_BYTES} bytes" in stderr
    assert "Traceback" not in stderr
    assert peak < RSS_LIMIT_MB


@pytest.mark.slow
def test_a_million_lines_stream_their_answers_in_bounded_memory(tmp_path, index_dir):
    batch = tmp_path / "million.jsonl"
    with batch.open("w", encoding="utf-8") as f:
        for n in range(LINES):
            f.write(json.dumps({"id": n, "question": QUESTIONS[n % len(QUESTIONS)]}) + "\n")
    out = tmp_path / "answers.jsonl"
    process = start_batch(batch, out, index_dir)
    peak, first = watch(process, RUN_S, out)
    written = out.read_bytes().count(b"\n") if out.exists() else 0
    print(f"\n{LINES} lines: first answer after {first if first is None else round(first, 1)} s, {written} answers in "
          f"{RUN_S:g} s, peak RSS {peak:.0f} MB")
    assert first is not None and first <= FIRST_ANSWER_S
    assert peak < RSS_LIMIT_MB
    ids = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()[:written]]
    assert ids == list(range(len(ids)))       # in input order
