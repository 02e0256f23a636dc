"""Item 2 of issue 10: every oversized input is refused before any work, on every route, and
the server's memory stays where it was (within 50 MB).

Each attack is the issue's: a 50 MB question, 20 x 10 MB questions in one session, three
12.6 MB bodies of 200,000 messages (while /healthz must keep answering within a second); then
the chat handler's own caps (question length, turns kept per session)."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest

from colnato_qa.settings import default_of
from tests.security.conftest import new_session
from tests.security.tools import MB, LogMark, chunked, post_head, raw_request, repeated, rss_mb

MEMORY_MARGIN_MB = 50
REFUSAL_S = 2.0        # a refusal comes at once: well under the time to send the body


def join_body_prefix(chat, session: str) -> bytes:
    return json.dumps({"fn_index": chat.submit_fn, "trigger_id": chat.box, "session_hash": session})[:-1].encode() \
        + b', "data": ["'


def refused_early(response, total_bytes: int) -> bool:
    """A 413, or (for a chunked body, refused once 64 KiB are in) the connection closed on a
    client still sending: either way long before the body was sent, and at once."""
    answered = response.status == 413
    cut_off = response.status is None and response.bytes_sent < total_bytes // 2
    return (answered or cut_off) and response.seconds < REFUSAL_S


@pytest.fixture
def memory(target):
    """RSS of the server before the test; the test's attack must leave it within the margin."""
    httpx.get(f"{target.url}/healthz", timeout=10)
    before = rss_mb(target.server)
    yield before
    after = rss_mb(target.server)
    print(f"\nserver RSS {before:.0f} MB -> {after:.0f} MB ({after - before:+.1f} MB)")
    assert after - before < MEMORY_MARGIN_MB


def test_a_50_mb_question_is_refused_before_it_is_read(target, chat, memory):
    mark = LogMark(target.server)
    session = new_session()
    size = 50 * MB
    for length in (size, None):          # declared, then chunked (no length to trust)
        body = repeated(b"x", size)
        if length is None:
            body = chunked(body)
        response = raw_request(target.port, post_head("/gradio_api/queue/join", target.port, length),
                               body, timeout_s=30)
        print(f"\n50 MB question ({'declared' if length else 'chunked'}): {response.status} after "
              f"{response.seconds:.2f} s, {response.bytes_sent / MB:.1f} MB sent")
        assert refused_early(response, size), response
        assert response.bytes_sent < 16 * MB, "the server stopped reading long before the end"
    assert mark.tracebacks() == []


def test_twenty_10_mb_questions_in_one_session(target, chat, memory):
    session = new_session()
    prefix = join_body_prefix(chat, session)
    for _ in range(20):
        body = [prefix, *repeated(b"y", 10 * MB), b'", null]}']
        length = sum(len(b) for b in body)
        response = raw_request(target.port, post_head("/gradio_api/queue/join", target.port, length), body)
        assert response.status == 413 and response.seconds < REFUSAL_S and response.bytes_sent == 0


def test_three_bodies_of_200000_messages_do_not_stall_the_server(target, chat, memory):
    messages = [{"role": "user", "content": "hello " * 7}] * 200_000      # 12.6 MB, as in the issue
    body = json.dumps({"data": ["q", messages], "fn_index": chat.submit_fn, "trigger_id": chat.box,
                       "session_hash": new_session()}).encode()
    assert len(body) > 12 * MB
    health: list[float] = []
    stop = threading.Event()

    def probe() -> None:
        with httpx.Client(timeout=5) as client:
            while not stop.is_set():
                started = time.perf_counter()
                assert client.get(f"{target.url}/healthz").status_code == 200
                health.append(time.perf_counter() - started)
                time.sleep(0.05)

    prober = threading.Thread(target=probe, daemon=True)
    prober.start()
    deadline = time.monotonic() + 10
    while not health and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        for route in ("/gradio_api/queue/join", "/gradio_api/call/chat", "/gradio_api/run/predict"):
            response = raw_request(target.port, post_head(route, target.port, len(body)), [body])
            print(f"\n{len(body) / MB:.1f} MB of 200,000 messages to {route}: {response.status} in "
                  f"{response.seconds * 1000:.0f} ms")
            assert response.status in (413, 404) and response.seconds < REFUSAL_S
        time.sleep(0.5)
    finally:
        stop.set()
        prober.join(timeout=10)
    assert len(health) > 3
    print(f"/healthz during the attack: {len(health)} probes, slowest {max(health) * 1000:.0f} ms")
    assert max(health) < 1.0


@pytest.mark.parametrize("path", ["/", "/config", "/healthz", "/api/ask", "/gradio_api/queue/join",
                                  "/gradio_api/upload", "/embed/gradio.js", "/no/such/route"])
def test_every_route_refuses_a_body_over_the_limit(target, path):
    size = default_of("max_body_bytes") + 1
    response = raw_request(target.port, post_head(path, target.port, size), repeated(b"z", size))
    assert response.status == 413, (path, response.head)
    chunked_response = raw_request(target.port, post_head(path, target.port, None),
                                   chunked(repeated(b"z", size, size=4096)))
    assert chunked_response.status in (413, None), (path, chunked_response.head)   # None: reset while sending
    assert chunked_response.seconds < REFUSAL_S


def test_a_body_trickled_slower_than_the_deadline_is_cut_off(target):
    def trickle():
        yield b'{"question": "'
        deadline = time.monotonic() + default_of("body_read_timeout_s") + 5
        while time.monotonic() < deadline:
            time.sleep(0.5)
            yield b"x"

    started = time.monotonic()
    response = raw_request(target.port, post_head("/api/ask", target.port, 1000), trickle(),
                           timeout_s=default_of("body_read_timeout_s") + 10)
    assert response.status == 408
    assert time.monotonic() - started < default_of("body_read_timeout_s") + 3


def test_the_chat_handler_caps_the_question_before_the_engine(target, chat):
    session = new_session()
    question = "why " * 15_000                      # 60,000 characters: under the body limit, over the question limit
    started = time.perf_counter()
    messages = chat.ask(session, question)
    elapsed = time.perf_counter() - started
    assert "limit is 1000" in str(messages[-1]["content"])
    assert len(str(messages[-2]["content"])) < 1000, "the refused question is kept and shown cut short"
    assert elapsed < 2.0


def test_a_session_keeps_a_bounded_conversation(target, chat):
    session = new_session()
    for i in range(default_of("chat_max_turns") + 5):
        messages = chat.ask(session, f"Who wrote the article? ({i})")
    assert len(messages) == 2 * default_of("chat_max_turns")
    assert str(default_of("chat_max_turns") + 4) in str(messages[-2]["content"])
