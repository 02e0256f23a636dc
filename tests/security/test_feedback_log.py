"""Item 3 of issue 10: the feedback log cannot fill the disk.

Against the running server (feedback log rotated at 16 KiB, 2 backups): only answered turns
are logged, each entry is capped, every entry is one ASCII line whatever a line reader takes
for a line break, the files stay within ``max_bytes * (backups + 1)``, and by default the log
lives outside the source tree."""

from __future__ import annotations

import json
import time

import pytest

from colnato_qa.web.feedback import MAX_FIELD_CHARS, FeedbackLog, FeedbackRecord, encode_record
from tests.security.conftest import FEEDBACK_BACKUPS, FEEDBACK_MAX_BYTES, new_session
from tests.web_fixtures import REPO_ROOT, component_id, event_index, page_config, queue_event

SEPARATORS = "\u2028\u2029\u0085\x1c\x1d\x1e\x0b\x0c"
# The largest entry: every text field at the cap, each character escaped as \\uXXXX (6 bytes).
MAX_ENTRY_BYTES = 3 * MAX_FIELD_CHARS * 6 + 1024


def log_files(target) -> list:
    return sorted(target.feedback.parent.glob(target.feedback.name + "*"))


def log_bytes(target) -> int:
    return sum(f.stat().st_size for f in log_files(target))


def records(target) -> list[dict]:
    return FeedbackLog(target.feedback, max_bytes=FEEDBACK_MAX_BYTES, backups=FEEDBACK_BACKUPS).read()


def test_likes_on_an_over_long_question_write_nothing(target, chat):
    session = new_session()
    chat.ask(session, "why " * 15_000)                       # refused: over the question limit
    chat.ask(session, "When\x00 was it signed?")            # refused: a NUL
    before = log_bytes(target)
    for index in (1, 3):
        for _ in range(10):
            assert chat.like(session, index).get("success")
    assert log_bytes(target) == before


def test_ten_likes_on_an_answer_write_ten_bounded_lines(target, chat):
    session = new_session()
    chat.ask(session, "Who wrote the article?")
    before_records = len(records(target))
    before = log_bytes(target)
    for _ in range(10):
        assert chat.like(session, 1).get("success")
    deadline = time.monotonic() + 5
    while len(records(target)) < before_records + 10 and time.monotonic() < deadline:
        time.sleep(0.05)
    written = log_bytes(target) - before
    print(f"\n10 likes wrote {written} bytes")
    assert len(records(target)) == before_records + 10
    assert 0 < written <= 10 * MAX_ENTRY_BYTES


def test_a_like_with_junk_is_not_an_error_and_one_without_its_keys_is_refused(target, chat):
    session = new_session()
    chat.ask(session, "Who wrote the article?")
    for event_data in ({"index": "x", "liked": "maybe", "value": None}, {"index": [1, 2, 3], "liked": True, "value": 1},
                       {"index": 10**9, "liked": False, "value": "x"}):
        done = queue_event(target.url, session, chat.like_fn, [None, None], trigger_id=chat.chatbot,
                           event_data=event_data)
        assert done.get("success") is True, (event_data, done)
    for event_data in ({"index": 1}, {}, {"index": 1, "liked": True}):
        response = chat.client.post(f"{target.url}/gradio_api/queue/join", json={
            "data": [None, None], "fn_index": chat.like_fn, "trigger_id": chat.chatbot, "session_hash": session,
            "event_data": event_data})
        assert response.status_code == 422 and "index, value, liked" in response.text, (event_data, response.text)


def test_every_entry_is_one_ascii_line(target, chat):
    session = new_session()
    chat.ask(session, f"Who{SEPARATORS[:2]} wrote the article?")     # line separators in the question
    assert chat.like(session, 1).get("success")
    for path in log_files(target):
        data = path.read_bytes()
        assert data.isascii()
        text = data.decode("ascii")
        # str.splitlines breaks at U+2028, U+2029, U+0085, ...: it must see exactly one line per entry
        assert text.splitlines() == text.split("\n")[:-1]
        assert all(json.loads(line) for line in text.splitlines())


def test_unit_entries_escape_separators_and_are_capped():
    record = FeedbackRecord(timestamp=FeedbackRecord.now(), question=f"q{SEPARATORS}" * 1000,
                            answer="a" * 50_000, liked=True, abstained=False, interpreted_as="\u2028" * 5000)
    line = encode_record(record)
    assert line.isascii() and len(line.splitlines()) == 1
    data = json.loads(line)
    assert all(len(data[k]) <= MAX_FIELD_CHARS for k in ("question", "answer", "interpreted_as"))
    assert len(line) <= MAX_ENTRY_BYTES


def test_the_log_is_rotated_at_its_size(target, chat):
    session = new_session()
    chat.ask(session, "When was it announced that Colombia would become a NATO global partner?")
    entry = len(encode_record(FeedbackRecord(timestamp=FeedbackRecord.now(), question="q" * 80, answer="a" * 200,
                                             liked=True, abstained=False)))
    likes = (FEEDBACK_BACKUPS + 2) * FEEDBACK_MAX_BYTES // entry + 10     # enough to go round every file
    for i in range(likes):
        chat.like(session, 1, liked=bool(i % 2))
    files = log_files(target)
    sizes = [f.stat().st_size for f in files]
    print(f"\n{likes} likes: {len(files)} files, {sum(sizes)} bytes (bound {FEEDBACK_MAX_BYTES * (FEEDBACK_BACKUPS + 1)})")
    assert len(files) == FEEDBACK_BACKUPS + 1
    assert all(size <= FEEDBACK_MAX_BYTES for size in sizes)
    assert sum(sizes) <= FEEDBACK_MAX_BYTES * (FEEDBACK_BACKUPS + 1)


@pytest.mark.slow     # starts a second server
def test_by_default_the_log_is_outside_the_source_tree(configured):
    server = configured.server
    in_checkout = sorted(p.name for p in REPO_ROOT.iterdir())
    config = page_config(server.url)
    box, chatbot = component_id(config, "colnato-question"), component_id(config, "colnato-chat")
    session = new_session()
    done = queue_event(server.url, session, event_index(config, box, "submit"), ["Who wrote the article?", None, None],
                       trigger_id=box)
    assert done.get("success")
    done = queue_event(server.url, session, event_index(config, chatbot, "like"), [None, None], trigger_id=chatbot,
                       event_data={"index": 1, "liked": True, "value": None})
    assert done.get("success")
    written = list(configured.state_home.rglob("feedback.jsonl"))
    assert written == [configured.state_home / "colnato-qa" / "feedback.jsonl"]
    assert len(FeedbackLog(written[0]).read()) == 1
    assert sorted(p.name for p in REPO_ROOT.iterdir()) == in_checkout
