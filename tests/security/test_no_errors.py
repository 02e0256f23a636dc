"""Item 5 of issue 10: no unauthenticated request gets a 500 or writes a traceback, no error
shows the server's internals, and the Host header is checked (the DNS-rebinding path)."""

from __future__ import annotations

import socket
import time

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from colnato_qa.settings import default_of
from tests.security.conftest import new_session
from tests.security.tools import ADDRESS_REPR, LogMark, page_events, raw_request
from tests.web_fixtures import queue_event

PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None,
                    derandomize=True)


@pytest.fixture(scope="module")
def http(target):
    with httpx.Client(base_url=target.url, timeout=20) as client:
        yield client


def check(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.request.method, response.request.url, response.text[:300])
    assert not ADDRESS_REPR.search(response.text), response.text[:300]
    assert "Traceback" not in response.text


# -- the cases ------------------------------------------------------------------------------
def test_queue_data_for_an_unknown_session_is_a_clean_404(target, http):
    mark = LogMark(target.server)
    for session in ("nosuch", "x" * 64, "../etc", ""):
        response = http.get("/gradio_api/queue/data", params={"session_hash": session})
        check(response)
        assert response.status_code == 404
    assert mark.tracebacks() == [] and mark.since().count("\n") < 4


def test_a_like_without_value_is_not_a_500(target, chat, http):
    mark = LogMark(target.server)
    session = new_session()
    chat.ask(session, "Who wrote the article?")
    for event_data in ({"index": 1, "liked": True}, {"index": 1}):
        response = http.post("/gradio_api/queue/join", json={
            "data": [None, None], "fn_index": chat.like_fn, "trigger_id": chat.chatbot, "session_hash": session,
            "event_data": event_data})
        check(response)
        assert response.status_code == 422 and "value" in response.text
    done = queue_event(target.url, session, chat.like_fn, [None, None], trigger_id=chat.chatbot,
                       event_data={"index": 1, "value": None, "liked": True})
    assert done.get("success") is True
    assert mark.tracebacks() == []


def test_errors_show_no_internals(target, http):
    # Events with shapes the gate lets through but no page sends: every outcome is clean.
    mark = LogMark(target.server)
    _, events = page_events(target.url)
    for event in events:
        for value in ("", " ", "\x00", "\ud7ff" * 10, None):
            data = [value] + [None] * (len(event.inputs) - 1) if event.inputs else []
            done = queue_event(target.url, new_session(), event.fn_index, data, trigger_id=event.trigger_id,
                               event_data={"index": -1, "value": None, "liked": "x"})
            assert not ADDRESS_REPR.search(str(done)) and "Traceback" not in str(done), done
    assert mark.tracebacks() == []


# -- hostile requests, by hand and generated ----------------------------------------------------------------
HOSTILE = [
    ("GET", "/gradio_api/queue/data", {}),
    ("GET", "/gradio_api/heartbeat/", {}),
    ("GET", "/gradio_api/heartbeat/" + "a" * 100, {}),
    ("POST", "/gradio_api/queue/join", {"content": b"{"}),
    ("POST", "/gradio_api/queue/join", {"content": b"[" * 50_000}),
    ("POST", "/gradio_api/queue/join", {"content": b"\xff\xfe"}),
    ("POST", "/gradio_api/queue/join", {"json": {"data": ["q", None], "fn_index": 9999, "session_hash": "a"}}),
    ("POST", "/gradio_api/queue/join", {"json": {"data": ["q", None], "fn_index": -1, "session_hash": "a"}}),
    ("POST", "/gradio_api/queue/join", {"json": {"data": ["q"], "fn_index": 0, "session_hash": "a"}}),
    ("POST", "/gradio_api/queue/join", {"json": {"data": ["q", None], "fn_index": 0, "trigger_id": 999,
                                                 "session_hash": "a"}}),
    ("POST", "/gradio_api/queue/join", {"json": {"data": ["q", None], "fn_index": 0, "session_hash": "a" * 65}}),
    ("POST", "/gradio_api/queue/join", {"json": {"data": ["q", None], "fn_index": 0}}),
    ("POST", "/gradio_api/queue/join", {"json": {"data": ["q", None], "fn_index": 0, "session_hash": "a",
                                                 "batched": True}}),
    ("POST", "/gradio_api/queue/join", {"json": {"data": ["q", None], "fn_index": 0, "session_hash": "a",
                                                 "event_data": {"a": {"b": 1}}}}),
    ("POST", "/gradio_api/cancel", {"json": {"session_hash": "a", "fn_index": 0, "event_id": "x"}}),
    ("POST", "/gradio_api/reset", {"json": {"session_hash": "a", "fn_index": 0}}),
    ("GET", "/gradio_api/queue/status", {}),
    ("GET", "/gradio_api/startup-events", {}),
    ("GET", "/gradio_api/openapi.json", {}),
    ("GET", "/config?deep_link=../../etc", {}),
    ("GET", "/gradio_api/info?all_endpoints=true", {}),
    ("PUT", "/", {}),
    ("DELETE", "/config", {}),
    ("OPTIONS", "/gradio_api/queue/join", {"headers": {"Origin": "https://evil.example",
                                                       "Access-Control-Request-Method": "POST"}}),
    ("GET", "/" + "a" * 8000, {}),
    ("GET", "/%00", {}),
    ("GET", "/static/%ff", {}),
    ("POST", "/api/ask", {"content": b'{"question": "x"}', "headers": {"Content-Type": "application/json",
                                                                       "Content-Encoding": "br"}}),
]


@pytest.mark.parametrize("method, path, kwargs", HOSTILE, ids=[f"{m} {p[:40]}" for m, p, _ in HOSTILE])
def test_hostile_requests_get_4xx_without_traceback(target, http, method, path, kwargs):
    mark = LogMark(target.server)
    check(http.request(method, path, **kwargs))
    assert mark.tracebacks() == []


def test_malformed_request_heads_get_400_without_traceback(target):
    mark = LogMark(target.server)
    heads = ["GET / HTTP/1.1", "GET /\x00 HTTP/1.1\r\nHost: 127.0.0.1", "BREW / HTTP/1.1\r\nHost: 127.0.0.1",
             "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked",
             "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1"]
    for head in heads:
        response = raw_request(target.port, head, timeout_s=2)
        assert response.status is None or 400 <= response.status < 500, (head[:60], response.head)
    assert mark.tracebacks() == []


def test_an_over_long_request_head_is_refused(target):
    with socket.create_connection(("127.0.0.1", target.port), timeout=5) as sock:
        big = b"a" * (default_of("server_max_header_bytes") + 100)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + big)
        time.sleep(0.3)                                  # the server holds an incomplete head over the limit
        try:
            sock.sendall(b"\r\n\r\n")
            answer = sock.recv(4096)
        except OSError:
            answer = b""
    assert answer == b"" or answer.startswith(b"HTTP/1.1 400"), answer[:100]


@given(path=st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=60),
       method=st.sampled_from(["GET", "POST", "HEAD", "PUT", "OPTIONS"]),
       body=st.binary(max_size=200))
@PROPERTY
def test_random_requests_get_no_500(target, http, path, method, body):
    mark = LogMark(target.server)
    response = http.request(method, "/" + path.lstrip("/"), content=body if method in ("POST", "PUT") else None)
    check(response)
    assert mark.tracebacks() == []


SCALAR = st.none() | st.booleans() | st.integers() | st.text(max_size=20)


@given(data=st.lists(st.none() | st.text(max_size=50), max_size=3), fn_index=st.integers(-2, 12),
       trigger=st.none() | st.integers(-1, 20),
       event_data=st.none() | st.dictionaries(st.sampled_from(["index", "value", "liked", "x"]),
                                              SCALAR | st.lists(SCALAR, max_size=3), max_size=4))
@PROPERTY
def test_random_events_get_no_500(target, http, data, fn_index, trigger, event_data):
    mark = LogMark(target.server)
    body = {"data": data, "fn_index": fn_index, "session_hash": new_session(), "event_data": event_data}
    if trigger is not None:
        body["trigger_id"] = trigger
    response = http.post("/gradio_api/queue/join", json=body)
    check(response)
    if response.status_code == 200:
        done = queue_event(target.url, body["session_hash"], fn_index, data, trigger_id=trigger, event_data=event_data)
        assert not ADDRESS_REPR.search(str(done))
    assert mark.tracebacks() == []


# -- the Host header -------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/config", "/healthz", "/gradio_api/info", "/theme.css", "/api/embed-check"])
def test_a_foreign_host_is_refused(target, http, path):
    response = http.get(path, headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert "evil.example" not in response.text
    response = http.post("/api/ask", json={"question": "Who wrote the article?"}, headers={"Host": "evil.example"})
    assert response.status_code == 400


def test_the_bind_address_and_localhost_are_served(target, http):
    for host in (f"127.0.0.1:{target.port}", f"localhost:{target.port}", "localhost", "127.0.0.1"):
        response = http.get("/config", headers={"Host": host})
        assert response.status_code == 200, host
        assert "evil.example" not in response.text


def test_a_request_without_host_is_refused(target):
    response = raw_request(target.port, "GET /config HTTP/1.0", timeout_s=5)
    assert response.status == 400


@pytest.mark.slow     # starts a second server
def test_the_allowed_hosts_setting_replaces_the_default(configured):
    with httpx.Client(base_url=configured.server.url, timeout=10) as client:
        assert client.get("/config", headers={"Host": "chat.news.example"}).status_code == 200
        assert client.get("/healthz", headers={"Host": "a.cdn.example:443"}).status_code == 200
        assert client.get("/config", headers={"Host": "localhost"}).status_code == 400    # not listed
        assert client.get("/config", headers={"Host": "evil.example"}).status_code == 400
