"""``colnato-qa ask --batch``: a JSONL file of questions in, a JSONL stream of answers out.

The file is read a line at a time (lines end at ``\\n`` only: a raw U+2028, U+0085 or form feed
inside a JSON string is part of its line), each line checked against ``AskRequest`` as it is
read, and answered in groups of ``BATCH_SIZE``; each group's answers are written and flushed as
soon as they are ready, in the input's order. Memory is bounded per line: a line longer than
``MAX_LINE_BYTES`` is refused (it is never read whole), so a file of any length runs in the same
memory. The first bad line stops the run with its line number; the lines before it are answered
and written first. A byte-order mark before the first line (as Notepad writes) is skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import click

from ..errors import ColnatoError

# Longest line accepted, in bytes: a question of 1000 characters with 100 turns of history of the
# same length fits several times over.
MAX_LINE_BYTES = 1024 * 1024
# Questions encoded and answered together, then written.
BATCH_SIZE = 32


def read_lines(stream: IO[bytes], path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of every non-blank line, split on ``\\n`` only; a line over
    ``MAX_LINE_BYTES`` or not UTF-8 stops with an error naming it."""
    number = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            raise click.ClickException(
                f"{path}, line {number}: longer than {MAX_LINE_BYTES} bytes, the limit of a batch line "
                "(one question and its history); shorten it or split the history.")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise click.ClickException(f"{path}, line {number}: not UTF-8 text ({exc.reason} at byte {exc.start}).") from None
        if number == 1:
            text = text.removeprefix("\ufeff")   # a UTF-8 byte-order mark, as some editors write
        if text.strip():
            yield number, text


def parse_line(path: Path, number: int, line: str, settings: Any) -> dict:
    """The request object of one batch line, checked against ``AskRequest``."""
    from ..request import AskRequest

    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"{path}, line {number}: not valid JSON ({exc.msg} at column {exc.colno}).") from None
    except RecursionError:
        raise click.ClickException(f"{path}, line {number}: JSON nested too deeply.") from None
    if not isinstance(obj, dict):
        raise click.ClickException(f"{path}, line {number}: expected a JSON object with a \"question\" field.")
    if "question" not in obj:
        raise click.ClickException(f"{path}, line {number}: missing the \"question\" field.")
    try:
        AskRequest.parse(obj["question"], obj.get("history"), max_question_chars=settings.max_question_chars,
                         max_history_turns=settings.max_history_turns)
    except ColnatoError as exc:
        raise click.ClickException(f"{path}, line {number}: {exc}") from None
    return obj


def read_batches(stream: IO[bytes], path: Path, settings: Any, size: int = BATCH_SIZE) -> Iterator[list[dict]]:
    """The file's requests, checked, in groups of ``size``. At a bad line the requests before it are yielded
    first, then its error is raised: nothing read before a bad line is lost."""
    group: list[dict] = []
    try:
        for number, line in read_lines(stream, path):
            group.append(parse_line(path, number, line, settings))
            if len(group) == size:
                yield group
                group = []
    except click.ClickException:
        if group:
            yield group
        raise
    if group:
        yield group


def answer_batches(engine: Any, batches: Iterator[list[dict]], out: IO[str]) -> int:
    """Answer each group and write its answers (the request's other fields, then the answer's),
    flushed, in order; the number of answers written."""
    written = 0
    try:
        for group in batches:
            answers = engine.ask_many([(item["question"], item.get("history")) for item in group])
            for item, answer in zip(group, answers):
                record = {k: v for k, v in item.items() if k not in ("question", "history")}
                record.update(answer.to_dict())
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
            out.flush()
            written += len(group)
    except click.ClickException as exc:       # a bad line further on
        if written:
            exc.message += (" The answer to the line before it was written." if written == 1 else
                            f" The {written} answers to the lines before it were written.")
        raise
    return written
