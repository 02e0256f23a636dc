"""Item 1 of issue 18: what one session can make the server hold.

A loop of ``POST /gradio_api/queue/join`` (one session, the question box's submit, a 90-character
question) that never opens the session's event stream: once ``chat_max_unread_events`` events
are unread, further joins get 429, and 10,000 joins add at most 50 MB to the server's RSS (the
loop stops early, and fails, as soon as they add more). A session nobody reads is dropped from the
queue after ``chat_unread_deadline_s`` (slow). Bounded loops on 127.0.0.1."""

from __future__ import annotations

import time

import httpx
import pytest

from colnato_qa.settings import default_of
from tests.security.conftest import new_session
from tests.security.tools import LogMark, rss_mb

JOINS = 10_000
RSS_BUDGET_MB = 50.0
LOOP_LIMIT_S = 300.0
QUESTION = "When was it announced that Colombia would become a NATO global partner, and by whom was it said?"[:90]


def join(client: httpx.Client, chat, session: str) -> httpx.Response:
    return client.post("/gradio_api/queue/join", json={"data": [QUESTION, None, None], "fn_index": chat.submit_fn,
                                                       "trigger_id": chat.box, "session_hash": session})


def test_unread_joins_are_capped_and_hold_at_most_50_mb(target, chat):
    mark = LogMark(target.server)
    session = new_session()
    before = rss_mb(target.server)
    counts: dict[int, int] = {}
    peak = before
    started = time.monotonic()
    with httpx.Client(base_url=target.url, timeout=30) as client:
        for n in range(1, JOINS + 1):
            status = join(client, chat, session).status_code
            counts[status] = counts.get(status, 0) + 1
            if n % 200 == 0:
                peak = max(peak, rss_mb(target.server))
                if peak - before > RSS_BUDGET_MB or time.monotonic() - started > LOOP_LIMIT_S:
                    break
        time.sleep(2)       # the accepted events finish
        peak = max(peak, rss_mb(target.server))
        health = client.get("/healthz").status_code
    print(f"\n{n} unread joins in {time.monotonic() - started:.0f} s: {counts}; RSS {before:.0f} -> {peak:.0f} MB "
          f"(+{peak - before:.1f} MB)")
    assert n == JOINS, f"stopped after {n} joins: RSS +{peak - before:.0f} MB"
    assert counts.get(200) == default_of("chat_max_unread_events")
    assert counts.get(429) == JOINS - default_of("chat_max_unread_events")
    assert peak - before <= RSS_BUDGET_MB
    assert health == 200
    assert mark.tracebacks() == []


def test_reading_the_stream_lets_the_session_ask_again(target, chat):
    session = new_session()
    with httpx.Client(base_url=target.url, timeout=60) as client:
        for _ in range(default_of("chat_max_unread_events")):
            assert join(client, chat, session).status_code == 200
        refused = join(client, chat, session)
        assert refused.status_code == 429 and refused.headers.get("retry-after")
        # the page reads its stream: every answer arrives, and the session may ask again
        completed = 0
        with client.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as stream:
            for line in stream.iter_lines():
                if line.startswith("data:") and '"process_completed"' in line:
                    completed += 1
    assert completed == default_of("chat_max_unread_events")
    assert chat.ask(session, "When was it signed?")


@pytest.mark.slow
def test_a_session_nobody_reads_is_dropped_after_the_deadline(target, chat):
    mark = LogMark(target.server)
    session = new_session()
    with httpx.Client(base_url=target.url, timeout=30) as client:
        for _ in range(3):
            assert join(client, chat, session).status_code == 200
        time.sleep(default_of("chat_unread_deadline_s") + 2 * default_of("chat_unread_sweep_s"))
        stream = client.get("/gradio_api/queue/data", params={"session_hash": session})
        again = join(client, chat, session)
    assert stream.status_code == 404          # nothing is held for it any more
    assert again.status_code == 200
    assert mark.tracebacks() == []
