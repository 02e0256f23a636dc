"""Load test of the real server: 500 requests from 32 concurrent clients on loopback.

The server is ``python app.py`` in a subprocess on 127.0.0.1 and a free port. Every request must be answered with 200 (no errors, none lost),
and /healthz must keep answering within 2 s while the load runs. Bounded in requests (500)
and time (a 120 s cap on the load).
"""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest

from .web_fixtures import running_server

REQUESTS = 500
CLIENTS = 32
HEALTH_LIMIT_S = 2.0
LOAD_CAP_S = 120.0

QUESTIONS = [
    "When was it announced that Colombia would become a NATO global partner?",
    "What is the ITPP?",
    "When was the Agreement on Cooperation and Security of Information signed?",
    "Which president led the official push for NATO collaboration?",
    "What was the pink tide?",
    "Is Colombia obliged to defend NATO member states?",
    "What benefits did the global partner status bring?",
    "Which areas does the partnership focus on?",
    "Why did Santos want closer ties with NATO?",
    "What is the capital of France?",
    "Who wrote the article?",
    "What expertise does Colombia share with NATO?",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The real server (``python app.py``) on a free loopback port, stopped after the module."""
    with running_server(tmp_path_factory.mktemp("load")) as srv:
        yield srv.url


async def _load(url: str) -> dict:
    """REQUESTS requests from CLIENTS closed-loop clients; every question distinct (no cache help)."""
    questions = [f"{QUESTIONS[i % len(QUESTIONS)].rstrip('?')} (request {i})?" for i in range(REQUESTS)]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(REQUESTS):
        queue.put_nowait(i)
    results: dict[int, tuple[int, str]] = {}
    failures: list[str] = []
    deadline = time.monotonic() + LOAD_CAP_S
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=url, timeout=60.0, limits=limits) as client:
        async def worker() -> None:
            while time.monotonic() < deadline:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                try:
                    r = await client.post("/api/ask", json={"question": questions[i]})
                    results[i] = (r.status_code, r.json().get("question", "") if r.status_code == 200 else r.text[:200])
                except (httpx.HTTPError, ValueError) as exc:
                    failures.append(f"request {i}: {type(exc).__name__}: {exc}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CLIENTS)))
        wall = time.perf_counter() - started
    return {"results": results, "failures": failures, "wall": wall, "questions": questions}


@pytest.mark.slow
def test_500_requests_from_32_clients(server):
    health_times: list[float] = []
    health_errors: list[str] = []
    stop = threading.Event()

    def watch_health() -> None:
        with httpx.Client(timeout=10.0) as client:
            while not stop.is_set():
                t = time.perf_counter()
                try:
                    r = client.get(f"{server}/healthz")
                    if r.status_code != 200:
                        health_errors.append(f"status {r.status_code}")
                except httpx.HTTPError as exc:
                    health_errors.append(f"{type(exc).__name__}: {exc}")
                health_times.append(time.perf_counter() - t)
                stop.wait(0.25)

    watcher = threading.Thread(target=watch_health, daemon=True)
    watcher.start()
    try:
        out = asyncio.run(_load(server))
    finally:
        stop.set()
        watcher.join(timeout=15)

    results, failures = out["results"], out["failures"]
    statuses: dict[int, int] = {}
    for status, _ in results.values():
        statuses[status] = statuses.get(status, 0) + 1
    assert not failures, failures[:5]
    assert len(results) == REQUESTS, f"lost requests: {REQUESTS - len(results)} (hit the {LOAD_CAP_S}s cap?)"
    assert statuses == {200: REQUESTS}, statuses
    # Each answer belongs to its own request (no cross-talk between concurrent requests).
    for i, (_, question) in results.items():
        assert question == out["questions"][i]
    assert health_times, "the health watcher never ran"
    assert not health_errors, health_errors[:5]
    assert max(health_times) < HEALTH_LIMIT_S, f"/healthz took {max(health_times):.2f}s under load"
    print(f"\n{REQUESTS} requests, {CLIENTS} clients: {out['wall']:.1f}s, {REQUESTS / out['wall']:.0f} req/s; "
          f"/healthz max {max(health_times) * 1000:.0f} ms over {len(health_times)} probes")
