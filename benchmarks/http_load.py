"""HTTP: /api/ask latency and throughput of the real server at 1, 8 and 32 concurrent clients.

The server is ``uvicorn colnato_qa.web.server:create_app --factory`` in a subprocess on
127.0.0.1 (free port); the clients are asyncio tasks on one ``httpx.AsyncClient`` in this
process, each sending its next request as soon as the previous one is answered (closed loop).
Every request carries a different question, so the answer cache never helps; one extra run
repeats a single question (cache hot). Each level is bounded by a request count and a time cap.

Then a sweep of the server's /api/ask concurrency bound (the ``api_max_concurrent`` setting) at 32
clients, to choose that bound and the Gradio queue's ``default_concurrency_limit`` from data.
Loopback only; all loops bounded in count and time.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from . import log, median, rss_mb, running_server, start_server, stop_server, summary_ms, varied_questions, wait_ready

LEVELS = (1, 8, 32)


async def _load(url: str | list[str], questions: list[str], concurrency: int, time_cap_s: float) -> dict[str, Any]:
    """Closed loop: ``concurrency`` clients; with several URLs, client i talks to URL i mod n
    (an even spread over replicas, like a round-robin balancer)."""
    import httpx

    urls = [url] if isinstance(url, str) else list(url)

    latencies: list[float] = []
    statuses: dict[str, int] = {}
    errors: list[str] = []
    queue: asyncio.Queue[str] = asyncio.Queue()
    for q in questions:
        queue.put_nowait(q)
    deadline = time.monotonic() + time_cap_s
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(timeout=60.0, limits=limits) as client:
        async def worker(n: int) -> None:
            base = urls[n % len(urls)]
            while time.monotonic() < deadline:
                try:
                    q = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                t = time.perf_counter()
                try:
                    r = await client.post(f"{base}/api/ask", json={"question": q})
                    took = time.perf_counter() - t
                    statuses[str(r.status_code)] = statuses.get(str(r.status_code), 0) + 1
                    if r.status_code == 200:
                        latencies.append(took)
                    else:
                        errors.append(f"{r.status_code}: {r.text[:120]}")
                except httpx.HTTPError as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")

        started = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(concurrency)))
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


def _asgi_overhead(rounds: int) -> dict[str, Any]:
    """The web stack's own cost: /api/ask through the ASGI app in this process (no sockets, no
    other process) against engine.ask on the same questions, interleaved."""
    import httpx

    from colnato_qa import QAEngine
    from colnato_qa.web.server import create_app

    import benchmarks

    engine = QAEngine.load().variant(cache_size=0)
    app = create_app(engine=engine, feedback_path=benchmarks.TMP_DIR / "feedback-asgi.jsonl")
    questions = varied_questions(rounds * 2, start=20_000)

    async def go() -> tuple[list[float], list[float]]:
        via_app, direct = [], []
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            for q in varied_questions(10, start=0):
                await client.post("/api/ask", json={"question": q})
            for i in range(0, len(questions), 2):
                pair = [(questions[i], "app"), (questions[i + 1], "engine")]
                if (i // 2) % 2:
                    pair.reverse()
                for q, how in pair:
                    t = time.perf_counter()
                    if how == "app":
                        r = await client.post("/api/ask", json={"question": q})
                        r.raise_for_status()
                        via_app.append(time.perf_counter() - t)
                    else:
                        engine.ask(q)
                        direct.append(time.perf_counter() - t)
        return via_app, direct

    via_app, direct = asyncio.run(go())
    a, d = summary_ms(via_app), summary_ms(direct)
    return {"asgi_ms": a, "engine_ms": d, "overhead_p50_ms": round(a["p50"] - d["p50"], 2)}


def run(quick: bool = False) -> dict[str, Any]:
    import httpx

    from colnato_qa import QAEngine
    from colnato_qa.settings import load_settings

    QAEngine.build()
    per_level = 60 if quick else 200
    cap = 60.0 if quick else 120.0
    result: dict[str, Any] = {"per_level": per_level, "time_cap_s": cap,
                              # what the server reads too (config file, then COLNATO_QA_<NAME>)
                              "server_defaults": load_settings().model_dump(include={
                                  "api_max_concurrent", "api_max_waiting", "api_wait_timeout_s",
                                  "chat_concurrency_limit"})}
    with running_server() as server:
        log(f"http: server ready in {server.seconds_to_ready:.1f}s (pid {server.pid})")
        # Warm the server (model kernels, Gradio lazy parts) before measuring.
        asyncio.run(_load(server.url, varied_questions(20, start=0), 4, 30))
        result["server_ready_s"] = round(server.seconds_to_ready, 2)
        result["levels"] = _levels(server.url, per_level, cap, start=100)
        hot = asyncio.run(_load(server.url, ["When was the ITPP signed?"] * per_level, 8, cap))
        log(f"http: cache hot, 8 clients: p50 {hot['latency_ms']['p50']} ms, {hot['throughput_rps']} req/s")
        result["cache_hot_8_clients"] = hot
        # The HTTP floor: a trivial endpoint on a kept-alive connection, one client.
        with httpx.Client(base_url=server.url, timeout=10) as client:
            client.get("/healthz")
            floor = []
            for _ in range(50):
                t = time.perf_counter()
                client.get("/healthz")
                floor.append(time.perf_counter() - t)
        result["healthz_1_client_ms"] = summary_ms(floor)
        result["server_rss_mb_after_load"] = rss_mb(server.pid)

    result["asgi_in_process"] = _asgi_overhead(40 if quick else 100)
    log(f"http: in-process ASGI /api/ask p50 {result['asgi_in_process']['asgi_ms']['p50']} ms vs engine "
        f"{result['asgi_in_process']['engine_ms']['p50']} ms")
    result["bound_sweep"] = _sweep(quick, cap)
    result["recommendation"] = recommend(result["bound_sweep"])
    return result


# (label, [(api bound, torch threads) per process]); threads None = torch's default (all cores).
CONFIGS = [
    ("1 process, bound 1", [(1, None)]),
    ("1 process, bound 2", [(2, None)]),
    ("1 process, bound 4", [(4, None)]),
    ("1 process, bound 8", [(8, None)]),
    ("1 process x 1 torch thread, bound 2", [(2, 1)]),
    ("2 processes x 1 torch thread, bound 1 each", [(1, 1), (1, 1)]),
    ("2 processes x 1 torch thread, bound 2 each", [(2, 1), (2, 1)]),
]


def _sweep(quick: bool, cap: float) -> list[dict[str, Any]]:
    """Every configuration's servers up at once; then rounds of the same 32-client load against
    each in rotating order, so the machine's noise is spread over all of them alike."""
    configs = [c for c in CONFIGS if c[0] != "1 process, bound 8" and "bound 2 each" not in c[0]] if quick else CONFIGS
    rounds = 2 if quick else 5
    n = 60 if quick else 80
    servers: dict[str, list[Any]] = {}
    try:
        for label, specs in configs:
            servers[label] = [start_server(max_concurrent=b, threads=t) for b, t in specs]
        for group in servers.values():
            for srv in group:
                wait_ready(srv)
        for label, group in servers.items():  # warm each process
            for srv in group:
                asyncio.run(_load(srv.url, varied_questions(12, start=0), 4, 30))
        runs: dict[str, list[dict[str, Any]]] = {label: [] for label in servers}
        start = 10_000
        for r in range(rounds):
            order = list(servers)[r % len(servers):] + list(servers)[:r % len(servers)]
            for label in order:
                urls = [srv.url for srv in servers[label]]
                res = asyncio.run(_load(urls, varied_questions(n, start=start), 32, cap))
                start += n
                runs[label].append(res)
                log(f"http sweep r{r + 1} {label}: {res['throughput_rps']} req/s, p50 {res['latency_ms']['p50']} ms, "
                    f"errors {res['errors']}")
        out = []
        for label, specs in configs:
            rs = runs[label]
            single = asyncio.run(_load([s.url for s in servers[label]], varied_questions(30, start=start), 1, cap))
            start += 30
            out.append({
                "config": label,
                "processes": len(specs),
                "api_max_concurrent": specs[0][0],
                "torch_threads": specs[0][1] or "default",
                "rounds": len(rs),
                "throughput_rps": round(median([x["throughput_rps"] or 0 for x in rs]), 2),
                "throughput_runs": [x["throughput_rps"] for x in rs],
                "p50_ms": round(median([x["latency_ms"]["p50"] for x in rs]), 1),
                "p95_ms": round(median([x["latency_ms"]["p95"] for x in rs]), 1),
                "errors": sum(x["errors"] for x in rs),
                "single_client_p50_ms": single["latency_ms"]["p50"],
            })
        return out
    finally:
        for group in servers.values():
            for srv in group:
                stop_server(srv)


def recommend(sweep: list[dict[str, Any]]) -> dict[str, Any]:
    """For one process: the smallest bound within 10% of the best single-process throughput at 32
    clients (less queueing inside the process, less CPU oversubscription); the Gradio queue
    gets the same, since both doors feed the same engine on the same cores. Also says whether
    two single-threaded processes beat one process."""
    single = [s for s in sweep if s["processes"] == 1 and s["torch_threads"] == "default"]
    if not single:
        return {}
    best = max(s["throughput_rps"] for s in single)
    chosen = min((s for s in single if s["throughput_rps"] >= 0.9 * best), key=lambda s: s["api_max_concurrent"])
    others = [s for s in sweep if s not in single]
    best_other = max(others, key=lambda s: s["throughput_rps"]) if others else None
    return {
        "api_max_concurrent": chosen["api_max_concurrent"],
        "gradio_default_concurrency_limit": chosen["api_max_concurrent"],
        "best_single_process_rps": best,
        "throughput_at_choice_rps": chosen["throughput_rps"],
        "p95_at_choice_ms": chosen["p95_ms"],
        "best_single_threaded": None if best_other is None else {
            "config": best_other["config"], "throughput_rps": best_other["throughput_rps"],
            "p95_ms": best_other["p95_ms"], "single_client_p50_ms": best_other["single_client_p50_ms"],
            "gain_over_choice": round(best_other["throughput_rps"] / chosen["throughput_rps"] - 1, 3)},
        "rule": "smallest bound within 10% of the best single-process throughput at 32 clients (medians of interleaved rounds; run-to-run noise here is of that order)",
    }
