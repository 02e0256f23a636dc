"""Run gold questions through an engine, time each, score them, aggregate the metrics.

The engine is anything with ``ask(question, history=None) -> Answer`` (``Answer.to_dict()`` gives
the answer JSON) and, for comparisons and calibration, ``variant(**changes) -> engine`` and
``settings.abstain_threshold``. Nothing here loads an engine; the CLI does.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidHistoryError, InvalidQuestionError
from .gold import GoldItem
from .metrics import DEFAULT_NORMALIZATION, QuestionResult, compute_metrics, score_answer

log = logging.getLogger(__name__)

#: The ablations of ``--compare``: (label, engine.variant(...) arguments). "hybrid" is the default.
COMPARE_VARIANTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("hybrid", {"retrieval": "hybrid"}),
    ("dense", {"retrieval": "dense"}),
    ("bm25", {"retrieval": "bm25"}),
    ("passage", {"answer_mode": "passage"}),
)

WARMUP_QUESTION = "What is this article about?"


@dataclass
class EvalRun:
    """The per-question results and the metrics of one engine configuration."""

    label: str
    results: list[QuestionResult]
    metrics: dict[str, Any]
    settings: dict[str, Any] = field(default_factory=dict)       # the ones a report shows (RUN_SETTINGS)
    all_settings: dict[str, Any] = field(default_factory=dict)   # every setting, as the run file keeps them


def _answer_dict(answer: Any) -> dict[str, Any]:
    return answer.to_dict() if hasattr(answer, "to_dict") else dict(answer)


#: The settings a report shows and a run's label is made of.
RUN_SETTINGS = ("retrieval", "answer_mode", "abstain_threshold", "top_k", "model", "encoder")


def engine_settings(engine: Any, keys: Sequence[str] | None = RUN_SETTINGS) -> dict[str, Any]:
    """The settings a run is reported with (``keys``; None: every setting); ``model`` and ``encoder``
    are what the engine's encoder really runs (the ``model`` setting is None for the packaged default)."""
    s = getattr(engine, "settings", None)
    if s is None:
        return {}
    if keys is None and hasattr(s, "to_dict"):
        out = dict(s.to_dict())
    else:
        out = {k: getattr(s, k) for k in (keys or RUN_SETTINGS) if hasattr(s, k)}
    embedder = getattr(engine, "embedder", None)
    for key, attr in (("model", "model_name"), ("encoder", "backend")):
        if getattr(embedder, attr, None):
            out[key] = getattr(embedder, attr)
    return out


def run_label(settings: dict[str, Any]) -> str:
    """A run's label, made of its settings ("hybrid top_k=5 threshold=0.285"), so that two runs with
    different settings never share a label."""
    mode = str(settings.get("retrieval", "default"))
    if settings.get("answer_mode", "sentence") != "sentence":
        mode += f"/{settings['answer_mode']}"
    parts = [mode]
    if settings.get("top_k") is not None:
        parts.append(f"top_k={settings['top_k']}")
    if settings.get("abstain_threshold") is not None:
        parts.append(f"threshold={float(settings['abstain_threshold']):.3f}")
    return " ".join(parts)


def warm_up(engine: Any) -> None:
    """Ask one throwaway question so that lazy loading is not counted in the first latency."""
    engine.ask(WARMUP_QUESTION, history=None)


def run_items(
    engine: Any,
    items: Sequence[GoldItem],
    by: Iterable[str] = (),
    progress: Callable[[int, int], None] | None = None,
    answer_field: str = "sentence",
    normalize: str = DEFAULT_NORMALIZATION,
) -> list[QuestionResult]:
    """Ask every gold question (with its history) and score the answer (``answer_field``, compared
    after ``normalize``: see ``metrics.score_answer``). Order is kept."""
    by = list(by)
    results: list[QuestionResult] = []
    for i, item in enumerate(items, 1):
        history = list(item.history) or None
        error: str | None = None
        t0 = time.perf_counter()
        try:
            answer = _answer_dict(engine.ask(item.question, history=history))
        except (InvalidQuestionError, InvalidHistoryError) as exc:
            # The engine refused the question: for scoring, that is an abstention.
            answer = {"answer": None, "abstained": True, "confidence": 0.0, "citations": []}
            error = str(exc)
        latency_ms = (time.perf_counter() - t0) * 1000.0
        results.append(score_answer(
            id=item.id, question=item.question, gold_answers=item.answers, evidence=item.evidence,
            answer=answer, latency_ms=latency_ms, history=item.history,
            groups={name: item.field_value(name) for name in by}, error=error,
            answer_field=answer_field, normalize=normalize, gold_verdict=item.extra.get("verdict"),
        ))
        if progress is not None:
            progress(i, len(items))
    return results


def evaluate(engine: Any, items: Sequence[GoldItem], by: Iterable[str] = (), label: str | None = None,
             warm: bool = True, answer_field: str = "sentence", normalize: str = DEFAULT_NORMALIZATION) -> EvalRun:
    """One run: every question asked and scored, the metrics. ``label`` defaults to ``run_label``."""
    by = list(by)
    if warm:
        warm_up(engine)
    results = run_items(engine, items, by=by, answer_field=answer_field, normalize=normalize)
    settings = engine_settings(engine)
    return EvalRun(label=label or run_label(settings), results=results, metrics=compute_metrics(results, by=by),
                   settings=settings, all_settings=engine_settings(engine, None))


def looks_minimal(items: Sequence[GoldItem], max_words: int = 6) -> bool:
    """True when the gold answers look like minimal spans (SQuAD style), not sentences: the median
    length of the answerable questions' shortest gold answers is at most ``max_words`` words."""
    lengths = sorted(min(len(a.split()) for a in it.answers) for it in items if it.answers)
    return bool(lengths) and lengths[len(lengths) // 2] <= max_words


def squad_predictions(results: Sequence[QuestionResult]) -> tuple[dict[str, str], dict[str, float]]:
    """The official tools' files: {id: predicted text, "" when abstained} and {id: 1 - confidence}
    (to 6 decimals, as the confidence is given)."""
    return ({r.id: r.prediction or "" for r in results}, {r.id: round(r.na_prob, 6) for r in results})


def never_abstaining_run(engine: Any, items: Sequence[GoldItem]) -> list[QuestionResult]:
    """Results of ``engine.variant(threshold=0.0)``: every question has a candidate answer and a
    confidence, so correctness at any threshold can be computed (calibration, precision-coverage)."""
    zero = engine.variant(threshold=0.0)
    warm_up(zero)
    return run_items(zero, items)


def check_threshold_consistency(default: Sequence[QuestionResult], zero: Sequence[QuestionResult],
                                threshold: float) -> list[str]:
    """Ids where the default run's abstention differs from ``confidence < threshold`` on the
    never-abstaining run (the engine promises they agree)."""
    by_id = {r.id: r for r in zero}
    bad = []
    for r in default:
        z = by_id.get(r.id)
        if z is not None and r.error is None and r.abstained != (z.confidence < threshold):
            bad.append(r.id)
    return bad
