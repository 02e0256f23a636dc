"""Scale: synthetic corpora of 1k, 10k and 100k paragraphs; exact (flat) against approximate (HNSW).

* 1k paragraphs: the whole engine with the **real** embedder: build (chunking, embedding,
  FAISS, BM25, save), index size on disk, load time, RSS of a process serving it, ask latency;
  flat and HNSW both built through ``Settings.approximate_above`` (the HNSW build reuses the
  flat build's vectors, as the engine does for any rebuild with the same model).
* 10k paragraphs: the same, with ``ProxyEmbedder`` (vectors from the article sentences' real
  vectors; questions embedded for real): every figure but the embedding time is the engine's.
* 100k paragraphs: components only - FAISS flat and HNSW (build, size, search latency,
  recall@10), BM25 (build, size, query latency), sentence splitting + token counting cost
  measured on a sample and extrapolated, embedding time extrapolated from the 1k real rate.

Recall@10 of HNSW is measured against the flat index with the real question vectors of the
gold set. Each point runs in its own process (clean RSS); scratch files go to
``benchmarks/results/tmp/`` and are deleted.
"""

from __future__ import annotations

import json
import resource
import shutil
import time
from pathlib import Path
from typing import Any

from . import ROOT, TMP_DIR, load_questions, log, median, run_child_json, summary_ms


def _du(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _timed_encoder(embedder) -> dict[str, float]:
    """Wrap ``embedder.encode`` to count texts and seconds (an instance attribute shadows the method)."""
    stats = {"texts": 0, "seconds": 0.0}
    inner = embedder.encode

    def encode(texts, batch_size=None):
        t = time.perf_counter()
        out = inner(texts, batch_size=batch_size)
        stats["seconds"] += time.perf_counter() - t
        stats["texts"] += len(texts)
        return out

    embedder.encode = encode
    return stats


def _search_stats(flat, hnsw, q_vecs, k: int = 10) -> dict[str, Any]:
    import numpy as np

    recalls, t_flat, t_hnsw = [], [], []
    for q in q_vecs:
        q = np.ascontiguousarray(q.reshape(1, -1), dtype=np.float32)
        t = time.perf_counter()
        _, a = flat.search(q, k)
        t_flat.append(time.perf_counter() - t)
        t = time.perf_counter()
        _, b = hnsw.search(q, k)
        t_hnsw.append(time.perf_counter() - t)
        truth = set(int(x) for x in a[0] if x >= 0)
        recalls.append(len(truth & set(int(x) for x in b[0] if x >= 0)) / max(len(truth), 1))
    return {
        "recall_at_10": round(sum(recalls) / len(recalls), 4),
        "recall_at_10_min": round(min(recalls), 3),
        "flat_search_ms": summary_ms(t_flat, digits=3),
        "hnsw_search_ms": summary_ms(t_hnsw, digits=3),
    }


SERVE = """
import json, sys, time, psutil
from pathlib import Path
from colnato_qa.engine import QAEngine
from colnato_qa.settings import Settings
corpus, index, above = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
t = time.perf_counter()
e = QAEngine.load(corpus, index, Settings(approximate_above=above))
load_s = time.perf_counter() - t
e.ask("When was the ITPP signed?")
print(json.dumps({"load_s": load_s, "rss_mb": psutil.Process().memory_info().rss / 2**20,
                  "rebuilt": e.manifest.get("built_at") is None}))
"""


def _ask_times(engine, items) -> list[float]:
    """Seconds for each (question, history) asked once, in order."""
    times = []
    for q, h in items:
        t = time.perf_counter()
        engine.ask(q, h)
        times.append(time.perf_counter() - t)
    return times


def engine_point(n: int, mode: str) -> dict[str, Any]:
    """Build, load and query a synthetic corpus of ``n`` paragraphs through the engine."""
    import faiss

    from colnato_qa.encoders import make_encoder
    from colnato_qa.engine import QAEngine
    from colnato_qa.settings import Settings

    from .synthetic import ProxyEmbedder, article_sentences, write_corpus

    work = TMP_DIR / f"scale-{n}"
    shutil.rmtree(work, ignore_errors=True)
    corpus, idx_flat, idx_hnsw = work / "corpus", work / "index-flat", work / "index-hnsw"
    write_corpus(corpus, n)
    real = make_encoder(None, "onnx", ROOT / "index")  # the project's export, made once
    real.encode(["warm up"])
    embedder = real if mode == "real" else ProxyEmbedder(real, article_sentences())
    enc = _timed_encoder(embedder)
    flat_settings = Settings(approximate_above=10**9)
    hnsw_settings = Settings(approximate_above=1)
    out: dict[str, Any] = {"paragraphs": n, "embeddings": mode}

    t = time.perf_counter()
    e_flat = QAEngine.build(corpus, idx_flat, flat_settings, embedder=embedder)
    build_flat = time.perf_counter() - t
    counts = e_flat.manifest["counts"]
    out["counts"] = counts
    out["flat"] = {"build_s": round(build_flat, 2), "embed_s": round(enc["seconds"], 2),
                   "texts_embedded": enc["texts"], "index_bytes": _du(idx_flat),
                   "faiss_bytes": _du(idx_flat / e_flat.manifest["generation"] / "passages.faiss")}
    if mode == "real" and enc["seconds"] > 0:
        out["embed_rate_texts_per_s"] = round(counts["embedded_now"] / enc["seconds"], 1)
    out["build_without_embedding_s"] = round(build_flat - enc["seconds"], 2)

    shutil.copytree(idx_flat, idx_hnsw)  # same vectors: the HNSW build reuses them
    enc["seconds"], enc["texts"] = 0.0, 0
    t = time.perf_counter()
    e_hnsw = QAEngine.build(corpus, idx_hnsw, hnsw_settings, embedder=embedder)
    build_hnsw = time.perf_counter() - t
    out["hnsw"] = {"build_s": round(build_hnsw, 2), "embedded_now": e_hnsw.manifest["counts"]["embedded_now"],
                   "index_type": e_hnsw.manifest["index_type"], "index_bytes": _du(idx_hnsw),
                   "faiss_bytes": _du(idx_hnsw / e_hnsw.manifest["generation"] / "passages.faiss")}
    out["flat"]["index_type"] = e_flat.manifest["index_type"]
    out["peak_rss_build_mb"] = _peak_rss_mb()

    for name, idx, s in (("flat", idx_flat, flat_settings), ("hnsw", idx_hnsw, hnsw_settings)):
        t = time.perf_counter()
        engine = QAEngine.load(corpus, idx, s, embedder=embedder)
        out[name]["load_s"] = round(time.perf_counter() - t, 2)
        uncached = engine.variant(cache_size=0)
        items, _ = load_questions()
        for q, h in items[:10]:
            uncached.ask(q, h)
        out[name]["ask_ms"] = summary_ms(_ask_times(uncached, items))
        if name == "flat":
            # numpy's OpenBLAS pool against torch's: the same asks with BLAS held to one thread.
            try:
                from threadpoolctl import threadpool_limits
            except ImportError:  # pragma: no cover
                threadpool_limits = None
            if threadpool_limits is not None:
                with threadpool_limits(limits=1, user_api="blas"):
                    out[name]["ask_ms_blas_1_thread"] = summary_ms(_ask_times(uncached, items))
        state = engine._state
        bm = []
        for q, _ in items:
            t = time.perf_counter()
            state.bm25.search(q, None, 20)
            bm.append(time.perf_counter() - t)
        out[name]["bm25_search_ms"] = summary_ms(bm, digits=3)
        # The sentence-level retriever (exact, over sentence and window vectors) is on only while
        # the corpus has at most approximate_above sentences.
        sentences = getattr(state, "sentences", None)
        out[name]["sentence_retriever"] = sentences is not None
        if sentences is not None:
            q_vecs = real.encode([q for q, _ in items])
            ss = []
            for qv in q_vecs:
                t = time.perf_counter()
                sentences.search("", qv, 20)
                ss.append(time.perf_counter() - t)
            out[name]["sentence_search_ms"] = summary_ms(ss, digits=3)
            out[name]["sentence_matrix_bytes"] = int(sentences.matrix.nbytes)
        if name == "flat":
            flat_index = state.dense.index
        else:
            hnsw_index = state.dense.index
    questions = [q for q, _ in load_questions()[0]]
    q_vecs = real.encode(questions)
    out["dense"] = _search_stats(flat_index, hnsw_index, q_vecs)
    out["dense"]["hnsw_is"] = type(hnsw_index).__name__
    out["dense"]["flat_is"] = type(flat_index).__name__
    assert isinstance(hnsw_index, faiss.IndexHNSWFlat) and isinstance(flat_index, faiss.IndexFlatIP)

    serve = run_child_json(SERVE, str(corpus), str(idx_flat), str(10**9), timeout=900)
    out["serve_flat"] = {"load_s": round(serve["load_s"], 2), "rss_mb": round(serve["rss_mb"], 1)}
    shutil.rmtree(work, ignore_errors=True)
    return out


def components_point(n: int, embed_rate: float | None) -> dict[str, Any]:
    """FAISS flat/HNSW and BM25 at ``n`` paragraphs, without the rest of the engine."""
    import random
    import tempfile

    import faiss
    import numpy as np

    from colnato_qa.chunking import Chunker
    from colnato_qa.corpus import parse_document
    from colnato_qa.encoders import make_encoder
    from colnato_qa.retrieval.bm25 import BM25Retriever, build_bm25, save_bm25
    from colnato_qa.retrieval.dense import make_faiss_index

    from .synthetic import article_sentences, proxy_vectors

    sentences = article_sentences()
    rng = random.Random(1234)
    ids = [rng.sample(range(len(sentences)), rng.randint(2, 4)) for _ in range(n)]
    texts = [" ".join(sentences[i] for i in row) for row in ids]
    real = make_encoder(None, "onnx", ROOT / "index")  # the project's export, made once
    table = real.encode(sentences)
    out: dict[str, Any] = {"paragraphs": n, "embeddings": "proxy (components only)"}

    t = time.perf_counter()
    vectors = proxy_vectors(ids, table)
    out["proxy_vectors_s"] = round(time.perf_counter() - t, 2)

    t = time.perf_counter()
    flat = make_faiss_index(vectors, approximate=False)
    flat_build = time.perf_counter() - t
    t = time.perf_counter()
    hnsw = make_faiss_index(vectors, approximate=True)
    hnsw_build = time.perf_counter() - t
    out["flat"] = {"build_s": round(flat_build, 2), "faiss_bytes": int(faiss.serialize_index(flat).nbytes)}
    out["hnsw"] = {"build_s": round(hnsw_build, 2), "faiss_bytes": int(faiss.serialize_index(hnsw).nbytes)}
    questions = [q for q, _ in load_questions()[0]]
    out["dense"] = _search_stats(flat, hnsw, real.encode(questions))
    log(f"scale {n}: flat build {flat_build:.1f}s, hnsw build {hnsw_build:.1f}s, "
        f"recall@10 {out['dense']['recall_at_10']}")

    t = time.perf_counter()
    bm25 = build_bm25(texts)
    out["bm25"] = {"build_s": round(time.perf_counter() - t, 2)}
    with tempfile.TemporaryDirectory(dir=TMP_DIR) as d:
        save_bm25(bm25, Path(d) / "bm25")
        out["bm25"]["bytes"] = _du(Path(d))
    retriever = BM25Retriever(bm25)
    bm = []
    for q in questions:
        t = time.perf_counter()
        retriever.search(q, None, 20)
        bm.append(time.perf_counter() - t)
    out["bm25"]["search_ms"] = summary_ms(bm, digits=3)

    # Sentence splitting + token counting (the chunker), on a sample, extrapolated.
    sample = 2000
    doc = parse_document("---\ndoc_id: s\ntitle: Sample\n---\n\n" + "\n\n".join(texts[:sample]) + "\n", "sample.md")
    t = time.perf_counter()
    passages = Chunker(max_tokens=real.max_tokens, count_tokens=real.count_tokens).run([doc])
    chunk_s = time.perf_counter() - t
    per_para = chunk_s / sample
    n_sent = sum(len(p.sentences) for p in passages if p.searchable)
    texts_per_para = (len([p for p in passages if p.searchable]) + 2 * n_sent) / sample  # passage + sentences + windows (upper bound)
    out["chunking"] = {"sample_paragraphs": sample, "ms_per_paragraph": round(per_para * 1000, 3),
                       "extrapolated_s": round(per_para * n, 1)}
    out["vectors_bytes"] = {"passages": int(vectors.nbytes),
                            "sentences_and_windows_estimate": int(vectors.nbytes * (texts_per_para - 1))}
    if embed_rate:
        out["embedding_extrapolated_s"] = round(n * texts_per_para / embed_rate, 0)
        out["texts_to_embed_per_paragraph"] = round(texts_per_para, 2)
    out["peak_rss_mb"] = _peak_rss_mb()
    return out


POINT = """
import json, sys
sys.path.insert(0, sys.argv[1])
from benchmarks import scale
kind, n, arg = sys.argv[2], int(sys.argv[3]), sys.argv[4]
if kind == "engine":
    print(json.dumps(scale.engine_point(n, arg)))
else:
    print(json.dumps(scale.components_point(n, float(arg) if arg != "-" else None)))
"""


def recommend(points: list[dict[str, Any]], encode_p50_ms: float | None) -> dict[str, Any]:
    """approximate_above: the size at which exact search alone would cost 20% of one question's
    encoding (so the ask/encode goal of 1.3 keeps room for everything else), interpolated
    linearly between the measured sizes; HNSW's recall at the sizes measured is reported with it."""
    encode = encode_p50_ms or 7.0
    budget_ms = 0.2 * encode
    curve = sorted((p["counts"]["searchable_passages"] if "counts" in p else p["paragraphs"],
                    p["dense"]["flat_search_ms"]["p50"]) for p in points)
    raw = None
    prev_n, prev_ms = 0, 0.0
    for n, ms in curve:
        if ms > budget_ms:
            raw = prev_n + (budget_ms - prev_ms) * (n - prev_n) / max(ms - prev_ms, 1e-9)
            break
        prev_n, prev_ms = n, ms
    if raw is None:  # exact search never reached the budget: extrapolate from the largest size
        n, ms = curve[-1]
        raw = n * budget_ms / max(ms, 1e-9)
    step = 5_000 if raw >= 10_000 else 1_000
    nice = max(step, int(raw // step) * step)
    return {
        "approximate_above": nice,
        "raw_threshold_passages": int(raw),
        "flat_curve": [{"passages": n, "flat_search_p50_ms": ms} for n, ms in curve],
        "budget_ms": round(budget_ms, 2),
        "encode_p50_ms_used": encode,
        "rule": "HNSW above the size where exact search would exceed 20% of the encoder's p50 per question "
                "(linear interpolation between measured sizes, rounded down)",
    }


def run(quick: bool = False) -> dict[str, Any]:
    TMP_DIR.mkdir(parents=True, exist_ok=True)
    plan = [("engine", 300, "real"), ("engine", 2_000, "proxy"), ("components", 20_000, None)] if quick else \
        [("engine", 1_000, "real"), ("engine", 10_000, "proxy"), ("components", 30_000, None),
         ("components", 100_000, None)]
    points: list[dict[str, Any]] = []
    rate: float | None = None
    for kind, n, mode in plan:
        log(f"scale: {kind} point, {n} paragraphs ({mode or 'components'})")
        t = time.perf_counter()
        arg = mode if kind == "engine" else (str(rate) if rate else "-")
        p = run_child_json(POINT, str(ROOT), kind, str(n), arg, timeout=1800)
        p["kind"] = kind
        p["wall_s"] = round(time.perf_counter() - t, 1)
        if kind == "engine" and mode == "real":
            rate = p.get("embed_rate_texts_per_s")
        if kind == "engine":
            log(f"scale {n}: build flat {p['flat']['build_s']}s (embedding {p['flat']['embed_s']}s), hnsw "
                f"{p['hnsw']['build_s']}s, ask p50 flat {p['flat']['ask_ms']['p50']} ms / hnsw "
                f"{p['hnsw']['ask_ms']['p50']} ms, recall@10 {p['dense']['recall_at_10']}")
        points.append(p)
    encode_p50 = None
    import benchmarks

    latency = benchmarks.RESULTS_DIR / "latency.json"
    if latency.exists():
        try:
            encode_p50 = json.loads(latency.read_text())["encode_ms"]["p50"]
        except (KeyError, ValueError):
            encode_p50 = None
    return {"points": points, "embed_rate_texts_per_s": rate,
            "recommendation": recommend(points, encode_p50),
            "median_note": "latencies are medians over the gold questions (single-query searches)"}
