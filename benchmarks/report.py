"""Render ``benchmarks/README.md`` from ``benchmarks/results/*.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

HOW_TO_RUN = """\
## How to run

```bash
make bench                                   # = .venv/bin/python -m benchmarks (8 to 15 minutes here, depending on the load)
.venv/bin/python -m benchmarks --quick       # smaller runs, results in benchmarks/results/tmp/quick/
.venv/bin/python -m benchmarks --only latency,http_load
.venv/bin/python -m benchmarks --report-only # re-render this file from benchmarks/results/*.json
```

Run it from the repository root: `pysbd` installs a top-level package that is also called
`benchmarks`, and only the current directory coming first on `sys.path` makes
`python -m benchmarks` find this one.

Every benchmark writes `benchmarks/results/<name>.json` (figures, settings, machine) and this
file is generated from those. The machine is shared and noisy: every comparison is measured
interleaved in one run (engine and baseline alternating), figures are medians (p50) unless
marked otherwise, and ratios are more telling than absolute milliseconds.
"""


def _load(results_dir: Path) -> dict[str, dict[str, Any]]:
    out = {}
    for name in ("encoders", "latency", "cold_start", "http_load", "replicas", "memory", "scale"):
        f = results_dir / f"{name}.json"
        if f.exists():
            try:
                out[name] = json.loads(f.read_text(encoding="utf-8"))
            except json.JSONDecodeError:
                pass
    return out


def _mb(b: float | int | None) -> str:
    return "-" if b is None else f"{b / 2**20:.1f} MB"


def _f(x: Any, digits: int = 2) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def _ok(cond: bool | None) -> str:
    return "-" if cond is None else ("yes" if cond else "**no**")


def _machine(results: dict[str, dict[str, Any]]) -> str:
    m = next((r["machine"] for r in results.values() if "machine" in r), None)
    if not m:
        return "## Machine\n\nNo results yet.\n"
    runs = ", ".join(f"{name} {r.get('finished_at', '?')}" for name, r in results.items())
    rows = [
        ("CPU", f"{m.get('cpu_model')} ({m.get('nproc')} cores, `nproc`)"),
        ("memory", f"{m.get('memory_gb')} GiB"),
        ("Python", m.get("python")),
        ("torch", m.get("torch_version")),
        ("sentence-transformers", m.get("sentence_transformers_version")),
        ("faiss-cpu", m.get("faiss_version")),
        ("bm25s", m.get("bm25s_version")),
        ("fastapi / uvicorn / gradio", f"{m.get('fastapi_version')} / {m.get('uvicorn_version')} / {m.get('gradio_version')}"),
        ("OS", m.get("platform")),
        ("load average at the end of a run", m.get("load_average")),
        ("runs", runs),
    ]
    return "## Machine\n\n| | |\n|---|---|\n" + "".join(f"| {k} | {v} |\n" for k, v in rows)


def _headline(r: dict[str, dict[str, Any]]) -> str:
    rows = []
    en = r.get("encoders")
    if en:
        o, t = en["onnx"], en["torch"]
        rows.append(("Server start to first answer (onnx) / bare torch model load (encoders run)", f"{o['server_to_first_answer_s']:.2f} s / {en['bare_torch_model']['to_first_answer_s']:.2f} s (x{o['server_over_bare']:.2f})", "<= x0.35 (issue #19)", _ok(o["server_over_bare"] <= 0.35)))
        rows.append(("Server peak RSS (onnx; torch)", f"{o['peak_rss_mb']:.0f} MB; {t['peak_rss_mb']:.0f} MB", "<= 350 MB", _ok(o["peak_rss_mb"] <= 350)))
        rows.append(("Encoder p50, onnx / torch", f"{o['encode_p50_ms']} / {t['encode_p50_ms']} ms", "onnx <= torch", _ok(o["encode_p50_ms"] <= t["encode_p50_ms"])))
        rows.append(("Warm answer p50, onnx / torch", f"{o['ask_p50_ms']} / {t['ask_p50_ms']} ms", "onnx <= torch", _ok(o["ask_p50_ms"] <= t["ask_p50_ms"])))
    lat = r.get("latency")
    if lat:
        rows.append(("Warm answer, p50 / p95 / p99", f"{lat['ask_ms']['p50']} / {lat['ask_ms']['p95']} / {lat['ask_ms']['p99']} ms", "", ""))
        rows.append(("Bare encoder (same questions), p50 / p95 / p99", f"{lat['encode_ms']['p50']} / {lat['encode_ms']['p95']} / {lat['encode_ms']['p99']} ms", "", ""))
        rows.append(("ask p50 / encode p50", f"{lat['ratio_p50']:.2f} (paired median {lat['ratio_paired_median']:.2f})", "<= 3 (issue #11)", _ok(lat["ratio_p50"] <= 3.0)))
        stages = lat.get("engine_stages") or {}
        if stages.get("short_answer_share_of_encode_p50") is not None:
            rows.append(("Short-answer extraction p50 / encode p50 (same run)",
                         f"{stages['short_answer_ms_p50']:.3f} / {stages['encode_ms_p50']:.2f} ms "
                         f"(x{stages['short_answer_share_of_encode_p50']:.2f})",
                         "<= 0.3 (issue #12)", _ok(stages["short_answer_share_of_encode_p50"] <= 0.3)))
        c = lat["cached_ms"]
        rows.append(("Repeated question (LRU cache), p50 / p99", f"{c['p50'] * 1000:.1f} / {c['p99'] * 1000:.1f} us", "well under 1 ms", _ok(c["p99"] < 1.0)))
    cs = r.get("cold_start")
    if cs:
        sv = cs.get("server")
        if sv:
            rows.append(("`colnato-qa serve` start to first /api/ask answer / bare torch model load", f"{sv['to_first_answer_s']:.2f} s / {cs['bare']['to_first_answer_s']:.2f} s (x{cs['server_over_bare']:.2f})", "<= x0.35 (issue #19)", _ok(cs["server_over_bare"] <= 0.35)))
            rows.append(("Server peak RSS (chat page mounted, 200 questions); torch mapped", f"{sv['peak_rss_mb']:.0f} MB; {'yes' if sv['torch_mapped'] else 'no'}", "<= 350 MB; no", _ok(sv["peak_rss_mb"] <= 350 and not sv["torch_mapped"])))
        rows.append(("Cold start to first answer (engine / bare model)", f"{cs['engine']['to_first_answer_s']:.2f} s / {cs['bare']['to_first_answer_s']:.2f} s (x{cs['ratio']:.2f})", "", ""))
    http = r.get("http_load")
    if http:
        for lv in http.get("levels", []):
            rows.append((f"HTTP /api/ask, {lv['concurrency']} client(s): p50 / p95, throughput, errors",
                         f"{lv['latency_ms']['p50']} / {lv['latency_ms']['p95']} ms, {lv['throughput_rps']} req/s, {lv['errors']} errors",
                         "0 errors", _ok(lv["errors"] == 0)))
    rep = r.get("replicas")
    if rep:
        t = rep["through_nginx"]
        rows.append(("/api/ask through nginx at 1 / 2 / 3 replicas (16 clients)", " / ".join(f"{t[n]['throughput_rps']}" for n in ("1", "2", "3")) + " req/s", "measured (2 cores)", _ok(all(t[n]["errors"] == 0 for n in t))))
    mem = r.get("memory")
    if mem:
        p = mem["processes"]
        rows.append(("RSS: server after load / bare model process", f"{p['server']['rss_mb']:.0f} MB / {p['bare']['rss_mb']:.0f} MB (x{mem['server_over_bare']:.2f})", "<= x1.10", _ok(mem["server_over_bare"] <= 1.10)))
        rows.append(("RSS: engine-only process / bare", f"{p['engine']['rss_mb']:.0f} MB / {p['bare']['rss_mb']:.0f} MB (x{mem['engine_over_bare']:.2f})", "", ""))
        s = mem["soak"]
        if s.get("cache_never_filled"):
            rows.append((f"RSS growth over {s['questions']} questions (cache never filled)", f"{s['growth_total_mb']:+.1f} MB", "~0 beyond the LRU", "-"))
        else:
            rows.append((f"RSS growth over {s['questions']:,} questions after the cache filled", f"{s['growth_after_cache_full_mb']:+.1f} MB ({s['rss_cache_full_mb']} -> {s['rss_end_mb']} MB; cache {s['cache_entries_end']} entries)", "~0 (bounded by the LRU)", _ok(abs(s["growth_after_cache_full_mb"]) < 10)))
    sc = r.get("scale")
    if sc:
        rec = sc["recommendation"]
        rows.append(("Recommended `approximate_above`", f"{rec['approximate_above']:,}", "", ""))
    if http and http.get("recommendation"):
        rec = http["recommendation"]
        rows.append(("Recommended /api/ask bound and Gradio `default_concurrency_limit`", f"{rec['api_max_concurrent']} and {rec['gradio_default_concurrency_limit']}", "", ""))
    out = "## Summary\n\n| what | measured | goal | met |\n|---|---|---|---|\n"
    out += "".join(f"| {a} | {b} | {c} | {d} |\n" for a, b, c, d in rows)
    return out


def _frame_label(function: str) -> str:
    """pyinstrument's ``[self]`` frames are the time a caller spends in its own code."""
    if function.startswith("[self] (<built-in>"):
        return "native code (torch kernels, tokenizer) called from Python"
    if function.startswith("[self] ("):
        return f"Python code of `{function[len('[self] ('):].split(':')[0]}` itself"
    return f"`{function}`"


def _latency(lat: dict[str, Any]) -> str:
    a, e = lat["ask_ms"], lat["encode_ms"]
    out = [
        "## 1. Warm answer latency vs the bare encoder",
        "",
        f"{lat['questions']} questions from `{lat['question_source']}` (with their `history`), {lat['rounds']} rounds. "
        "`ask` is `engine.variant(cache_size=0).ask(question, history)`; `encode` is "
        f"`engine.embedder.encode_one(question)` (the engine's own encoder: {lat.get('encoder', 'torch')}). The two "
        "alternate per question (order flipped by question and round).",
        "",
        "| | n | p50 | p95 | p99 | mean |",
        "|---|---|---|---|---|---|",
        f"| ask (whole pipeline) | {a['n']} | {a['p50']} ms | {a['p95']} ms | {a['p99']} ms | {a['mean']} ms |",
        f"| encode (bare {lat.get('encoder', 'torch')} encoder) | {e['n']} | {e['p50']} ms | {e['p95']} ms | {e['p99']} ms | {e['mean']} ms |",
        "",
        f"**ask p50 / encode p50 = {lat['ratio_p50']:.2f}** (goal <= 3, issue #11); median of the per-question ratios "
        f"{lat['ratio_paired_median']:.2f}.",
        "",
    ]
    st = lat.get("engine_stages") or {}
    if st:
        out += [f"From the answers' own timing record: encoding {st['encode_ms_p50']} ms, everything after it "
                f"(retrieval, scoring, span choice) {st['after_encode_ms_p50']} ms p50, {st['after_encode_ms_p95']} ms p95.", ""]
    c = lat["cached_ms"]
    out += ["### 2. Repeated questions (the LRU answer cache)", "",
            f"Same question and history again, cache of {lat['cached_cache_size']} entries: "
            f"**p50 {c['p50'] * 1000:.1f} us, p99 {c['p99'] * 1000:.1f} us** (n = {c['n']}).", ""]
    out += ["Follow-up questions whose history holds no assistant reply are read with the engine's own answer "
            "to the previous question (`QAEngine._previous_answer`): a cache hit in a real conversation, but a "
            "second full ask here with the cache off, so the figures above are pessimistic for follow-ups.", ""]
    prof = lat.get("profile") or {}
    if prof.get("stages_ms_per_ask"):
        out += ["### Where the time goes (pyinstrument, uncached asks)", "",
                f"Sampling profile of {prof['asks_profiled']} asks ({prof['total_ms_per_ask']} ms per ask under the "
                f"profiler; full tree in `{prof['text_report']}`). Inclusive time per ask:", "",
                "| stage | ms per ask | share |", "|---|---|---|"]
        total = prof["total_ms_per_ask"] or 1
        for name, ms in sorted(prof["stages_ms_per_ask"].items(), key=lambda kv: -kv[1]):
            out.append(f"| {name} | {ms:.3f} | {ms / total:.1%} |")
        out.append("")
        out += ["Top self time (where the CPU actually is; `read_question` above includes the nested ask of a "
                "follow-up's previous question):", "", "| function | ms per ask | share |", "|---|---|---|"]
        for row in prof.get("top_self", [])[:10]:
            out.append(f"| {_frame_label(row['function'])} | {row['ms_per_ask']:.3f} | {row['share']:.1%} |")
        out.append("")
    ov = lat.get("encode_overhead") or {}
    if "direct_forward_ms" in ov:
        out += [f"**SentenceTransformer.encode overhead.** The same query through the tokenizer and the transformer "
                f"directly (mean pooling + L2 normalisation, max difference {ov['max_abs_difference']:.1e}) takes "
                f"{ov['direct_forward_ms']['p50']} ms p50 against {ov['sentence_transformers_encode_ms']['p50']} ms for "
                f"`model.encode` (interleaved): **{ov['saving_p50']:.0%} of the encoder time is wrapper overhead** "
                "(input checks, module traversal, list/array conversions), worth removing from `TorchEncoder.encode_one`.", ""]
    return "\n".join(out)


def _encoders(en: dict[str, Any]) -> str:
    o, t, b = en["onnx"], en["torch"], en["bare_torch_model"]
    n = en["questions_per_server"]
    rows = [
        ("server: process start to first answered POST /api/ask", f"{o['server_to_first_answer_s']:.2f} s (x{o['server_over_bare']:.2f})",
         f"{t['server_to_first_answer_s']:.2f} s (x{t['server_over_bare']:.2f})"),
        ("engine alone: `QAEngine.load().ask(...)`", f"{o['engine_to_first_answer_s']:.2f} s (x{o['engine_over_bare']:.2f})",
         f"{t['engine_to_first_answer_s']:.2f} s (x{t['engine_over_bare']:.2f})"),
        ("server RSS after load (USS)", f"{o['rss_after_load_mb']:.0f} MB ({o['uss_after_load_mb']:.0f})",
         f"{t['rss_after_load_mb']:.0f} MB ({t['uss_after_load_mb']:.0f})"),
        (f"server RSS after {n:,} distinct questions", f"{o[f'rss_after_{n}_questions_mb']:.0f} MB", f"{t[f'rss_after_{n}_questions_mb']:.0f} MB"),
        ("server peak RSS (VmHWM, after the throughput runs too)", f"**{o['peak_rss_mb']:.0f} MB**", f"{t['peak_rss_mb']:.0f} MB"),
        ("warm ask p50 / p95 (cache off)", f"**{o['ask_p50_ms']} / {o['ask_p95_ms']} ms**", f"{t['ask_p50_ms']} / {t['ask_p95_ms']} ms"),
        ("bare encoder p50 / p95 (`encode_one`)", f"**{o['encode_p50_ms']} / {o['encode_p95_ms']} ms**", f"{t['encode_p50_ms']} / {t['encode_p95_ms']} ms"),
    ]
    for c in o["throughput_rps"]:
        rows.append((f"HTTP /api/ask, {c} client(s): req/s, p50", f"{o['throughput_rps'][c]} req/s, {o['http_p50_ms'][c]} ms",
                     f"{t['throughput_rps'][c]} req/s, {t['http_p50_ms'][c]} ms"))
    out = ["## 0. Encoders: onnx (default) against torch", "",
           f"Interleaved in one run, {en['rounds']} rounds, the encoders' order alternating (see `benchmarks/encoders.py`). "
           f"The bare torch model (import sentence-transformers, load MiniLM, encode one question) took "
           f"**{b['to_first_answer_s']:.2f} s** from process start; the `x` figures are against it.", "",
           "| | onnx | torch |", "|---|---|---|"]
    out += [f"| {a} | {x} | {y} |" for a, x, y in rows]
    out += ["", f"HTTP errors: onnx {o['http_errors']}, torch {t['http_errors']}. torch imported by the onnx engine: "
            f"{'yes' if o['engine_loads_torch'] else 'no'}.", ""]
    return "\n".join(out)


def _cold(cs: dict[str, Any]) -> str:
    e, b = cs["engine"], cs["bare"]
    sv = cs.get("server")
    server_rows = [] if not sv else [
        f"| server: `colnato-qa serve`, first `POST /api/ask` | **{sv['to_first_answer_s']:.2f} s** | | | chat page at {sv['to_chat_page_s']:.2f} s |"]
    server_text = [] if not sv else [
        f"Server / bare = **{cs['server_over_bare']:.2f}** (issue #19: <= 0.35). The server answers the API as soon as "
        f"the engine is loaded; Gradio is imported and the chat page mounted in the background (503 with Retry-After "
        f"until then). Its peak RSS with the page mounted, after 200 more questions: **{sv['peak_rss_mb']:.0f} MB**; "
        f"torch's libraries mapped into it: **{'yes' if sv['torch_mapped'] else 'no'}**.", ""]
    return "\n".join([
        "## 3. Cold start", "",
        f"Process start to first answer, median of {cs['runs_each']} runs each, alternating, index already built. "
        "`import` / `load` / `first ask` are the child's own timings.", "",
        "| | to first answer | import | load | first ask |", "|---|---|---|---|---|",
        *server_rows,
        f"| engine: `QAEngine.load().ask(...)` | **{e['to_first_answer_s']:.2f} s** | {e['import_s']:.2f} s | {e['load_s']:.2f} s | {e['ask_s'] * 1000:.0f} ms |",
        f"| bare: `SentenceTransformer(path).encode(...)` | **{b['to_first_answer_s']:.2f} s** | {b['import_s']:.2f} s | {b['load_s']:.2f} s | {b['ask_s'] * 1000:.0f} ms |",
        "",
        *server_text,
        f"Engine / bare = **{cs['ratio']:.2f}** ({cs['extra_s']:+.2f} s). `import colnato_qa` is lazy, so the "
        "engine's `load` column holds the encoder's imports too (onnxruntime by default; torch with the torch encoder).", "",
    ])


def _replicas(rep: dict[str, Any]) -> str:
    t = rep["through_nginx"]
    rows = [f"| {n} | {t[n]['throughput_rps']} | x{t[n]['over_one_replica']:.2f} | {t[n]['p50_ms']} / {t[n]['p95_ms']} ms | {t[n]['errors']} |"
            for n in ("1", "2", "3")]
    return "\n".join([
        "## 4b. Replicas behind nginx", "",
        f"`deploy/replicas.py up` (N replicas of `colnato-qa serve` on one index, nginx in front: deploy/nginx.conf), "
        f"{rep['clients']} closed-loop clients through nginx, distinct questions, up to {rep['requests_per_run']} requests "
        f"or {rep['time_cap_s']:g} s per run, median of {rep['rounds']} round(s) (counts in alternating order).", "",
        "| replicas | req/s | vs 1 replica | p50 / p95 | errors |", "|---|---|---|---|---|", *rows, "",
        f"One replica without nginx, same load: {rep['one_replica_direct_rps']} req/s. The replicas, nginx and the load "
        "generator share the machine's 2 cores, so a second replica adds the second core's worth at most and a third only "
        "competes for the same two: more replicas than cores buy failover, not throughput.", "",
    ])


def _server_setting(h: dict[str, Any], name: str) -> Any:
    """A limit the http benchmark's server ran with (results from before the limits were settings name
    them in capitals)."""
    recorded = h.get("server_defaults", {})
    return recorded.get(name, recorded.get(name.upper()))


def _http(h: dict[str, Any]) -> str:
    out = ["## 4. HTTP: /api/ask under load", "",
           f"Real server (`uvicorn colnato_qa.web.server:create_app --factory`, one worker) on 127.0.0.1; clients are "
           f"asyncio tasks on one `httpx.AsyncClient` in the benchmark process (same 2 cores), closed loop, "
           f"{h['per_level']} requests per level, each a different question (no cache hits), time cap {h['time_cap_s']:.0f} s. "
           f"Server settings: `api_max_concurrent={_server_setting(h, 'api_max_concurrent')}`, "
           f"`api_max_waiting={_server_setting(h, 'api_max_waiting')}`. Server ready in {h.get('server_ready_s')} s.", "",
           "| clients | requests | ok | errors | throughput | p50 | p95 | p99 |", "|---|---|---|---|---|---|---|---|"]
    for lv in h.get("levels", []):
        l = lv["latency_ms"]
        out.append(f"| {lv['concurrency']} | {lv['responses']} | {lv['ok']} | {lv['errors']} | {lv['throughput_rps']} req/s | "
                   f"{l['p50']} ms | {l['p95']} ms | {l['p99']} ms |")
    hot = h.get("cache_hot_8_clients")
    if hot:
        l = hot["latency_ms"]
        out.append(f"| 8, cache hot (one question) | {hot['responses']} | {hot['ok']} | {hot['errors']} | {hot['throughput_rps']} req/s | "
                   f"{l['p50']} ms | {l['p95']} ms | {l['p99']} ms |")
    out.append("")
    floor = h.get("healthz_1_client_ms")
    asgi = h.get("asgi_in_process")
    if floor or asgi:
        out += ["Where the HTTP time goes (1 client): "
                + (f"`GET /healthz` on a kept-alive connection takes {floor['p50']} ms p50 (the HTTP floor); " if floor else "")
                + (f"`/api/ask` through the ASGI app in-process (no sockets) takes {asgi['asgi_ms']['p50']} ms against "
                   f"{asgi['engine_ms']['p50']} ms for `engine.ask` (interleaved), so the web stack itself adds "
                   f"**{asgi['overhead_p50_ms']} ms**; the rest of the 1-client latency is the Python HTTP client "
                   "(httpx, in the benchmark process on the same 2 cores), uvicorn's socket handling and the two "
                   "processes taking turns on the CPU." if asgi else ""), ""]
    sweep = h.get("bound_sweep") or []
    if sweep:
        rounds = sweep[0].get("rounds")
        out += ["### Choosing the concurrency bound", "",
                "All configurations below were up at the same time and measured in rotating order, "
                f"{rounds} rounds of the same 32-client load (medians), then one client alone. `bound` is the "
                "server's `/api/ask` limit (the `api_max_concurrent` setting, given to each server as "
                "`COLNATO_QA_API_MAX_CONCURRENT`); `x 1 torch thread` runs the server with "
                "`OMP_NUM_THREADS=1` (it limits torch's threads; the default onnx encoder runs one thread per call "
                "either way); with 2 processes the clients are spread evenly over both "
                "(round-robin, as a balancer would). Runs are short and seven servers are resident at once, so "
                "absolute figures sit below the table above: compare the rows with each other.", "",
                "| configuration | 32 clients: throughput (runs) | p50 | p95 | errors | 1 client: p50 |",
                "|---|---|---|---|---|---|"]
        for s_ in sweep:
            runs = ", ".join(str(x) for x in s_["throughput_runs"])
            out.append(f"| {s_['config']} | **{s_['throughput_rps']} req/s** ({runs}) | {s_['p50_ms']} ms | "
                       f"{s_['p95_ms']} ms | {s_['errors']} | {s_['single_client_p50_ms']} ms |")
        rec = h.get("recommendation") or {}
        out += ["", f"**Recommendation: `api_max_concurrent = {rec.get('api_max_concurrent')}` and "
                f"`chat_concurrency_limit = {rec.get('gradio_default_concurrency_limit')}` (Gradio's "
                "`default_concurrency_limit`)** "
                f"({rec.get('rule')}). Past about one encoder call per core, more "
                "engine calls at once share the same CPU: throughput stays flat and each answer waits longer, "
                "while a small bound keeps latency predictable and leaves bursts to the waiting room (503 + "
                "`Retry-After` beyond `api_max_waiting`). Both doors, the API and the chat page, feed the same "
                "engine on the same cores, so they get the same bound."]
        other = rec.get("best_single_threaded")
        if other:
            out += ["", f"Single-threaded workers do better for this workload: **{other['config']}** served "
                    f"{other['throughput_rps']} req/s ({other['gain_over_choice']:+.0%} against the recommended "
                    f"single-process setting) at {other['p95_ms']} ms p95, and one client alone still gets "
                    f"{other['single_client_p50_ms']} ms p50: a one-sentence encoding is too small for two "
                    "threads to split well, while two encodings on one thread each keep both cores busy. "
                    "So on 2 cores run workers with `OMP_NUM_THREADS=1`, one per core (docs/scaling.md)."]
        out.append("")
    return "\n".join(out)


def _memory(m: dict[str, Any]) -> str:
    p = m["processes"]
    s = m["soak"]
    out = ["## 6. Memory", "",
           "RSS (and USS, the memory only that process holds) after loading and answering one question; "
           "median of 2 runs each, alternating.", "",
           "| process | RSS | USS | RSS / bare |", "|---|---|---|---|",
           f"| bare: sentence-transformers + model + one encode | {p['bare']['rss_mb']:.0f} MB | {p['bare']['uss_mb']:.0f} MB | 1.00 |",
           f"| engine: `QAEngine.load()` + one ask | {p['engine']['rss_mb']:.0f} MB | {p['engine']['uss_mb']:.0f} MB | {m['engine_over_bare']:.2f} |",
           f"| server: uvicorn + FastAPI + Gradio + engine | {p['server']['rss_mb']:.0f} MB | {p['server']['uss_mb']:.0f} MB | {m['server_over_bare']:.2f} |",
           ] + ([f"| bare + `import gradio, fastapi, uvicorn` (no app) | {p['bare_web']['rss_mb']:.0f} MB | {p['bare_web']['uss_mb']:.0f} MB | {p['bare_web']['rss_mb'] / p['bare']['rss_mb']:.2f} |"]
                if "bare_web" in p else []) + [
           "",
           f"Goal: server within 10% of bare (x1.10). The engine itself (index, BM25, passages, answer code) adds "
           f"{p['engine']['rss_mb'] - p['bare']['rss_mb']:.0f} MB over the bare model; the web stack adds "
           f"{p['server']['rss_mb'] - p['engine']['rss_mb']:.0f} MB"
           + (f", of which {m['web_imports_mb']:.0f} MB is merely importing Gradio, FastAPI and uvicorn" if "web_imports_mb" in m else "")
           + ".", "",
           (f"(The soak stopped at its time cap of {s['capped_at_s']:.0f} s on this shared machine.) " if s.get("capped_at_s") else "") +
           f"**Soak: {s['questions']:,} distinct questions through one engine** ({s['asks_per_s']} asks/s, every 7th "
           f"with a history): RSS {s['rss_start_mb']} MB at start, "
           + (f"{s['rss_end_mb']} MB at the end ({s['growth_total_mb']:+.1f} MB); the {s['cache_size']}-entry answer "
              "cache never filled in this run, so all of the growth may be cache." if s.get("cache_never_filled") else
              f"{s['rss_cache_full_mb']} MB when the answer cache was full ({s['cache_size']} entries, after "
              f"{s['cache_full_at']:,} questions), {s['rss_end_mb']} MB at the end: **{s['growth_after_cache_full_mb']:+.1f} MB "
              f"after the cache filled**, {s['growth_total_mb']:+.1f} MB in all (the bounded cache)."), "",
           "| questions asked | RSS | cache entries |", "|---|---|---|"]
    samples = s.get("samples", [])
    step = max(1, len(samples) // 10)
    for row in samples[::step] + ([samples[-1]] if samples and samples[-1] not in samples[::step] else []):
        out.append(f"| {row['asked']:,} | {row['rss_mb']:.1f} MB | {row['cache_entries']} |")
    out.append("")
    return "\n".join(out)


def _scale(sc: dict[str, Any]) -> str:
    pts = sc["points"]
    out = ["## 5. Scale: synthetic corpora, exact vs approximate search", "",
           "Synthetic corpora: the article's sentences recombined, 2 to 4 per paragraph (seed 1234), 200 "
           "paragraphs per `.md` document. **Which numbers use real embeddings:**", ""]
    for p in pts:
        if p["kind"] == "engine" and p["embeddings"] == "real":
            out.append(f"* {p['paragraphs']:,} paragraphs: the whole engine with the **real** MiniLM embedder "
                       f"({p['flat']['texts_embedded']:,} texts embedded at {p.get('embed_rate_texts_per_s')} texts/s).")
        elif p["kind"] == "engine":
            out.append(f"* {p['paragraphs']:,} paragraphs: the whole engine (chunking, FAISS, BM25, save, load, ask) "
                       "with **proxy vectors** for the corpus (the normalised mean of the article sentences' real vectors "
                       "plus noise; questions embedded for real). Build times exclude real embedding.")
        else:
            out.append(f"* {p['paragraphs']:,} paragraphs: **components only** (FAISS flat and HNSW, BM25) on proxy "
                       "vectors, real question vectors; chunking cost measured on 2,000 paragraphs and extrapolated; "
                       "embedding time extrapolated from the real rate above.")
    out += ["", "Through the engine (flat, then HNSW via `Settings.approximate_above`; the HNSW build reuses the "
            "flat build's vectors):", "",
            "| paragraphs (searchable passages) | embeddings | index | build | index on disk | load | RSS serving | ask p50 / p95 | dense search p50 | BM25 p50 | sentence search p50 |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for p in pts:
        if p["kind"] != "engine":
            continue
        d = p["dense"]
        for name in ("flat", "hnsw"):
            x = p[name]
            build = f"{x['build_s']} s"
            if name == "flat":
                build += f" ({p['flat']['embed_s']} s embedding)"
            else:
                build += " (vectors reused)"
            rss = f"{p['serve_flat']['rss_mb']:.0f} MB" if name == "flat" else "-"
            out.append(f"| {p['paragraphs']:,} ({p['counts']['searchable_passages']:,}) | {p['embeddings']} | {name} | {build} | "
                       f"{_mb(x['index_bytes'])} | {x['load_s']} s | {rss} | {x['ask_ms']['p50']} / {x['ask_ms']['p95']} ms | "
                       f"{d[name + '_search_ms']['p50']} ms | {x['bm25_search_ms']['p50']} ms | "
                       + (f"{x['sentence_search_ms']['p50']} ms ({_mb(x['sentence_matrix_bytes'])} matrix) |"
                          if x.get("sentence_search_ms") else ("off |" if "sentence_retriever" in x else "- |")))
    blas = [(p["paragraphs"], p["flat"]["ask_ms"]["p50"], p["flat"]["ask_ms_blas_1_thread"]["p50"])
            for p in pts if p["kind"] == "engine" and p["flat"].get("ask_ms_blas_1_thread")]
    if blas:
        out += ["", "**Thread oversubscription.** With the flat index the sentence retriever runs a numpy matrix-vector "
                "product over all sentence vectors; numpy's OpenBLAS then starts its own 2-thread pool, which spins "
                "against torch's 2 threads on the same 2 cores and slows the *encoder*. The same asks with BLAS held "
                "to one thread (`threadpoolctl.threadpool_limits(1, \"blas\")`): "
                + ", ".join(f"{n:,} paragraphs {a} ms -> **{b} ms** p50" for n, a, b in blas) + "."]
    out += ["", "The engine's sentence-level retriever (exact search over every sentence and sentence-window "
            "vector, a third ranking in the hybrid fusion) is switched on only while the corpus has at most "
            "`approximate_above` sentences, so in the rows above it runs with the flat index (where "
            "`approximate_above` was set huge) and not with HNSW (set to 1): part of the ask-latency difference "
            "between the two rows is that retriever, not FAISS.",
            "", "Dense search alone (single query, top 10, real question vectors) and HNSW recall@10 against the exact result:", "",
            "| vectors | flat build | HNSW build | flat size | HNSW size | flat p50 | HNSW p50 | recall@10 (min) |",
            "|---|---|---|---|---|---|---|---|"]
    for p in pts:
        d = p["dense"]
        n = p["counts"]["searchable_passages"] if "counts" in p else p["paragraphs"]
        fb = p["flat"].get("faiss_bytes")
        hb = p["hnsw"].get("faiss_bytes")
        fbuild = "-" if p["kind"] == "engine" else f"{p['flat']['build_s']} s"
        hbuild = "-" if p["kind"] == "engine" else f"{p['hnsw']['build_s']} s"
        out.append(f"| {n:,} | {fbuild} | {hbuild} | {_mb(fb)} | {_mb(hb)} | {d['flat_search_ms']['p50']} ms | "
                   f"{d['hnsw_search_ms']['p50']} ms | {d['recall_at_10']:.4f} ({d['recall_at_10_min']}) |")
    comp = [p for p in pts if p["kind"] == "components"]
    if comp:
        out += ["", "The rest of a build and of the memory at the component sizes (sentence splitting and token "
                "counting measured on 2,000 paragraphs and extrapolated; embedding extrapolated from the real rate "
                "measured above, for the ~2 texts per sentence the engine embeds: passage, sentences, sentence windows):", "",
                "| paragraphs | BM25 build | BM25 on disk | BM25 query p50 | chunking | passage vectors | sentence + window vectors | real embedding (extrapolated) | peak RSS |",
                "|---|---|---|---|---|---|---|---|---|"]
        for p in comp:
            emb = f"~{p['embedding_extrapolated_s'] / 3600:.1f} h" if p.get("embedding_extrapolated_s") else "-"
            out.append(f"| {p['paragraphs']:,} | {p['bm25']['build_s']} s | {_mb(p['bm25']['bytes'])} | "
                       f"{p['bm25']['search_ms']['p50']} ms | {p['chunking']['extrapolated_s']:.0f} s "
                       f"({p['chunking']['ms_per_paragraph']} ms/paragraph) | {_mb(p['vectors_bytes']['passages'])} | "
                       f"~{_mb(p['vectors_bytes']['sentences_and_windows_estimate'])} | {emb} | {p['peak_rss_mb']:.0f} MB |")
    rec = sc["recommendation"]
    curve = ", ".join(f"{c['passages']:,}: {c['flat_search_p50_ms']} ms" for c in rec["flat_curve"])
    out += ["", f"**Recommendation: `approximate_above = {rec['approximate_above']:,}`** (now 50,000 in settings.py). "
            f"Rule: {rec['rule']}; budget {rec['budget_ms']} ms = 20% of the encoder's {rec['encode_p50_ms_used']} ms p50. "
            f"Exact search p50 by size: {curve}; threshold {rec['raw_threshold_passages']:,} passages. "
            "Exact search is one pass over all vectors per question, so it grows linearly (and turns memory-bound "
            "once the vectors outgrow the CPU caches), while HNSW stays well under a millisecond with recall@10 "
            "above 0.99 here. HNSW's costs are build time (seconds at 10k, minutes at 100k, still small beside "
            "embedding) and ~20% more memory for the graph. Changing the setting changes the manifest, so "
            "existing indexes rebuild once (reusing their vectors).", ""]
    return "\n".join(out)


def render(results_dir: Path, quick: bool = False) -> str:
    r = _load(results_dir)
    parts = ["# Benchmarks", "",
             "Speed, scale and memory of colnato-qa, measured by `python -m benchmarks` "
             "(generated file: edit `benchmarks/report.py`, not this)." + (" **Quick run: smaller samples.**" if quick else ""),
             "", _headline(r), _machine(r), HOW_TO_RUN]
    if "encoders" in r:
        parts.append(_encoders(r["encoders"]))
    if "latency" in r:
        parts.append(_latency(r["latency"]))
    if "cold_start" in r:
        parts.append(_cold(r["cold_start"]))
    if "http_load" in r:
        parts.append(_http(r["http_load"]))
    if "replicas" in r:
        parts.append(_replicas(r["replicas"]))
    if "scale" in r:
        parts.append(_scale(r["scale"]))
    if "memory" in r:
        parts.append(_memory(r["memory"]))
    secs = {k: v.get("seconds") for k, v in r.items()}
    parts.append("## Run times\n\n" + ", ".join(f"{k} {v} s" for k, v in secs.items()) +
                 f" (total {sum(v or 0 for v in secs.values()):.0f} s).\n")
    return "\n".join(parts)


def write_readme(results_dir: Path, quick: bool = False) -> Path:
    target = (results_dir / "README.md") if quick else (HERE / "README.md")
    target.write_text(render(results_dir, quick), encoding="utf-8")
    return target
