"""Replicas: /api/ask throughput through nginx at 1, 2 and 3 replicas (deploy/replicas.py, docs/scaling.md).

For each count, ``deploy/replicas.py up`` starts the replicas on the project's index with nginx in
front (127.0.0.1, free ports); 16 closed-loop clients (``http_load._load``: asyncio tasks on one
``httpx.AsyncClient`` in this process) send distinct questions through nginx, bounded in count and
time; then ``down``. With one replica, the same load also goes straight to the replica (nginx's own
cost). The counts alternate order between rounds (1, 2, 3 then 3, 2, 1); medians are reported.

Everything shares the machine's 2 cores: the replicas, nginx and the load generator itself. Loopback only.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from . import PYTHON, ROOT, TMP_DIR, child_env, free_port, log, median, varied_questions
from .http_load import _load

COUNTS = (1, 2, 3)
CLIENTS = 16
SCRIPT = ROOT / "deploy" / "replicas.py"


def _cli(run_dir, *args: str) -> dict[str, Any]:
    out = subprocess.run([PYTHON, str(SCRIPT), "--run-dir", str(run_dir), *args], capture_output=True, text=True,
                         timeout=600, env=child_env(), cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"replicas.py {' '.join(args)} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout)


def _measure(count: int, per: int, cap_s: float, start: int) -> dict[str, Any]:
    run_dir = TMP_DIR / f"replicas-{count}"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    listen = f"127.0.0.1:{free_port()}"
    ports = [free_port() for _ in range(count)]
    status = _cli(run_dir, "up", "--replicas", str(count), "--listen", listen, "--ports", ",".join(map(str, ports)))
    try:
        time.sleep(1.0)   # let the start-up settle
        out = {"replicas": count, "nginx": asyncio.run(_load(f"http://{listen}", varied_questions(per, start=start),
                                                              CLIENTS, cap_s))}
        if count == 1:
            direct = status["replicas"][0]["port"]
            out["direct"] = asyncio.run(_load(f"http://127.0.0.1:{direct}", varied_questions(per, start=start + per),
                                              CLIENTS, cap_s))
        return out
    finally:
        _cli(run_dir, "down")
        shutil.rmtree(run_dir, ignore_errors=True)


def run(quick: bool = False) -> dict[str, Any]:
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        raise RuntimeError("needs nginx: apt-get install -y nginx")
    rounds = 1 if quick else 2
    per = 600 if quick else 2000
    cap_s = 15.0 if quick else 30.0
    runs: dict[int, list[dict[str, Any]]] = {n: [] for n in COUNTS}
    for r in range(rounds):
        for n in (COUNTS if r % 2 == 0 else tuple(reversed(COUNTS))):
            res = _measure(n, per, cap_s, start=200_000 * (r + 1) + 10_000 * n)
            runs[n].append(res)
            extra = f"; direct {res['direct']['throughput_rps']} req/s" if "direct" in res else ""
            log(f"replicas: {n} through nginx {res['nginx']['throughput_rps']} req/s, p50 "
                f"{res['nginx']['latency_ms']['p50']} ms, errors {res['nginx']['errors']}{extra}")
    summary: dict[str, Any] = {"rounds": rounds, "clients": CLIENTS, "requests_per_run": per, "time_cap_s": cap_s}
    table = {}
    for n in COUNTS:
        table[str(n)] = {
            "throughput_rps": round(median([x["nginx"]["throughput_rps"] or 0 for x in runs[n]]), 1),
            "p50_ms": round(median([x["nginx"]["latency_ms"]["p50"] for x in runs[n]]), 1),
            "p95_ms": round(median([x["nginx"]["latency_ms"]["p95"] for x in runs[n]]), 1),
            "errors": sum(x["nginx"]["errors"] for x in runs[n]),
        }
    one = table["1"]["throughput_rps"] or float("nan")
    for n in COUNTS:
        table[str(n)]["over_one_replica"] = round(table[str(n)]["throughput_rps"] / one, 2)
    summary["through_nginx"] = table
    summary["one_replica_direct_rps"] = round(median([x["direct"]["throughput_rps"] or 0 for x in runs[1]]), 1)
    summary["runs"] = {str(n): runs[n] for n in COUNTS}
    return summary
