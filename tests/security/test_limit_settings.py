"""Item 6 of issue 19: the server's limits are settings, so a replica's whole configuration is one place.

One real server (``python app.py``, as ``running_server`` starts it) is given limits of its own, some in its
config file (``COLNATO_QA_CONFIG``) and some in the environment (``COLNATO_QA_<NAME>``, which wins over the
file), and each limit is seen at work at its new value: the door (body size and time), the HTTP protocol
(request head size and deadline: ``serve()`` to uvicorn) and the chat's gate (unread events). Raw sockets and
bounded loops on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from colnato_qa.settings import DEFAULT_CONFIG_PATH, default_of
from tests.security.conftest import new_session
from tests.security.tools import chunked, post_head, raw_request, repeated
from tests.web_fixtures import RunningServer, component_id, event_index, page_config, running_server

# In the config file (beside the project's own settings: the same engine).
FILE_LIMITS = {"server_max_header_bytes": 4096, "chat_max_unread_events": 2, "max_body_bytes": 100_000}
# In the environment: these win over the file (max_body_bytes is in both).
ENV_LIMITS = {"max_body_bytes": 4096, "chat_conversation_max_bytes": 2048, "body_read_timeout_s": 2,
              "server_header_timeout_s": 2}
QUESTION = "When was the ITPP signed?"


@dataclass
class Limited:
    server: RunningServer
    submit_fn: int
    box: int


@pytest.fixture(scope="module")
def limited(tmp_path_factory) -> Iterator[Limited]:
    tmp = tmp_path_factory.mktemp("limited")
    config = json.loads(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    config.update(FILE_LIMITS)
    (tmp / "config.json").write_text(json.dumps(config), encoding="utf-8")
    env = {"COLNATO_QA_CONFIG": str(tmp / "config.json"),
           **{f"COLNATO_QA_{name.upper()}": str(value) for name, value in ENV_LIMITS.items()}}
    for name, value in {**FILE_LIMITS, **ENV_LIMITS}.items():
        assert value != default_of(name), name          # each one shows a change
    with running_server(tmp, env) as server:
        page = page_config(server.url)
        box = component_id(page, "colnato-question")
        yield Limited(server, event_index(page, box, "submit"), box)


def test_the_body_limit_comes_from_the_environment_over_the_file(limited):
    port = limited.server.port
    for path in ("/api/ask", "/gradio_api/queue/join", "/healthz"):
        declared = raw_request(port, post_head(path, port, 4097), repeated(b"z", 4097))
        assert declared.status == 413 and b"larger than 4096 bytes" in declared.body, (path, declared.head)
    cut = raw_request(port, post_head("/api/ask", port, None), chunked([b'{"question": "', b"x" * 5000, b'"}']))
    assert cut.status == 413 and b"larger than 4096 bytes" in cut.body
    under = httpx.post(f"{limited.server.url}/api/ask", json={"question": "x" * 3000}, timeout=30)
    assert under.status_code == 422 and "the limit is 1000" in under.json()["detail"]   # read whole, then checked


def test_the_body_deadline_comes_from_the_environment(limited):
    def trickle() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(40):                     # 20 s at most: far past both the 2 s setting and the 10 s default
            time.sleep(0.5)
            yield b"x"

    response = raw_request(limited.server.port, post_head("/api/ask", limited.server.port, 1000), trickle(),
                           timeout_s=20)
    assert response.status == 408 and b"within 2 seconds" in response.body
    assert response.seconds < default_of("body_read_timeout_s")


def exchange(port: int, data: bytes, timeout_s: float = 5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
            if b"\r\n\r\n" in received:
                break
        return received


def test_the_request_head_size_comes_from_the_config_file(limited):
    port = limited.server.port

    def head(size: int) -> bytes:
        return f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Big: {'a' * size}\r\n\r\n".encode()

    assert exchange(port, head(3000)).startswith(b"HTTP/1.1 200 ")
    assert exchange(port, head(5000)).startswith(b"HTTP/1.1 431 ")      # under the 16 KiB default


def test_the_request_head_deadline_comes_from_the_environment(limited):
    with socket.create_connection(("127.0.0.1", limited.server.port), timeout=15) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")     # a head never finished
        started = time.monotonic()
        try:
            closed = sock.recv(4096) == b""
        except ConnectionResetError:
            closed = True
        waited = time.monotonic() - started
    assert closed and 1.5 <= waited < default_of("server_header_timeout_s") - 5, waited


def test_the_unread_events_limit_comes_from_the_config_file(limited):
    session = new_session()
    body = {"data": [QUESTION, None, None], "fn_index": limited.submit_fn, "trigger_id": limited.box,
            "session_hash": session}
    with httpx.Client(base_url=limited.server.url, timeout=30) as client:
        statuses = [client.post("/gradio_api/queue/join", json=body).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
