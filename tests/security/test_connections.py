"""Item 4 of issue 10: the slow-header flood.

2,000 connections on 127.0.0.1 each send a partial request head and add a header line every
2 seconds. /healthz, asked on a new connection 5 times a second, must answer within 1 second
throughout; the server must close the flood's connections once the head deadline passes; and
when the process does run out of descriptors (a server started with a low limit), each refused
connection is logged on one line, not a traceback, at most one line a second. Loops are
bounded in time and count."""

from __future__ import annotations

import re
import resource
import selectors
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from colnato_qa.settings import default_of
from tests.security.tools import LogMark, raw_request
from tests.web_fixtures import running_server

FLOOD_CONNECTIONS = 2000
TRICKLE_EVERY_S = 2.0
FLOOD_S = default_of("server_header_timeout_s") + 4.0       # long enough to see the deadline close them
PROBE_EVERY_S = 0.2
PROBE_TIMEOUT_S = 1.0

pytestmark = pytest.mark.slow


@dataclass
class Flood:
    """Slow-header connections held from a background thread, for ``seconds`` at most."""

    port: int
    connections: int
    seconds: float
    opened: int = 0
    closed_by_server: list[float] = field(default_factory=list)   # seconds after opening
    refused: int = 0                                               # connect() failed
    done: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        selector = selectors.DefaultSelector()
        started_at: dict[socket.socket, float] = {}
        try:
            for _ in range(self.connections):
                try:
                    sock = socket.create_connection(("127.0.0.1", self.port), timeout=2)
                    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                except OSError:
                    self.refused += 1
                    continue
                sock.setblocking(False)
                selector.register(sock, selectors.EVENT_READ)
                started_at[sock] = time.monotonic()
                self.opened += 1
            end = time.monotonic() + self.seconds
            next_trickle = time.monotonic() + TRICKLE_EVERY_S
            while started_at and time.monotonic() < end:
                for key, _ in selector.select(timeout=0.1):
                    sock = key.fileobj
                    try:
                        data = sock.recv(4096)
                    except OSError:
                        data = b""
                    if not data:               # the server closed it
                        self.closed_by_server.append(time.monotonic() - started_at.pop(sock))
                        selector.unregister(sock)
                        sock.close()
                if time.monotonic() >= next_trickle:
                    for sock in list(started_at):
                        try:
                            sock.send(b"X-Slow: 1\r\n")
                        except OSError:
                            pass
                    next_trickle += TRICKLE_EVERY_S
        finally:
            for sock in started_at:
                sock.close()
            selector.close()
            self.done.set()


def probe_health(port: int, seconds: float) -> list[tuple[float, int | None]]:
    """(latency, status) of /healthz on a new connection every PROBE_EVERY_S, for ``seconds``."""
    results = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        response = raw_request(port, f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close",
                               timeout_s=PROBE_TIMEOUT_S + 1)
        results.append((response.seconds, response.status))
        time.sleep(PROBE_EVERY_S)
    return results


def test_healthz_answers_within_a_second_during_a_slow_header_flood(target):
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < FLOOD_CONNECTIONS + 200:
        pytest.skip(f"the test process may open only {soft} files")
    mark = LogMark(target.server)
    flood = Flood(target.port, FLOOD_CONNECTIONS, FLOOD_S)
    thread = threading.Thread(target=flood.run, daemon=True)
    thread.start()
    while flood.opened + flood.refused < FLOOD_CONNECTIONS and thread.is_alive():
        time.sleep(0.05)
    probes = probe_health(target.port, FLOOD_S - 1)
    thread.join(timeout=FLOOD_S + 10)
    latencies = sorted(p[0] for p in probes)
    failures = [p for p in probes if p[1] != 200 or p[0] >= PROBE_TIMEOUT_S]
    closed = sorted(flood.closed_by_server)
    print(f"\nflood: {flood.opened} connections held ({flood.refused} refused); /healthz {len(probes)} probes, "
          f"median {latencies[len(latencies) // 2] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms, "
          f"{len(failures)} over {PROBE_TIMEOUT_S:g} s or not 200; server closed {len(closed)} flood connections "
          f"after {closed[0] if closed else 0:.1f}-{closed[-1] if closed else 0:.1f} s; log +{len(mark.since())} bytes")
    assert flood.opened == FLOOD_CONNECTIONS
    assert len(probes) >= 20 and failures == []
    # the head deadline closed (nearly) every flood connection, none before it
    assert len(closed) >= 0.99 * FLOOD_CONNECTIONS
    assert closed[0] >= default_of("server_header_timeout_s") - 1
    assert mark.tracebacks() == []
    assert len(mark.since()) < 100_000


def test_a_complete_request_is_not_cut_by_the_head_deadline(target):
    # A client that sends its head in time, then waits on a slow answer, keeps its connection.
    response = raw_request(target.port, f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{target.port}", timeout_s=5)
    assert response.status == 200


def test_running_out_of_descriptors_logs_one_line_per_refusal(tmp_path):
    with running_server(tmp_path, max_open_files=1024) as server:
        in_use = len(list(Path(f"/proc/{server.process.pid}/fd").iterdir()))
        mark = LogMark(server)
        flood = Flood(server.port, 1024 - in_use + 200, FLOOD_S)
        thread = threading.Thread(target=flood.run, daemon=True)
        thread.start()
        thread.join(timeout=FLOOD_S + 30)
        # once the deadline has closed the flood, the server answers again
        deadline = time.monotonic() + 10
        while True:
            try:
                if httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not recover after the flood"
            time.sleep(0.2)
        log = mark.since()
    refusals = [line for line in log.splitlines() if "refused connections" in line]
    counted = sum(int(re.search(r"; (\d+) refusals", line).group(1)) for line in refusals)
    print(f"\n{in_use} descriptors in use at rest, limit 1024; flood of {flood.opened + flood.refused} for "
          f"{FLOOD_S:g} s: {counted} refused accepts in {len(refusals)} log lines, log +{len(log)} bytes")
    assert refusals, log[-2000:]
    assert all("Too many open files" in line for line in refusals)
    assert len(refusals) <= FLOOD_S + 15            # at most one line a second
    assert mark.tracebacks() == []
    assert len(log) < 20_000
