"""Item 2 of issue 18: connections held through a refusal.

* A request refused by the CORS preflight or the Host check, with a body it never sends whole,
  gets its refusal at once and a closed connection: a huge declared body with 413 (the size
  limit comes before both), a trickled one (declared or chunked) with their 400; an accepted
  request's trickled body is cut off at the body deadline (408), and closed.
* 4,000 such connections, opened at 1,000 a second, trickling a byte every 1.5 s: /healthz, asked on a new connection five
  times a second, answers within 1 s throughout, and the server closes every flood connection,
  well within the body deadline (slow).
* Long-lived streams (the session heartbeat) beyond ``chat_max_streams_per_client`` per client
  get 429, so that they cannot take every connection slot.

Raw sockets on 127.0.0.1; every loop bounded in count and time."""

from __future__ import annotations

import itertools
import resource
import selectors
import socket
import threading
import time
from dataclasses import dataclass, field

import pytest

from colnato_qa.settings import default_of
from tests.security.conftest import new_session
from tests.security.test_connections import probe_health
from tests.security.tools import LogMark, raw_request

ORIGIN = "http://evil.example"
TRICKLE_EVERY_S = 1.5
CLOSE_MARGIN_S = 3.0
FLOOD_CONNECTIONS = 4000
OPEN_RATE = 1000          # connections opened a second (in batches of OPEN_BATCH): 4,000 in 4 s
OPEN_BATCH = 50


def preflight(port: int, length: str) -> str:
    return (f"OPTIONS /api/ask HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: {ORIGIN}\r\n"
            f"Access-Control-Request-Method: POST\r\n{length}")


def foreign_host(port: int, length: str) -> str:
    return f"POST /api/ask HTTP/1.1\r\nHost: evil.example:{port}\r\nContent-Type: application/json\r\n{length}"


def trickle(seconds: float):
    """One body byte every TRICKLE_EVERY_S, for ``seconds`` at most."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        yield b"x"
        time.sleep(TRICKLE_EVERY_S)


@pytest.mark.parametrize("request_head", [preflight, foreign_host], ids=["preflight", "foreign-host"])
def test_a_huge_declared_body_is_refused_at_once_and_the_connection_closed(target, request_head):
    response = raw_request(target.port, request_head(target.port, "Content-Length: 100000000"), trickle(5),
                           timeout_s=5)
    assert response.status == 413 and "connection: close" in response.head.lower()
    assert response.seconds < 1


def accepted(port: int, length: str) -> str:
    return f"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n{length}"


@pytest.mark.parametrize("length", ["Content-Length: 1000", "Transfer-Encoding: chunked"])
@pytest.mark.parametrize("request_head", [preflight, foreign_host, accepted])
def test_a_trickled_body_never_holds_the_connection(target, request_head, length):
    """Refused requests are answered at once and closed, their body unread; an accepted one is
    cut off at the body deadline (408) and closed."""
    mark = LogMark(target.server)
    budget = default_of("body_read_timeout_s") + CLOSE_MARGIN_S
    body = trickle(budget + 5)
    if "chunked" in length:
        body = itertools.chain([b"3e8\r\n"], body)      # a 1000-byte chunk, trickled
    response = raw_request(target.port, request_head(target.port, length), body, timeout_s=budget + 5)
    print(f"\n{request_head.__name__} with {length}, trickled: {response.status} after {response.seconds:.1f} s")
    assert "connection: close" in response.head.lower()
    if request_head is accepted:
        assert response.status == 408 and response.seconds < budget
    else:
        assert response.status == 400 and response.seconds < 1
    assert mark.tracebacks() == []


@dataclass
class TrickleFlood:
    """``connections`` refused requests, each sending a body byte every TRICKLE_EVERY_S, for
    ``seconds`` at most; records when the server closed each."""

    port: int
    connections: int
    seconds: float
    opened: int = 0
    refused: int = 0
    closed_after: list[float] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        selector = selectors.DefaultSelector()
        opened_at: dict[socket.socket, float] = {}
        try:
            for n in range(self.connections):
                if n % OPEN_BATCH == 0 and n:
                    time.sleep(OPEN_BATCH / OPEN_RATE)
                head = (preflight if n % 2 else foreign_host)(self.port, "Content-Length: 1000")
                try:
                    sock = socket.create_connection(("127.0.0.1", self.port), timeout=2)
                    sock.sendall(head.encode() + b"\r\n\r\n")
                except OSError:
                    self.refused += 1
                    continue
                sock.setblocking(False)
                selector.register(sock, selectors.EVENT_READ)
                opened_at[sock] = time.monotonic()
                self.opened += 1
            end = time.monotonic() + self.seconds
            next_trickle = time.monotonic()
            while opened_at and time.monotonic() < end:
                for key, _ in selector.select(timeout=0.1):
                    sock = key.fileobj
                    try:
                        data = sock.recv(4096)
                    except OSError:
                        data = b""
                    if not data:
                        self.closed_after.append(time.monotonic() - opened_at.pop(sock))
                        selector.unregister(sock)
                        sock.close()
                if time.monotonic() >= next_trickle:
                    for sock in list(opened_at):
                        try:
                            sock.send(b"x")
                        except OSError:
                            pass
                    next_trickle += TRICKLE_EVERY_S
        finally:
            for sock in opened_at:
                sock.close()
            selector.close()
            self.done.set()


@pytest.mark.slow
def test_healthz_answers_while_4000_refused_connections_trickle_bytes(target):
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < FLOOD_CONNECTIONS + 200:
        pytest.skip(f"the test process may open only {soft} files")
    mark = LogMark(target.server)
    seconds = default_of("body_read_timeout_s") + 10
    flood = TrickleFlood(target.port, FLOOD_CONNECTIONS, seconds)
    thread = threading.Thread(target=flood.run, daemon=True)
    thread.start()
    time.sleep(0.5)
    probes = probe_health(target.port, default_of("body_read_timeout_s"))   # while the flood opens and trickles
    thread.join(timeout=seconds + 10)
    latencies = sorted(p[0] for p in probes)
    failures = [p for p in probes if p[1] != 200 or p[0] >= 1.0]
    closed = sorted(flood.closed_after)
    print(f"\n{flood.opened} refused connections trickling ({flood.refused} not opened); /healthz {len(probes)} "
          f"probes, median {latencies[len(latencies) // 2] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms, "
          f"{len(failures)} failed; server closed {len(closed)} after {closed[0] if closed else 0:.1f}-"
          f"{closed[-1] if closed else 0:.1f} s")
    assert flood.opened == FLOOD_CONNECTIONS
    assert len(probes) >= 20 and failures == []
    assert len(closed) == FLOOD_CONNECTIONS
    assert closed[-1] < default_of("body_read_timeout_s") + CLOSE_MARGIN_S + 5   # opening 4,000 takes a few seconds
    assert mark.tracebacks() == []


def test_heartbeat_streams_beyond_the_per_client_cap_are_refused(target):
    cap = default_of("chat_max_streams_per_client")
    socks = []
    statuses: list[int | None] = []
    try:
        for _ in range(cap + 5):
            sock = socket.create_connection(("127.0.0.1", target.port), timeout=5)
            sock.sendall(f"GET /gradio_api/heartbeat/{new_session()} HTTP/1.1\r\nHost: 127.0.0.1:{target.port}"
                         "\r\n\r\n".encode())
            first = sock.recv(4096)
            statuses.append(int(first[9:12]) if first.startswith(b"HTTP/1.1 ") else None)
            socks.append(sock)
        after_close = None
        socks.pop(0).close()     # closing one stream frees its place
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            response = raw_request(target.port, f"GET /gradio_api/heartbeat/{new_session()} HTTP/1.1\r\n"
                                                f"Host: 127.0.0.1:{target.port}", timeout_s=1)
            after_close = response.status
            if after_close == 200:
                break
            time.sleep(0.2)
    finally:
        for sock in socks:
            sock.close()
    print(f"\n{cap + 5} heartbeat streams: {statuses.count(200)} opened, {statuses.count(429)} refused (429)")
    assert statuses[:cap] == [200] * cap
    assert statuses[cap:] == [429] * 5
    assert after_close == 200
