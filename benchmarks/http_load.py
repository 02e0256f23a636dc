"""HTTP: /api/ask latency and throughput of the real server at 1, 8 and 32 concurrent clients.

The server is ``uvicorn colnato_qa.web.server:create_app --factory`` in a subprocess on
127.0.0.1 (free port); the clients are asyncio tasks on one ``httpx.AsyncClient`` in this
process, each sending its next request as soon as the previous one is answered (closed loop).
Every request carries a different question, so the answer cache never helps; one extra run
repeats a single question (cache hot). Each level is bounded by a request count and a time cap.

Then a sweep of the server's /api/ask concurrency bound (``limits.API_MAX_CONCURRENT``) at 32
clients, to choose that bound and the Gradio queue's ``default_concurrency_limit`` from data.
Loopback only; all loops bounded in count and time.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from . import log, rss_mb, running_server, summary_ms, varied_questions

LEVELS = (1, 8, 32)


async def _load(url: str, questions: list[str], concurrency: int, time_cap_s: float) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    statuses: dict[str, int] = {}
    errors: list[str] = []
    queue: asyncio.Queue[str] = asyncio.Queue()
    for q in questions:
        queue.put_nowait(q)
    deadline = time.monotonic() + time_cap_s
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(base_url=url, timeout=60.0, limits=limits) as client:
        async def worker() -> None:
            while time.monotonic() < deadline:
                try:
                    q = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                t = time.perf_counter()
                try:
                    r = await client.post("/api/ask", json={"question": q})
                    took = time.perf_counter() - t
                    statuses[str(r.status_code)] = statuses.get(str(r.status_code), 0) + 1
                    if r.status_code == 200:
                        latencies.append(took)
                    else:
                        errors.append(f"{r.status_code}: {r.text[:120]}")
                except httpx.HTTPError as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - started
    done = sum(statuses.values())
    return {
        "concurrency": concurrency,
        "requests_planned": len(questions),
        "responses": done,
        "ok": len(latencies),
        "errors": len(errors),
        "error_samples": errors[:5],
        "statuses": statuses,
        "wall_s": round(wall, 3),
        "throughput_rps": round(len(latencies) / wall, 2) if wall > 0 else None,
        "latency_ms": summary_ms(latencies),
        "hit_time_cap": done < len(questions),
    }


def _levels(url: str, per_level: int, cap: float, start: int) -> list[dict[str, Any]]:
    out = []
    for i, c in enumerate(LEVELS):
        questions = varied_questions(per_level, start=start + i * per_level)
        res = asyncio.run(_load(url, questions, c, cap))
        log(f"http: {c:>2} clients: p50 {res['latency_ms']['p50']} ms, p95 {res['latency_ms']['p95']} ms, "
            f"{res['throughput_rps']} req/s, errors {res['errors']}")
        out.append(res)
    return out


def run(quick: bool = False) -> dict[str, Any]:
    import httpx

    from colnato_qa import QAEngine
    from colnato_qa.web import limits

    QAEngine.build()
    per_level = 60 if quick else 200
    cap = 60.0 if quick else 120.0
    result: dict[str, Any] = {"per_level": per_level, "time_cap_s": cap,
                              "server_defaults": {"API_MAX_CONCURRENT": limits.API_MAX_CONCURRENT,
                                                  "API_MAX_WAITING": limits.API_MAX_WAITING,
                                                  "API_WAIT_TIMEOUT_S": limits.API_WAIT_TIMEOUT_S,
                                                  "CHAT_CONCURRENCY_LIMIT": limits.CHAT_CONCURRENCY_LIMIT}}
    with running_server() as server:
        log(f"http: server ready in {server.seconds_to_ready:.1f}s (pid {server.pid})")
        # Warm the server (model kernels, Gradio lazy parts) before measuring.
        asyncio.run(_load(server.url, varied_questions(20, start=0), 4, 30))
        result["server_ready_s"] = round(server.seconds_to_ready, 2)
        result["levels"] = _levels(server.url, per_level, cap, start=100)
        hot = asyncio.run(_load(server.url, ["When was the ITPP signed?"] * per_level, 8, cap))
        log(f"http: cache hot, 8 clients: p50 {hot['latency_ms']['p50']} ms, {hot['throughput_rps']} req/s")
        result["cache_hot_8_clients"] = hot
        t = time.perf_counter()
        httpx.get(f"{server.url}/healthz", timeout=5)
        result["healthz_idle_ms"] = round((time.perf_counter() - t) * 1000, 2)
        result["server_rss_mb_after_load"] = rss_mb(server.pid)

    # The concurrency bound of /api/ask: the same 32-client load against servers with other bounds.
    sweep = []
    bounds = (1, 2, 4) if quick else (1, 2, 4, 8)
    n = 60 if quick else 150
    for b in bounds:
        with running_server(max_concurrent=b) as server:
            asyncio.run(_load(server.url, varied_questions(16, start=0), 4, 30))
            res = asyncio.run(_load(server.url, varied_questions(n, start=1000), 32, cap))
            single = asyncio.run(_load(server.url, varied_questions(40, start=2000), 1, cap))
        log(f"http: bound {b}: 32 clients {res['throughput_rps']} req/s p50 {res['latency_ms']['p50']} ms "
            f"p95 {res['latency_ms']['p95']} ms, errors {res['errors']}; 1 client p50 {single['latency_ms']['p50']} ms")
        sweep.append({"api_max_concurrent": b, "clients_32": res, "client_1": single})
    result["bound_sweep"] = sweep
    result["recommendation"] = recommend(sweep)
    return result


def recommend(sweep: list[dict[str, Any]]) -> dict[str, Any]:
    """The smallest bound within 5% of the best 32-client throughput (less queueing inside the
    process, less CPU oversubscription), and the same for the Gradio queue: both doors feed the
    same engine on the same cores."""
    if not sweep:
        return {}
    best = max(s["clients_32"]["throughput_rps"] or 0 for s in sweep)
    chosen = min((s for s in sweep if (s["clients_32"]["throughput_rps"] or 0) >= 0.95 * best),
                 key=lambda s: s["api_max_concurrent"])
    b = chosen["api_max_concurrent"]
    return {
        "api_max_concurrent": b,
        "gradio_default_concurrency_limit": b,
        "best_throughput_rps": best,
        "throughput_at_choice_rps": chosen["clients_32"]["throughput_rps"],
        "rule": "smallest bound within 5% of the best throughput at 32 clients",
    }
