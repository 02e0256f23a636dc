"""Warm answer latency against the bare encoder, the answer cache, and where the time goes.

* ``ask``: ``engine.variant(cache_size=0).ask(question, history)`` - the whole pipeline.
* ``encode``: ``engine.embedder.encode_one(question)`` - one call of the engine's own encoder
  (onnx by default) on the same question, the floor no pipeline can go under.

The two are interleaved per question (order alternating by question and round) over several
rounds, so the machine's noise hits both alike. The headline is ask_p50 / encode_p50 (goal
<= 1.3), with the median of per-question paired ratios beside it.
"""

from __future__ import annotations

import io
import time
from collections import defaultdict
from typing import Any

from . import ROOT, load_questions, log, median, summary_ms


def _interleaved(engine, encoder, items, rounds: int) -> tuple[list[float], list[float], list[float]]:
    ask_t: list[float] = []
    enc_t: list[float] = []
    paired: list[float] = []
    clock = time.perf_counter
    for r in range(rounds):
        for i, (q, history) in enumerate(items):
            order = ("ask", "enc") if (i + r) % 2 == 0 else ("enc", "ask")
            took = {}
            for which in order:
                if which == "ask":
                    t = clock()
                    engine.ask(q, history)
                    took["ask"] = clock() - t
                else:
                    t = clock()
                    encoder.encode_one(q)
                    took["enc"] = clock() - t
            ask_t.append(took["ask"])
            enc_t.append(took["enc"])
            paired.append(took["ask"] / took["enc"])
    return ask_t, enc_t, paired


def _cached(engine, items, rounds: int) -> list[float]:
    for q, h in items:  # fill the cache
        engine.ask(q, h)
    out = []
    clock = time.perf_counter
    for _ in range(rounds):
        for q, h in items:
            t = clock()
            engine.ask(q, h)
            out.append(clock() - t)
    return out


def _stages(engine, items, rounds: int) -> dict[str, Any]:
    """Engine stage timings from the answer's own trace (encode vs the rest)."""
    enc, total, short = [], [], []
    for _ in range(rounds):
        for q, h in items:
            trace = engine.ask(q, h).trace
            if trace is not None and trace.retrieval is not None:
                enc.append(trace.retrieval.encode_ms)
                total.append(trace.total_ms)
            if trace is not None and trace.short_answer is not None:
                short.append(trace.short_answer.ms)
    rest = [t - e for t, e in zip(total, enc)]
    return {
        "answers_with_timings": len(total),
        "encode_ms_p50": round(median(enc), 3),
        "after_encode_ms_p50": round(median(rest), 3),
        "after_encode_ms_p95": round(sorted(rest)[int(0.95 * (len(rest) - 1))], 3) if rest else None,
        # Short-answer extraction (components/short_answer.py), timed inside each answered ask.
        "short_answer_ms_p50": round(median(short), 3) if short else None,
        "short_answer_ms_p95": round(sorted(short)[int(0.95 * (len(short) - 1))], 3) if short else None,
    }


def _direct_forward(model):
    """One query through the tokenizer and the transformer directly (mean pooling + L2 norm, as
    the model's own Pooling and Normalize modules do): what SentenceTransformer.encode costs
    above the network itself."""
    import torch

    tokenizer = model.tokenizer
    auto = model[0].auto_model
    max_len = model.max_seq_length

    def encode(text: str):
        with torch.inference_mode():
            feats = tokenizer([text], padding=True, truncation=True, max_length=max_len, return_tensors="pt")
            out = auto(**feats).last_hidden_state
            mask = feats["attention_mask"].unsqueeze(-1).to(out.dtype)
            vec = (out * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(vec, dim=1).numpy()

    return encode


def _encode_overhead(model, items, rounds: int) -> dict[str, Any]:
    import numpy as np

    try:
        direct = _direct_forward(model)
        worst = max(float(np.abs(direct(q) - model.encode([q], normalize_embeddings=True)).max()) for q, _ in items[:10])
    except Exception as exc:  # pragma: no cover - another model layout
        return {"error": repr(exc)}
    st_t, direct_t = [], []
    clock = time.perf_counter
    for r in range(rounds):
        for i, (q, _) in enumerate(items):
            for which in (("st", "direct") if (i + r) % 2 == 0 else ("direct", "st")):
                t = clock()
                if which == "st":
                    model.encode([q], normalize_embeddings=True)
                    st_t.append(clock() - t)
                else:
                    direct(q)
                    direct_t.append(clock() - t)
    st_s, direct_s = summary_ms(st_t), summary_ms(direct_t)
    return {
        "sentence_transformers_encode_ms": st_s,
        "direct_forward_ms": direct_s,
        "saving_p50": round(1 - direct_s["p50"] / st_s["p50"], 3),
        "max_abs_difference": worst,
    }


def _profile(engine, items, rounds: int) -> dict[str, Any]:
    """Sampling profile (pyinstrument) of uncached asks; time aggregated by function."""
    try:
        from pyinstrument import Profiler
    except ImportError:  # pragma: no cover
        return {"error": "pyinstrument not installed"}
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(rounds):
        for q, h in items:
            engine.ask(q, h)
    profiler.stop()
    session = profiler.last_session
    root = session.root_frame()
    total = root.time if root is not None else 0.0
    inclusive: dict[str, float] = defaultdict(float)
    own: dict[str, float] = defaultdict(float)

    def label(frame) -> str:
        path = (frame.file_path_short or frame.file_path or "?").replace("\\", "/")
        for marker in ("site-packages/", "src/"):
            if marker in path:
                path = path.split(marker, 1)[1]
        return f"{frame.function} ({path}:{frame.line_no})"

    def walk(frame, on_stack: frozenset[str]) -> None:
        name = label(frame)
        if name not in on_stack:   # count recursion once
            inclusive[name] += frame.time
        if not frame.function.startswith("[self]"):  # a [self] pseudo-frame is already in its parent's total_self_time
            own[name] += frame.total_self_time if hasattr(frame, "total_self_time") else 0.0
        for child in frame.children:
            walk(child, on_stack | {name})

    if root is not None:
        walk(root, frozenset())
    n_asks = rounds * len(items)

    def top(table: dict[str, float], k: int) -> list[dict[str, Any]]:
        rows = sorted(table.items(), key=lambda kv: -kv[1])[:k]
        return [{"function": f, "ms_per_ask": round(t * 1000 / n_asks, 3), "share": round(t / total, 3)}
                for f, t in rows if total > 0]

    import benchmarks

    text = profiler.output_text(unicode=False, color=False, show_all=False)
    benchmarks.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    profile_path = benchmarks.RESULTS_DIR / "profile_ask.txt"
    profile_path.write_text(text, encoding="utf-8")
    # Named pipeline stages (inclusive time), the figures the README quotes.
    wanted = {
        "QAEngine.ask": "ask (",
        "AskRequest.parse": "parse (colnato_qa/request.py",
        "read_question": "read_question (",
        "meta_intent": "meta_intent (",
        "encoder.encode_one": "encode_one (colnato_qa/encoders/",
        "SentenceTransformer.encode": "encode (sentence_transformers/",
        "tokenize": "tokenize (sentence_transformers/",
        "model forward": "forward (sentence_transformers/",
        "_retrieve": "_retrieve (",
        "DenseRetriever.search": "search (colnato_qa/retrieval/dense.py",
        "BM25Retriever.search": "search (colnato_qa/retrieval/bm25.py",
        "content_terms": "content_terms (",
        "SentenceSelector.run": "run (colnato_qa/answering.py",
        "type_match": "type_match (",
    }
    stages = {}
    for name, prefix in wanted.items():
        hits = [t for f, t in inclusive.items() if f.startswith(prefix)]
        if hits:
            stages[name] = round(max(hits) * 1000 / n_asks, 3)
    return {
        "asks_profiled": n_asks,
        "total_ms_per_ask": round(total * 1000 / n_asks, 3) if n_asks else None,
        "stages_ms_per_ask": stages,
        "top_inclusive": top(inclusive, 25),
        "top_self": top(own, 15),
        "text_report": str(profile_path.relative_to(ROOT)),
    }


def run(quick: bool = False) -> dict[str, Any]:
    from colnato_qa import QAEngine

    items, source = load_questions()
    rounds = 2 if quick else 5
    log(f"latency: loading engine; {len(items)} questions from {source}, {rounds} rounds")
    base = QAEngine.load()
    engine = base.variant(cache_size=0)
    encoder = engine.embedder
    for q, h in items:  # warm up both paths (tokenizer caches, kernels, sentence-term caches)
        engine.ask(q, h)
        encoder.encode_one(q)

    ask_t, enc_t, paired = _interleaved(engine, encoder, items, rounds)
    ask = summary_ms(ask_t)
    enc = summary_ms(enc_t)
    log(f"latency: ask p50 {ask['p50']} ms, encode p50 {enc['p50']} ms, ratio {ask['p50'] / enc['p50']:.2f}")

    cached_engine = base.variant()  # the configured cache size
    cached = summary_ms(_cached(cached_engine, items, 20 if not quick else 5), digits=4)
    log(f"latency: cached p50 {cached['p50'] * 1000:.1f} us, p99 {cached['p99'] * 1000:.1f} us")

    stages = _stages(engine, items, 1)
    if stages.get("short_answer_ms_p50") is not None:
        # Goal (issue #12): short answers add at most 0.3x one encoder pass to the warm answer p50.
        stages["short_answer_share_of_encode_p50"] = round(stages["short_answer_ms_p50"] / enc["p50"], 3)
        log(f"latency: short answer p50 {stages['short_answer_ms_p50']} ms "
            f"= {stages['short_answer_share_of_encode_p50']} x encode p50 (goal <= 0.3)")
    overhead = (_encode_overhead(encoder.model, items, 2 if quick else 3) if encoder.backend == "torch"
                else {"skipped": "sentence-transformers' wrapper overhead applies to the torch encoder only"})
    profile = _profile(engine, items, 2 if quick else 3)

    return {
        "questions": len(items),
        "question_source": source,
        "rounds": rounds,
        "ask_ms": ask,
        "encode_ms": enc,
        "ratio_p50": round(ask["p50"] / enc["p50"], 3),
        "ratio_paired_median": round(median(paired), 3),
        "goal_ratio": 3.0,            # issue #11: at most 3x one encoder pass
        "cached_ms": cached,
        "cached_cache_size": cached_engine.settings.cache_size,
        "engine_stages": stages,
        "encode_overhead": overhead,
        "profile": profile,
        "encoder": encoder.backend,
        "settings": base.settings.to_dict(),
        "index": {k: base.manifest.get(k) for k in ("index_type", "counts", "generation")},
    }


if __name__ == "__main__":  # pragma: no cover
    import json

    print(json.dumps(run(quick=True), indent=2))
