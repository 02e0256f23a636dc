"""Evaluation metrics: small pure functions, plus :func:`compute_metrics` to aggregate them.

Definitions are written out in docs/evaluation.md. In short:

* ``exact_match`` / ``f1``: the official SQuAD v2.0 definitions (normalize, max over gold answers;
  an unanswerable question scores 1 only when the system abstains, i.e. predicts ""), with the
  official script's normalization (``official``) or one that also drops Unicode punctuation
  (``unicode``, the default); ``best_exact_match`` / ``best_f1`` its best-threshold figures.
* ``answer_recall``: share of answerable questions, not abstained, where some gold answer's
  normalized tokens occur contiguously in the normalized predicted answer.
* citations: a citation is right when its text contains the evidence, whitespace and quote
  style folded. Ranks start at 1.
* abstention: abstaining is the positive class; unanswerable questions are the actual positives.

All aggregate figures are fractions in [0, 1] (not percentages), rounded to 4 decimals, except
latency (milliseconds, 1 decimal). Everything but latency is exactly reproducible.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..text import fold

# -- normalization ----------------------------------------------------------------------------
_ASCII_PUNCT = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)

#: ``official``: exactly the official SQuAD v2.0 script (ASCII ``string.punctuation`` only).
#: ``unicode``: the same, but every Unicode punctuation character (‘ ’ “ ” – — …) is dropped too.
NORMALIZATIONS = ("official", "unicode")
DEFAULT_NORMALIZATION = "unicode"
#: Why each normalization is what it is, as the report and ``--json`` say it.
NORMALIZATION_WHY = {
    "unicode": "the default: the article is typeset with curly quotes and dashes, which the official script "
               "keeps, so there “pink tide,” would not contain pink tide",
    "official": "exactly the official SQuAD v2.0 script: ASCII punctuation only, curly quotes and dashes kept",
}


def _is_punct(ch: str) -> bool:
    # ASCII punctuation as in the official script (it includes symbols such as $ + < = > ^ ` | ~),
    # plus every Unicode punctuation character (categories P*): ‘ ’ “ ” – — … « » ¿ ¡ and so on.
    return ch in _ASCII_PUNCT or unicodedata.category(ch).startswith("P")


def check_normalization(normalize: str) -> str:
    if normalize not in NORMALIZATIONS:
        raise ValueError(f"unknown normalization {normalize!r}: use one of {', '.join(NORMALIZATIONS)}")
    return normalize


def normalize_answer(s: str, normalize: str = DEFAULT_NORMALIZATION) -> str:
    """SQuAD v2.0 normalization: lowercase, drop punctuation, drop articles a/an/the, fold whitespace.

    Same order as the official script (lower -> punctuation -> articles -> whitespace); punctuation
    is removed without leaving a space ("U.S." -> "us", "2010-2018" -> "20102018"). ``normalize``
    says what punctuation is: ``official`` (ASCII only, as the script) or ``unicode`` (any).
    """
    s = s.lower()
    if check_normalization(normalize) == "official":
        s = "".join(ch for ch in s if ch not in _ASCII_PUNCT)
    else:
        s = "".join(ch for ch in s if not _is_punct(ch))
    s = _ARTICLES.sub(" ", s)
    return " ".join(s.split())


def get_tokens(s: str | None, normalize: str = DEFAULT_NORMALIZATION) -> list[str]:
    if not s:
        return []
    return normalize_answer(s, normalize).split()


# -- per-answer scores (official SQuAD v2.0) ---------------------------------------------------------
def compute_exact(a_gold: str, a_pred: str, normalize: str = DEFAULT_NORMALIZATION) -> int:
    return int(normalize_answer(a_gold, normalize) == normalize_answer(a_pred, normalize))


def compute_f1(a_gold: str, a_pred: str, normalize: str = DEFAULT_NORMALIZATION) -> float:
    gold_toks = get_tokens(a_gold, normalize)
    pred_toks = get_tokens(a_pred, normalize)
    common = Counter(gold_toks) & Counter(pred_toks)
    num_same = sum(common.values())
    if len(gold_toks) == 0 or len(pred_toks) == 0:
        # If either is no-answer, then F1 is 1 if they agree, 0 otherwise.
        return float(gold_toks == pred_toks)
    if num_same == 0:
        return 0.0
    precision = num_same / len(pred_toks)
    recall = num_same / len(gold_toks)
    return 2 * precision * recall / (precision + recall)


def scoring_golds(gold_answers: Sequence[str], normalize: str = DEFAULT_NORMALIZATION) -> list[str]:
    """Gold answers as the official script uses them: those that normalize to nothing are dropped,
    and an unanswerable question has the single gold answer "" (so only "" matches it)."""
    golds = [a for a in gold_answers if normalize_answer(a, normalize)]
    return golds or [""]


def exact_match_score(gold_answers: Sequence[str], prediction: str | None, normalize: str = DEFAULT_NORMALIZATION) -> float:
    """Max over gold answers; ``prediction`` None or "" means the system abstained."""
    pred = prediction or ""
    return float(max(compute_exact(g, pred, normalize) for g in scoring_golds(gold_answers, normalize)))


def f1_score(gold_answers: Sequence[str], prediction: str | None, normalize: str = DEFAULT_NORMALIZATION) -> float:
    pred = prediction or ""
    return max(compute_f1(g, pred, normalize) for g in scoring_golds(gold_answers, normalize))


def contains_answer(gold_answers: Sequence[str], prediction: str | None, normalize: str = DEFAULT_NORMALIZATION) -> bool:
    """True when some gold answer's normalized tokens occur contiguously in the normalized prediction.

    Gold answers that normalize to nothing are ignored; an abstention (None/"") contains nothing.
    """
    pred = get_tokens(prediction, normalize)
    if not pred:
        return False
    for gold in gold_answers:
        g = get_tokens(gold, normalize)
        if not g or len(g) > len(pred):
            continue
        for i in range(len(pred) - len(g) + 1):
            if pred[i:i + len(g)] == g:
                return True
    return False


def best_threshold(na_probs: Sequence[float], scores: Sequence[float], answerable: Sequence[bool],
                   answered: Sequence[bool]) -> tuple[float | None, float]:
    """SQuAD v2.0's best-threshold figure: answer only the questions whose no-answer probability is
    at most t; the share scored (an answerable question its score, an unanswerable one 1 when not
    answered) at the best t, and that t. Questions are taken in increasing no-answer probability, in
    the given order among ties, as the official script does (it starts from "answer nothing", t=0)."""
    n = len(scores)
    if n == 0:
        return None, 0.0
    current = best = sum(1 for a in answerable if not a)
    threshold = 0.0
    for i in sorted(range(n), key=lambda k: na_probs[k]):
        current += scores[i] if answerable[i] else (-1 if answered[i] else 0)
        if current > best:
            best, threshold = current, na_probs[i]
    return best / n, threshold


# -- citations --------------------------------------------------------------------------------
def citation_rank(citation_texts: Sequence[str], evidence: str) -> int | None:
    """Rank of the first citation whose text contains the evidence (folded), or None.

    Ranks start at 1: the first citation has rank 1.
    """
    needle = fold(evidence, keep_case=True)
    if not needle:
        return None
    for rank, text in enumerate(citation_texts, start=1):
        if needle in fold(text, keep_case=True):
            return rank
    return None


def recall_at(ranks: Sequence[int | None], k: int) -> float | None:
    """Share of ranks that are <= k (None = not cited). None when there are no questions."""
    if not ranks:
        return None
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def mean_reciprocal_rank(ranks: Sequence[int | None]) -> float | None:
    """Mean of 1/rank, counting 0 for a question whose evidence was not cited."""
    if not ranks:
        return None
    return sum(1.0 / r for r in ranks if r is not None) / len(ranks)


# -- abstention -------------------------------------------------------------------------------
def abstain_scores(abstained: Sequence[bool], answerable: Sequence[bool]) -> dict[str, float]:
    """Precision, recall and F1 of abstaining, with unanswerable questions as the positives.

    0/0 cases: precision is 1.0 when the system never abstained (no abstention was wrong);
    recall is 1.0 when there is no unanswerable question (nothing to catch); F1 is 0.0 when
    precision + recall == 0. So never abstaining on a set with unanswerable questions gives
    P=1, R=0, F1=0, and a set with neither gives P=R=F1=1.
    """
    if len(abstained) != len(answerable):
        raise ValueError("abstained and answerable must have the same length")
    tp = sum(1 for a, ans in zip(abstained, answerable) if a and not ans)
    predicted = sum(1 for a in abstained if a)
    actual = sum(1 for ans in answerable if not ans)
    precision = tp / predicted if predicted else 1.0
    recall = tp / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if (precision + recall) else 0.0
    return {"abstain_precision": precision, "abstain_recall": recall, "abstain_f1": f1}


# -- latency ----------------------------------------------------------------------------------
def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0..100), linear interpolation (numpy.percentile); None when there are no values."""
    return float(np.percentile(values, p)) if len(values) else None


# -- per-question record and aggregation ---------------------------------------------------------
@dataclass
class QuestionResult:
    """One gold question as answered and scored. ``hit``: answer_recall hit for an answerable
    question, abstention for an unanswerable one."""

    id: str
    question: str
    history: list[str]
    gold_answers: list[str]
    evidence: str | None
    answerable: bool
    prediction: str | None          # the answer shown to the user; None when abstained
    candidate: str | None           # the engine's answer text even when it abstained (if it gives one)
    abstained: bool
    confidence: float
    exact_match: float
    f1: float
    answer_hit: bool                # contains_answer(gold, prediction), False when abstained
    hit: bool
    citation_rank: int | None       # rank (from 1) of the first citation holding the evidence
    cited_paragraph: int | None     # paragraph number of citations[0]
    cited_passage_id: str | None
    latency_ms: float
    interpreted_as: str | None = None
    error: str | None = None        # the engine refused the question (counted as an abstention)
    groups: dict[str, str] = field(default_factory=dict)   # --by field -> value
    sentence: str | None = None     # the quoted sentence(s), None when abstained
    short_answer: str | None = None # the engine's short answer, None when it has none
    gold_verdict: str | None = None # "yes"/"no" for a yes/no gold question the article settles
    verdict: str | None = None      # the engine's Yes/No, None when it gave none

    @property
    def na_prob(self) -> float:
        """The no-answer probability the official tools read: 1 - confidence."""
        return 1.0 - self.confidence

    def to_dict(self) -> dict[str, Any]:
        """The record as exported (results.jsonl, run.json, --json): scores and confidence to 6
        decimals, latency to 0.1 ms."""
        d = asdict(self)
        for key in ("confidence", "exact_match", "f1"):
            d[key] = round(float(d[key]), 6)
        d["latency_ms"] = round(float(d["latency_ms"]), 1)
        return d


def score_answer(
    *,
    id: str,
    question: str,
    gold_answers: Sequence[str],
    evidence: str | None,
    answer: dict[str, Any],
    latency_ms: float,
    history: Sequence[str] = (),
    groups: dict[str, str] | None = None,
    error: str | None = None,
    answer_field: str = "sentence",
    normalize: str = DEFAULT_NORMALIZATION,
    gold_verdict: str | None = None,
) -> QuestionResult:
    """Score one engine answer (``Answer.to_dict()`` shape) against its gold item. ``answer_field``
    is what is scored: ``sentence`` (``answer``) or ``short`` (``short_answer.text``, the sentence
    when the engine gave no short answer). ``answer_recall`` always looks in the sentence. A Yes/No that
    contradicts ``gold_verdict`` makes the answer wrong, whatever the sentence: it is a promise."""
    if answer_field not in ANSWER_FIELDS:
        raise ValueError(f"unknown answer field {answer_field!r}: use one of {', '.join(ANSWER_FIELDS)}")
    abstained = bool(answer.get("abstained"))
    text = answer.get("answer")
    sentence = None if abstained else (text or None)
    short = (answer.get("short_answer") or {}).get("text") or None
    prediction = (short or sentence) if answer_field == "short" and sentence is not None else sentence
    answerable = bool(gold_answers)
    citations = answer.get("citations") or []
    texts = [c.get("text") or "" for c in citations]
    verdict = answer.get("verdict") if sentence is not None else None
    answer_hit = contains_answer(gold_answers, sentence, normalize) if answerable else False
    if verdict and gold_verdict and verdict != gold_verdict:
        answer_hit = False
    return QuestionResult(
        id=id, question=question, history=list(history), gold_answers=list(gold_answers), evidence=evidence,
        answerable=answerable, prediction=prediction, candidate=text, abstained=abstained or prediction is None,
        confidence=float(answer.get("confidence") or 0.0),
        exact_match=exact_match_score(gold_answers, prediction, normalize),
        f1=f1_score(gold_answers, prediction, normalize),
        answer_hit=answer_hit, hit=answer_hit if answerable else (abstained or prediction is None),
        citation_rank=citation_rank(texts, evidence) if evidence else None,
        cited_paragraph=citations[0].get("paragraph") if citations else None,
        cited_passage_id=citations[0].get("passage_id") if citations else None,
        latency_ms=float(latency_ms), interpreted_as=answer.get("interpreted_as"), error=error,
        groups=dict(groups or {}), sentence=sentence, short_answer=short if sentence is not None else None,
        gold_verdict=gold_verdict, verdict=verdict,
    )


#: What ``score_answer`` can score: the quoted sentence, or the short answer inside it.
ANSWER_FIELDS = ("short", "sentence")


def roc_auc(scores: Sequence[float], positives: Sequence[bool]) -> float | None:
    """Area under the ROC curve (``sklearn.metrics.roc_auc_score``): the chance that a random positive
    scores above a random negative, ties counting one half. None without both classes."""
    # Imported here: importing scikit-learn sets KMP_* variables in os.environ, and importing the library
    # must leave the environment alone (tests/test_project.py); it also costs every command a second.
    from sklearn.metrics import roc_auc_score

    labels = [bool(p) for p in positives]
    if all(labels) or not any(labels):
        return None
    return float(roc_auc_score(labels, list(scores)))


def _mean(xs: Sequence[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def _r(x: float | None, nd: int = 4) -> float | None:
    return None if x is None else round(x, nd)


def compute_metrics(results: Sequence[QuestionResult], by: Iterable[str] = ()) -> dict[str, Any]:
    """The metrics dict (keys documented in docs/evaluation.md). Shares are None over an empty set."""
    ans = [r for r in results if r.answerable]
    unans = [r for r in results if not r.answerable]
    with_ev = [r for r in ans if r.evidence]
    ranks = [r.citation_rank for r in with_ev]
    m: dict[str, Any] = {
        "n": len(results),
        "answerable": len(ans),
        "unanswerable": len(unans),
        "exact_match": _r(_mean([r.exact_match for r in results])),
        "f1": _r(_mean([r.f1 for r in results])),
        "has_ans_exact_match": _r(_mean([r.exact_match for r in ans])),
        "has_ans_f1": _r(_mean([r.f1 for r in ans])),
        "no_ans_exact_match": _r(_mean([r.exact_match for r in unans])),
        "no_ans_f1": _r(_mean([r.f1 for r in unans])),
        "answer_recall": _r(_mean([1.0 if r.answer_hit and not r.abstained else 0.0 for r in ans])),
        "hit_rate": _r(_mean([1.0 if r.hit else 0.0 for r in results])),
        "with_evidence": len(with_ev),
        "citation_at_1": _r(recall_at(ranks, 1)),
        "citation_recall_at_3": _r(recall_at(ranks, 3)),
        "citation_recall_at_5": _r(recall_at(ranks, 5)),
        "mrr": _r(mean_reciprocal_rank(ranks)),
        "abstained": sum(1 for r in results if r.abstained),
        # Does the confidence tell answerable questions from unanswerable ones? (0.5 = no better than chance)
        "confidence_auc": _r(roc_auc([r.confidence for r in results], [r.answerable for r in results])),
        "wrongly_declined": _r(_mean([1.0 if r.abstained else 0.0 for r in ans])),
        # Over the answerable questions the engine answered: where the loss is when declines are set aside.
        "has_ans_answered_exact_match": _r(_mean([r.exact_match for r in ans if not r.abstained])),
        "has_ans_answered_f1": _r(_mean([r.f1 for r in ans if not r.abstained])),
        "answer_words_p50": _r(percentile([len(r.prediction.split()) for r in results if r.prediction], 50), 1),
        # Of the right sentences shown with a bold short answer: the share whose bold shares no word with any gold answer.
        "short_answer_no_shared_word": _r(short_answer_miss_rate(ans)),
        # Of the yes/no questions the article settles and the engine answered: Yes/No given, and given right.
        **verdict_scores([r for r in ans if r.gold_verdict and not r.abstained]),
    }
    na = [r.na_prob for r in results]
    answered = [not r.abstained for r in results]
    for key in ("exact_match", "f1"):
        best, threshold = best_threshold(na, [getattr(r, key) for r in results], [r.answerable for r in results], answered)
        m[f"best_{key}"] = _r(best)
        m[f"best_{key}_thresh"] = _r(threshold, 6)
    if results:
        m.update({k: _r(v) for k, v in abstain_scores([r.abstained for r in results],
                                                      [r.answerable for r in results]).items()})
    else:
        m.update({"abstain_precision": None, "abstain_recall": None, "abstain_f1": None})
    lat = [r.latency_ms for r in results]
    m["latency_ms_p50"] = _r(percentile(lat, 50), 1)
    m["latency_ms_p95"] = _r(percentile(lat, 95), 1)
    for name in by:
        groups: dict[str, list[QuestionResult]] = {}
        for r in results:
            groups.setdefault(r.groups.get(name, "(none)"), []).append(r)
        m[f"by_{name}"] = {}
        for g, rs in sorted(groups.items()):
            gm = compute_metrics(rs)
            gm["confidence_auc"] = _r(group_confidence_auc(rs, results))
            m[f"by_{name}"][g] = gm
    return m


def short_answer_miss_rate(results: Sequence[QuestionResult]) -> float | None:
    """Among answered questions whose sentence holds a gold answer and that show a short answer: the
    share of short answers with no word (after normalisation) in common with any gold answer."""
    shown = [r for r in results if r.answer_hit and not r.abstained and r.short_answer]
    if not shown:
        return None
    misses = 0
    for r in shown:
        bold = set(get_tokens(r.short_answer))
        if not any(bold & set(get_tokens(g)) for g in r.gold_answers):
            misses += 1
    return misses / len(shown)


def verdict_scores(results: Sequence[QuestionResult]) -> dict[str, float | None]:
    """``verdict_given``: share of these (answered, gold-verdict) questions that got a Yes/No;
    ``verdict_accuracy``: share of the given ones that match the gold verdict."""
    given = [r for r in results if r.verdict]
    return {"verdict_given": _r(len(given) / len(results)) if results else None,
            "verdict_accuracy": _r(sum(r.verdict == r.gold_verdict for r in given) / len(given)) if given else None}


def against_other_side(group: Sequence[Any], everyone: Sequence[Any]) -> list[Any]:
    """What one group of questions (a question type) is judged on: its answerable questions, then its
    unanswerable ones; a group with none of one side (paraphrases: all answerable; near misses: none)
    takes that side from ``everyone``. Items need only ``answerable``."""
    pos = [r for r in group if r.answerable] or [r for r in everyone if r.answerable]
    neg = [r for r in group if not r.answerable] or [r for r in everyone if not r.answerable]
    return pos + neg


def group_confidence_auc(group: Sequence[QuestionResult], everyone: Sequence[QuestionResult]) -> float | None:
    """ROC AUC of the confidence for one group of questions, on ``against_other_side(group, everyone)``."""
    pool = against_other_side(group, everyone)
    return roc_auc([r.confidence for r in pool], [r.answerable for r in pool])


#: Metrics where higher is better, in the order tables show them.
HEADLINE_KEYS = (
    "n", "answerable", "unanswerable", "answer_recall", "hit_rate", "exact_match", "f1",
    "has_ans_exact_match", "has_ans_f1", "no_ans_exact_match", "no_ans_f1",
    "has_ans_answered_exact_match", "has_ans_answered_f1", "best_exact_match", "best_f1", "answer_words_p50",
    "citation_at_1", "citation_recall_at_3", "citation_recall_at_5", "mrr",
    "abstained", "abstain_precision", "abstain_recall", "abstain_f1", "confidence_auc", "wrongly_declined",
    "latency_ms_p50", "latency_ms_p95",
)


def without_latency(metrics: dict[str, Any]) -> dict[str, Any]:
    """The metrics minus latency keys (recursively): what must be identical between two runs."""
    out: dict[str, Any] = {}
    for k, v in metrics.items():
        if k.startswith("latency_ms"):
            continue
        out[k] = without_latency(v) if isinstance(v, dict) else v
    return out

