"""Hostile requests to the HTTP API (in-process, FastAPI TestClient on the real app): only 200
or 4xx, never 500; every 4xx body carries a message; every 200 keeps the answer invariants."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

PROPERTY = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
JSON = {"content-type": "application/json"}
LOCAL = "http://localhost"   # an allowed Host (the default allow-list: localhost names)


@pytest.fixture(scope="module")
def client(engine, tmp_path_factory):
    from fastapi.testclient import TestClient

    from colnato_qa.web.server import create_app

    app = create_app(engine=engine, feedback_path=tmp_path_factory.mktemp("feedback") / "feedback.jsonl")
    with TestClient(app, raise_server_exceptions=False, base_url=LOCAL) as c:
        yield c


def check_response(r) -> None:
    assert r.status_code == 200 or 400 <= r.status_code < 500, (r.status_code, r.text[:500])
    if r.status_code == 200:
        d = r.json()
        assert 0.0 <= d["confidence"] <= 1.0
        assert isinstance(d["abstained"], bool)
        if d["abstained"]:
            assert d["answer"] is None
        else:
            c = d["citations"][0]
            assert c["text"][c["answer_start"]:c["answer_end"]] == d["answer"]
    else:
        body = r.json()
        assert isinstance(body.get("detail"), str) and body["detail"].strip(), r.text[:500]


def post_raw(client, body: bytes, headers=JSON):
    r = client.post("/api/ask", content=body, headers=headers)
    check_response(r)
    return r


# -- hand-picked ----------------------------------------------------------------------------------
@pytest.mark.parametrize("body", [
    b"", b"null", b"true", b"0", b'"When was the ITPP signed?"', b"[]", b"{}", b"{", b"}", b"\xff\xfe\x00",
    b'{"question": null}', b'{"question": 42}', b'{"question": 1e999}', b'{"question": ["a"]}', b'{"question": {}}',
    b'{"question": ""}', b'{"question": "   "}', b'{"question": "\\u0000"}', b'{"question": "a\\u0000b"}',
    b'{"question": "\\ud800"}', b'{"question": "ok?", "history": ["\\ud800"]}', b'{"question": "caf\xe9?"}',
    b'{"question": "hi", "\\ud800": 1}', b'{"question": "hi", "extra": 1}', b'{"Question": "hi"}',
    b'{"question": "When was it signed?", "history": "What is the ITPP?"}',
    b'{"question": "When was it signed?", "history": {"role": "user", "content": "x"}}',
    b'{"question": "When was it signed?", "history": [1, 2]}',
    b'{"question": "When was it signed?", "history": [null]}',
    b'{"question": "When was it signed?", "history": [{"role": "robot", "content": "x"}]}',
    b'{"question": "When was it signed?", "history": [{"role": "user", "content": 5}]}',
    b'{"question": "When was it signed?", "history": [{"role": "user"}]}',
    b'{"question": "When was it signed?", "history": [{"role": "user", "content": "x", "x": 1}]}',
    b'{"question": "When was it signed?", "history": [{"role": "\\ud800", "content": "x"}]}',
    b'{"question": "When was it signed?", "history": [[["What is the ITPP?"]]]}',
    b'{"question": "<script>alert(1)</script>When was the ITPP signed?"}',
    b'{"question": "a", "question": "When was the ITPP signed?"}',
    b"[" * 60_000,
    b"[" * 30_000 + b"]" * 30_000,
    b'{"question": ' + b"[" * 20_000 + b"]" * 20_000 + b"}",
    b'{"question": "x", "history": ' + b"[" * 20_000 + b"]" * 20_000 + b"}",
    b'{"question": "x", "history": [' + b'{"a":' * 10_000 + b"1" + b"}" * 10_000 + b"]}",
    json.dumps({"question": "x" * 1001}).encode(),
    json.dumps({"question": "x" * 60_000}).encode(),
    json.dumps({"question": "x" * 100_000}).encode(),
    json.dumps({"question": "When was the ITPP signed?", "pad": " " * 100_000}).encode(),
], ids=lambda b: repr(b[:24]) + f"[{len(b)}]")
def test_hostile_bodies(client, body):
    post_raw(client, body)


def test_null_byte_and_overlong_are_refused_with_a_reason(client):
    r = post_raw(client, b'{"question": "When\\u0000 signed?"}')
    assert r.status_code == 422 and "control characters" in r.json()["detail"]
    r = post_raw(client, json.dumps({"question": "x" * 2000}).encode())
    assert r.status_code == 422 and "limit" in r.json()["detail"]
    r = post_raw(client, json.dumps({"question": "x" * 100_000}).encode())
    assert r.status_code == 413


def test_history_of_ten_thousand_turns_is_refused_cleanly(client):
    turns = [{"role": "user", "content": "q"}] * 10_000
    r = post_raw(client, json.dumps({"question": "When was it signed?", "history": turns}).encode())
    assert r.status_code in (413, 422)
    short = ["q"] * 10_000  # ~40 KB, under the body limit: refused by the history bound
    body = json.dumps({"question": "When was it signed?", "history": short}, separators=(",", ":")).encode()
    assert len(body) < 64 * 1024
    r = post_raw(client, body)
    assert r.status_code == 422 and "history" in r.json()["detail"]


def test_lying_content_length_and_content_types(client):
    for headers in ({"content-type": "text/plain"}, {"content-type": "application/x-www-form-urlencoded"},
                    {"content-type": "multipart/form-data; boundary=x"}, {"content-type": "application/json; charset=latin-1"},
                    {"content-type": "application/json", "content-length": "999999999"},
                    {"content-type": "application/json", "content-length": "-1"},
                    {"content-type": "application/json", "content-length": "abc"}, {}):
        post_raw(client, b'{"question": "When was the ITPP signed?"}', headers)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_wrong_methods(client, method):
    check_response(client.request(method, "/api/ask"))


def test_html_question_is_answered_as_json(client):
    r = post_raw(client, json.dumps({"question": "<img src=x onerror=alert(1)> When was the ITPP signed?"}).encode())
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")


# -- property-based -------------------------------------------------------------------------------
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=15,
)
TURN = st.one_of(
    st.text(max_size=60),
    st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant"]), "content": st.text(max_size=60)}),
    JSON_VALUES,
)


@given(JSON_VALUES)
@PROPERTY
def test_random_json_bodies(client, body):
    check_response(client.post("/api/ask", json=body))


@given(st.fixed_dictionaries({"question": st.one_of(st.text(max_size=200), JSON_VALUES)},
                             optional={"history": st.one_of(st.lists(TURN, max_size=6), JSON_VALUES)}))
@PROPERTY
def test_random_question_shaped_bodies(client, body):
    check_response(client.post("/api/ask", json=body))


@given(st.text(max_size=300))
@PROPERTY
def test_random_unicode_questions(client, question):
    r = client.post("/api/ask", json={"question": question})
    check_response(r)
    if r.status_code == 200:
        assert r.json()["question"] == " ".join(question.split())


@given(st.binary(max_size=300))
@PROPERTY
def test_random_bytes(client, body):
    post_raw(client, body)


def test_healthz_and_openapi(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    r = client.get("/openapi.json")
    assert r.status_code == 200 and "/api/ask" in r.json()["paths"]
