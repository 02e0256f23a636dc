"""Items 3 and 5 of issue 18: request heads h11 accepts but the server must not.

* A request head larger than ``server_max_header_bytes`` sent complete in one write (h11 bounds
  only heads still incomplete) gets 431 and a closed connection, and holds no memory.
* A head with both ``Content-Length`` and ``Transfer-Encoding`` gets 400 and a closed connection:
  nothing after it is served as a second request (request smuggling).
* A head with bare-LF line endings gets 400 and a closed connection, also when it is the second
  of two pipelined requests.

The refusals come from the server's HTTP protocol (``connections.StrictHeadProtocol``, uvicorn's
h11 implementation), before any route or middleware runs. Raw sockets on 127.0.0.1, bounded."""

from __future__ import annotations

import re
import socket
import time

import pytest

from colnato_qa.settings import default_of
from tests.security.tools import LogMark, rss_mb

READ_TIMEOUT_S = 5.0


def exchange(port: int, data: bytes, timeout_s: float = READ_TIMEOUT_S) -> tuple[bytes, bool]:
    """Send ``data`` in one write; everything the server sends back, and whether it closed the
    connection within ``timeout_s``."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
        sock.sendall(data)
        received = b""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                return received, False
            except ConnectionResetError:
                return received, True
            if not chunk:
                return received, True
            received += chunk
        return received, False


def statuses(received: bytes) -> list[int]:
    return [int(s) for s in re.findall(rb"HTTP/1\.1 (\d{3}) ", received)]


def test_a_large_head_sent_in_one_write_is_refused(target):
    mark = LogMark(target.server)
    before = rss_mb(target.server)
    for size in (16_000, 20_000, 120_000):
        head = (f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{target.port}\r\nX-Big: {'a' * size}\r\n\r\n").encode()
        received, closed = exchange(target.port, head)
        print(f"\n{len(head)}-byte head in one write: {statuses(received)}, closed {closed}")
        if len(head) > default_of("server_max_header_bytes"):
            assert statuses(received) == [431] and closed
        else:
            assert statuses(received) == [200]
    # many such heads held at once hold no memory: each is refused and its connection closed
    socks = []
    try:
        for _ in range(200):
            sock = socket.create_connection(("127.0.0.1", target.port), timeout=5)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 100_000 + b"\r\n")
            socks.append(sock)
        time.sleep(1.0)
        grown = rss_mb(target.server) - before
        closed = sum(1 for s in socks if _closed(s))
    finally:
        for s in socks:
            s.close()
    print(f"200 connections with a 100 kB header: {closed} closed by the server, RSS +{grown:.1f} MB")
    assert closed == 200
    assert grown < 25          # what 200 heads of 100 kB take while being read; none is kept
    assert mark.tracebacks() == []


def _closed(sock: socket.socket) -> bool:
    sock.settimeout(2)
    try:
        while True:
            if not sock.recv(65536):
                return True
    except (socket.timeout, OSError) as exc:
        return not isinstance(exc, socket.timeout)


def test_content_length_with_transfer_encoding_is_refused_and_nothing_after_it_is_served(target):
    smuggled = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{target.port}\r\n\r\n"
    request = (f"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1:{target.port}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(smuggled) + 5}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{smuggled}").encode()
    received, closed = exchange(target.port, request)
    print(f"\nContent-Length + Transfer-Encoding: {statuses(received)}, closed {closed}")
    assert statuses(received) == [400] and closed


@pytest.mark.parametrize("head", [
    "GET /healthz HTTP/1.1\nHost: 127.0.0.1\n\n",
    "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\n\r\n",
    "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: 1\n\n",
])
def test_bare_lf_heads_are_refused(target, head):
    received, closed = exchange(target.port, head.encode())
    assert statuses(received) == [400] and closed, received[:200]


def test_a_bare_lf_head_pipelined_after_a_good_request_is_refused(target):
    good = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{target.port}\r\n\r\n"
    received, closed = exchange(target.port, (good + "GET /healthz HTTP/1.1\nHost: 127.0.0.1\n\n").encode())
    assert statuses(received) == [200, 400] and closed


def test_well_formed_pipelined_requests_and_bodies_with_lf_are_served(target):
    body = b'{"question": "When was it signed?\\n"}\n'
    one = (f"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1:{target.port}\r\nContent-Type: application/json\r\n"
           f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    two = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{target.port}\r\nConnection: close\r\n\r\n".encode()
    received, closed = exchange(target.port, one + two, timeout_s=30)
    assert statuses(received) == [200, 200] and closed
