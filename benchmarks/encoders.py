"""Encoders: the onnx encoder (default) against the torch one, interleaved in one run.

Each encoder gets its own index (built before anything is timed: the onnx one in the project's
``index/``, the torch one in ``results/tmp/index-torch``) and its own settings file (the
project's, with ``encoder`` set). The comparisons, alternating the encoders' order round by round
so that the shared machine's noise hits both alike:

1. **start**: process start to the first answered ``POST /api/ask`` of the real server
   (``colnato_qa.web.server.main``, what ``app.py`` runs), against a bare process that imports
   sentence-transformers, loads the MiniLM model and encodes one question; and the engine alone
   (``QAEngine.load().ask(...)``) for each encoder.
2. **memory**: each server's RSS and peak RSS (``VmHWM``) after its first answer, and again
   after 1,000 distinct questions (one HTTP client) and the throughput runs below.
3. **throughput**: ``/api/ask`` at 1, 8 and 32 closed-loop clients, distinct questions.
4. **latency**: one child process per encoder and round: warm ``ask`` p50/p95 with the answer
   cache off, and the bare encoder (``encoder.encode_one``) on the same questions, interleaved.

Loopback only; every loop is bounded in count and time.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from pathlib import Path
from typing import Any

from . import (PYTHON, ROOT, TMP_DIR, Server, child_env, free_port, log, median, run_child_json, stop_server,
               varied_questions)
from .cold_start import BARE_CODE, QUESTION, _once

ENCODERS = ("onnx", "torch")
LEVELS = (1, 8, 32)

SERVER_LAUNCHER = """
import sys
from colnato_qa.cli import main
sys.exit(main(["serve", "--port", sys.argv[1], "--index", sys.argv[2], "--log-level", "warning"]))
"""

ENGINE_CODE = f"""
import json, sys, time
t0 = time.time()
from pathlib import Path
from colnato_qa import QAEngine
from colnato_qa.settings import load_settings
t1 = time.time()
e = QAEngine.load(index_dir=Path(sys.argv[2]), settings=load_settings(sys.argv[1]))
t2 = time.time()
a = e.ask({QUESTION!r})
t3 = time.time()
print(json.dumps({{"done": t3, "import_s": t1 - t0, "load_s": t2 - t1, "ask_s": t3 - t2,
                  "torch_loaded": "torch" in sys.modules}}))
"""

LATENCY_CODE = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[4])
from benchmarks import load_questions, summary_ms
from benchmarks.latency import _interleaved
from colnato_qa import QAEngine
from colnato_qa.settings import load_settings
engine = QAEngine.load(index_dir=Path(sys.argv[2]), settings=load_settings(sys.argv[1])).variant(cache_size=0)
encoder = engine.embedder
items, _ = load_questions()
for q, h in items:  # warm up both paths
    engine.ask(q, h)
    encoder.encode_one(q)
ask, enc, _ = _interleaved(engine, encoder, items, int(sys.argv[3]))
print(json.dumps({"ask_ms": summary_ms(ask), "encode_ms": summary_ms(enc), "encoder": encoder.backend,
                  "torch_loaded": "torch" in sys.modules}))
"""


def setup() -> dict[str, dict[str, str]]:
    """Per encoder: its settings file and its index directory, the index built and current."""
    from colnato_qa import QAEngine
    from colnato_qa.settings import config_path, load_settings

    base = json.loads(config_path().read_text(encoding="utf-8")) if config_path().exists() else {}
    TMP_DIR.mkdir(parents=True, exist_ok=True)
    out = {}
    for encoder in ENCODERS:
        config = TMP_DIR / f"config-{encoder}.json"
        config.write_text(json.dumps({**base, "encoder": encoder}, indent=2), encoding="utf-8")
        index = ROOT / "index" if encoder == "onnx" else TMP_DIR / "index-torch"
        QAEngine.build(index_dir=index, settings=load_settings(config))
        out[encoder] = {"config": str(config), "index": str(index)}
    return out


def _peak_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def _memory(pid: int) -> dict[str, float | None]:
    import psutil

    mi = psutil.Process(pid).memory_full_info()
    return {"rss_mb": round(mi.rss / 2**20, 1), "uss_mb": round(mi.uss / 2**20, 1), "peak_rss_mb": _peak_mb(pid)}


def _server_round(encoder: str, where: dict[str, str], n_questions: int, per_level: int, cap_s: float,
                  start: int) -> dict[str, Any]:
    """Start the server, time its first answer, then memory, 1,000 questions and the load levels."""
    import httpx

    from .http_load import _load

    port = free_port()
    log_path = TMP_DIR / f"server-{encoder}-{port}.log"
    env = child_env(COLNATO_QA_CONFIG=where["config"], COLNATO_QA_FEEDBACK=str(TMP_DIR / f"feedback-{port}.jsonl"))
    url = f"http://127.0.0.1:{port}"
    started = time.time()
    with open(log_path, "w", encoding="utf-8") as log_file:
        proc = subprocess.Popen([PYTHON, "-c", SERVER_LAUNCHER, str(port), where["index"]], cwd=ROOT, env=env,
                                stdout=log_file, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 300
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{encoder} server did not answer:\n{log_path.read_text()[-3000:]}")
            try:
                r = httpx.post(f"{url}/api/ask", json={"question": QUESTION}, timeout=30)
                if r.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.025)
        out: dict[str, Any] = {"to_first_answer_s": round(time.time() - started, 3)}
        time.sleep(0.3)
        out["after_load"] = _memory(proc.pid)
        questions = varied_questions(n_questions, start=start)
        t = time.perf_counter()
        asked = 0
        with httpx.Client(timeout=60) as client:
            for q in questions:
                if time.perf_counter() - t > cap_s:
                    break
                client.post(f"{url}/api/ask", json={"question": q}).raise_for_status()
                asked += 1
        out["sequential"] = {"questions": asked, "seconds": round(time.perf_counter() - t, 2)}
        out[f"after_{n_questions}_questions"] = _memory(proc.pid)
        levels = []
        for i, c in enumerate(LEVELS):
            qs = varied_questions(per_level, start=start + 10_000 * (i + 1))
            levels.append(asyncio.run(_load(url, qs, c, cap_s / 4)))
        out["levels"] = levels
        out["after_load_levels"] = _memory(proc.pid)
        return out
    finally:
        stop_server(Server(url, proc.pid, proc, log_path, started))  # also removes its log and feedback file


def _med(rows: list[dict[str, Any]], *path: str) -> float:
    values = []
    for r in rows:
        v: Any = r
        for p in path:
            v = v[p]
        values.append(v)
    return round(median(values), 3)


def run(quick: bool = False) -> dict[str, Any]:
    where = setup()
    rounds = 2 if quick else 3
    n_questions = 300 if quick else 1000
    per_level = 100 if quick else 300
    cap_s = 120.0 if quick else 360.0

    servers: dict[str, list[dict[str, Any]]] = {e: [] for e in ENCODERS}
    engines: dict[str, list[dict[str, Any]]] = {e: [] for e in ENCODERS}
    bare: list[dict[str, Any]] = []
    latency: dict[str, list[dict[str, Any]]] = {e: [] for e in ENCODERS}
    _once(BARE_CODE)  # unmeasured: page cache warm for everyone
    for r in range(rounds):
        order = list(ENCODERS) if r % 2 == 0 else list(reversed(ENCODERS))
        for encoder in order:
            res = _server_round(encoder, where[encoder], n_questions, per_level, cap_s, start=100_000 * (r + 1))
            servers[encoder].append(res)
            log(f"encoders: {encoder} server first answer {res['to_first_answer_s']:.2f} s, "
                f"peak {res['after_load_levels']['peak_rss_mb']} MB, "
                f"{' / '.join(str(lv['throughput_rps']) for lv in res['levels'])} req/s")
        b = _once(BARE_CODE)
        bare.append(b)
        log(f"encoders: bare torch model {b['to_first_answer_s']:.2f} s")
        for encoder in order:
            e = _once(ENGINE_CODE, where[encoder]["config"], where[encoder]["index"])
            engines[encoder].append(e)
            lat = run_child_json(LATENCY_CODE, where[encoder]["config"], where[encoder]["index"], "1" if quick else "2",
                                 str(ROOT), timeout=1800)
            latency[encoder].append(lat)
            log(f"encoders: {encoder} engine start {e['to_first_answer_s']:.2f} s; ask p50 {lat['ask_ms']['p50']} ms, "
                f"encode p50 {lat['encode_ms']['p50']} ms")

    summary: dict[str, Any] = {"rounds": rounds, "questions_per_server": n_questions, "requests_per_level": per_level}
    bare_s = _med(bare, "to_first_answer_s")
    summary["bare_torch_model"] = {k: _med(bare, k) for k in ("to_first_answer_s", "import_s", "load_s", "ask_s")}
    for encoder in ENCODERS:
        s, e, lat = servers[encoder], engines[encoder], latency[encoder]
        summary[encoder] = {
            "server_to_first_answer_s": _med(s, "to_first_answer_s"),
            "server_over_bare": round(_med(s, "to_first_answer_s") / bare_s, 3),
            "engine_to_first_answer_s": _med(e, "to_first_answer_s"),
            "engine_over_bare": round(_med(e, "to_first_answer_s") / bare_s, 3),
            "engine_loads_torch": any(x["torch_loaded"] for x in e),
            "rss_after_load_mb": _med(s, "after_load", "rss_mb"),
            f"rss_after_{n_questions}_questions_mb": _med(s, f"after_{n_questions}_questions", "rss_mb"),
            "peak_rss_mb": max(x["after_load_levels"]["peak_rss_mb"] or 0 for x in s),
            "uss_after_load_mb": _med(s, "after_load", "uss_mb"),
            "throughput_rps": {str(c): round(median([x["levels"][i]["throughput_rps"] or 0 for x in s]), 2)
                               for i, c in enumerate(LEVELS)},
            "http_p50_ms": {str(c): round(median([x["levels"][i]["latency_ms"]["p50"] for x in s]), 2)
                            for i, c in enumerate(LEVELS)},
            "http_errors": sum(lv["errors"] for x in s for lv in x["levels"]),
            "ask_p50_ms": _med(lat, "ask_ms", "p50"),
            "ask_p95_ms": _med(lat, "ask_ms", "p95"),
            "encode_p50_ms": _med(lat, "encode_ms", "p50"),
            "encode_p95_ms": _med(lat, "encode_ms", "p95"),
        }
    o, t = summary["onnx"], summary["torch"]
    summary["checks"] = {
        "start_over_bare_le_0_35": o["server_over_bare"] <= 0.35,      # issue #19 (was 0.6)
        "peak_rss_le_350_mb": o["peak_rss_mb"] <= 350,
        "onnx_encode_p50_le_torch": o["encode_p50_ms"] <= t["encode_p50_ms"],
        "onnx_ask_p50_le_torch": o["ask_p50_ms"] <= t["ask_p50_ms"],
        "no_torch_in_onnx_engine": not o["engine_loads_torch"],
    }
    summary["runs"] = {"servers": servers, "engines": engines, "bare": bare, "latency": latency}
    return summary

