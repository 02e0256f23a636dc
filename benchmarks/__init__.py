"""Benchmarks of colnato-qa: speed, scale and memory. Run ``python -m benchmarks`` from the repo root.

Each benchmark module has ``run(quick: bool) -> dict``; ``__main__`` runs them, writes
``benchmarks/results/<name>.json`` and regenerates ``benchmarks/README.md`` (``report.py``).

This machine is shared and noisy: figures are medians, and every comparison (the engine
against the bare encoder, the engine process against a bare model process) is measured
interleaved in the same run, so noise hits both sides alike. Compare ratios, not absolutes.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from colnato_qa.offline import OFFLINE_ENVIRONMENT, QUIET_ENVIRONMENT

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = Path(__file__).resolve().parent / "results"
TMP_DIR = RESULTS_DIR / "tmp"          # git-ignored scratch space (synthetic corpora, indexes)
GOLD = ROOT / "corpus" / "gold" / "colnato_gold.jsonl"
PYTHON = sys.executable

# Quiet, offline children: no hub look-ups, no progress bars, no tokenizer thread pools.
# The entry points' environment (colnato_qa/offline.py): children import gradio and the model directly.
CHILD_ENV = {**OFFLINE_ENVIRONMENT, **QUIET_ENVIRONMENT, "PYTHONUNBUFFERED": "1"}

# Used when the gold file is missing: 30 varied questions (direct, numeric, yes/no, follow-up,
# about the article itself, unanswerable).
FALLBACK_QUESTIONS: list[tuple[str, list[str] | None]] = [
    ("When was it announced that Colombia would become a NATO global partner?", None),
    ("What do discussions in Colombia often revolve around?", None),
    ("Did the announcement worry people in Colombia?", None),
    ("What is the ITPP?", None),
    ("When was it signed?", ["What is the ITPP?"]),
    ("When was the Agreement on Cooperation and Security of Information signed?", None),
    ("Who was president of Colombia between 2002 and 2010?", None),
    ("Which president led the official push for NATO collaboration?", None),
    ("When was he in office?", ["Which president led the official push for NATO collaboration?"]),
    ("What was the pink tide?", None),
    ("Is Colombia obliged to defend NATO member states?", None),
    ("What benefits did the global partner status bring?", None),
    ("What does the IPCP stand for?", None),
    ("Which areas does the partnership focus on?", None),
    ("Why did Santos want closer ties with NATO?", None),
    ("What is UNASUR?", None),
    ("Who wrote the article?", None),
    ("Where was the article published?", None),
    ("What is the title of the article?", None),
    ("What is the capital of France?", None),
    ("How many troops did Colombia send to Afghanistan?", None),
    ("What armed group was Colombia negotiating peace with?", None),
    ("Was Colombia the first global partner of NATO in Latin America?", None),
    ("What does NATO gain from the partnership?", None),
    ("Does the partnership compromise Colombia's sovereignty?", None),
    ("What expertise does Colombia share with NATO?", None),
    ("Who recognized NATO as a valuable partner?", None),
    ("When did mutual interest between Colombia and NATO begin?", None),
    ("What did critics in Latin America think of the partnership?", None),
    ("What is the weather in Bogota today?", None),
]


def load_questions(limit: int | None = None) -> tuple[list[tuple[str, list | None]], str]:
    """(question, history) pairs from the gold file, or the built-in list; and which it was."""
    items: list[tuple[str, list | None]] = []
    source = "fallback"
    if GOLD.exists():
        for line in GOLD.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(obj, dict) and isinstance(obj.get("question"), str):
                history = obj.get("history")
                items.append((obj["question"], history if isinstance(history, list) else None))
        if items:
            source = str(GOLD.relative_to(ROOT))
    if not items:
        items = list(FALLBACK_QUESTIONS)
    return (items[:limit] if limit else items), source


def varied_questions(n: int, start: int = 0, seed: int = 7) -> list[str]:
    """Variants number ``start`` to ``start + n - 1`` (shuffled) of the gold questions with a
    varying tail: all distinct, and disjoint between disjoint ranges, so no answer cache helps."""
    import random

    base = [q for q, _ in load_questions()[0]]
    tails = ["", " exactly", " in the article", " according to the author", " please", " briefly",
             " in Colombia", " and why", " for NATO", " at the time"]
    out: list[str] = []
    for i in range(start, start + n):
        q = base[i % len(base)].rstrip("?")
        tail = tails[(i // len(base)) % len(tails)]
        k = i // (len(base) * len(tails))
        out.append(f"{q}{tail}{' (' + str(k) + ')' if k else ''}?")
    random.Random(seed + start).shuffle(out)
    return out


# -- statistics -----------------------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile, q in [0, 100] (numpy.percentile); nan when there are no values."""
    return float(np.percentile(values, q)) if values else float("nan")


def summary_ms(seconds: list[float], digits: int = 2) -> dict[str, float]:
    """p50/p95/p99/mean/min/max in milliseconds of a list of durations in seconds."""
    ms = [s * 1000.0 for s in seconds]
    return {
        "n": len(ms),
        "p50": round(percentile(ms, 50), digits),
        "p95": round(percentile(ms, 95), digits),
        "p99": round(percentile(ms, 99), digits),
        "mean": round(statistics.fmean(ms), digits) if ms else float("nan"),
        "min": round(min(ms), digits) if ms else float("nan"),
        "max": round(max(ms), digits) if ms else float("nan"),
    }


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# -- machine and results ----------------------------------------------------------------------------
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info() -> dict[str, Any]:
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        import psutil

        info["memory_gb"] = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:  # pragma: no cover
        pass
    for name in ("torch", "sentence_transformers", "faiss", "bm25s", "fastapi", "uvicorn", "gradio"):
        try:
            from importlib.metadata import version

            dist = {"faiss": "faiss-cpu", "sentence_transformers": "sentence-transformers"}.get(name, name)
            info[f"{name}_version"] = version(dist)
        except Exception:  # pragma: no cover - a missing optional package
            info[f"{name}_version"] = None
    try:
        info["load_average"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover
        pass
    return info


def write_result(name: str, data: dict[str, Any], quick: bool) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    record = {
        "benchmark": name,
        "quick": quick,
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_info(),
        **data,
    }
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(CHILD_ENV)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), str(ROOT / "src"), env.get("PYTHONPATH", "")]))
    env.update(extra)
    return env


def run_child_json(code: str, *args: str, timeout: float = 600, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``python -c code args`` and parse the last stdout line as JSON."""
    proc = subprocess.run([PYTHON, "-c", code, *args], capture_output=True, text=True, timeout=timeout,
                          env=env or child_env(), cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"child failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    return json.loads(lines[-1])


def rss_mb(pid: int | None = None) -> float:
    import psutil

    return round(psutil.Process(pid or os.getpid()).memory_info().rss / 2**20, 1)


# -- a real server in a subprocess ------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The server's limits are settings: start_server gives its /api/ask bound as COLNATO_QA_API_MAX_CONCURRENT.
SERVER_LAUNCHER = """
import sys
import uvicorn
uvicorn.run("colnato_qa.web.server:create_app", factory=True, host="127.0.0.1", port=int(sys.argv[1]),
            log_level="warning", workers=1)
"""


@dataclass
class Server:
    url: str
    pid: int
    process: subprocess.Popen
    log_path: Path
    started: float
    seconds_to_ready: float = float("nan")


def start_server(max_concurrent: int | None = None, threads: int | None = None) -> Server:
    """Start ``uvicorn colnato_qa.web.server:create_app --factory`` on 127.0.0.1:<free port>
    (optionally with another /api/ask concurrency bound, or ``threads`` torch threads); returns
    at once - call ``wait_ready``."""
    TMP_DIR.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = TMP_DIR / f"server-{port}.log"
    extra = {"COLNATO_QA_FEEDBACK": str(TMP_DIR / f"feedback-{port}.jsonl")}
    if threads:
        extra["OMP_NUM_THREADS"] = str(threads)
    if max_concurrent is not None:
        extra["COLNATO_QA_API_MAX_CONCURRENT"] = str(max_concurrent)
    with open(log_path, "w", encoding="utf-8") as log_file:
        proc = subprocess.Popen([PYTHON, "-c", SERVER_LAUNCHER, str(port)],
                                cwd=ROOT, env=child_env(**extra), stdout=log_file, stderr=subprocess.STDOUT)
    return Server(f"http://127.0.0.1:{port}", proc.pid, proc, log_path, time.perf_counter())


def wait_ready(server: Server, timeout: float = 240.0) -> Server:
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited with {server.process.returncode}:\n{server.log_path.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"server not ready after {timeout}s:\n{server.log_path.read_text()[-3000:]}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=2.0).status_code == 200:
                server.seconds_to_ready = time.perf_counter() - server.started
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)


def terminate(proc: subprocess.Popen) -> None:
    """Stop a server process: SIGTERM, then SIGKILL if it has not exited within 20 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def stop_server(server: Server) -> None:
    terminate(server.process)
    port = server.url.rsplit(":", 1)[1]
    with contextlib.suppress(OSError):
        server.log_path.unlink()
    with contextlib.suppress(OSError):
        (TMP_DIR / f"feedback-{port}.jsonl").unlink()


@contextlib.contextmanager
def running_server(max_concurrent: int | None = None, threads: int | None = None,
                   timeout: float = 240.0) -> Iterator[Server]:
    """One server, ready when /healthz answers; stopped on exit."""
    server = start_server(max_concurrent, threads)
    try:
        yield wait_ready(server, timeout)
    finally:
        stop_server(server)
