"""Fit the answerability model from labelled feature rows (``colnato-qa fit``).

A row is one gold question answered with abstention off: the features of the sentence the engine
chose, and the label "answerable, and the chosen sentence holds a gold answer". The model is an
L2-regularised logistic regression (scikit-learn); its strength is chosen by stratified k-fold
cross-validation on log-loss, then it is refitted on all rows. Deterministic: same rows, same weights.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..components.alignment import ALIGNMENT_FEATURES
from ..components.answerability import FEATURE_SCHEMA, FEATURE_SETS, FEATURES
from ..errors import ColnatoError
from ..retrieval.sentences import window_scores
from .gold import GoldItem
from .metrics import contains_answer

C_GRID = (0.03, 0.1, 0.3, 1.0, 3.0, 10.0)


@dataclass(frozen=True)
class FitRow:
    features: dict[str, float]
    label: bool                 # answerable, and the chosen sentence holds a gold answer
    answerable: bool = False    # the gold question is answerable (whatever sentence was chosen)


def fit_answerability(rows: Sequence[FitRow], folds: int = 5, seed: int = 0) -> dict[str, Any]:
    """The fitted weights as the config stores them, with the cross-validated figures."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss, roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    if len(rows) < 2 * folds:
        raise ColnatoError(f"Fitting needs at least {2 * folds} gold questions, got {len(rows)}.")
    x = np.array([[float(r.features.get(name, 0.0)) for name in FEATURES] for r in rows])
    y = np.array([bool(r.label) for r in rows])
    if y.all() or not y.any():
        raise ColnatoError("Fitting needs both kinds of rows: questions answered right and questions that were not.")
    k = min(folds, int(y.sum()), int((~y).sum()))
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    best_c, best_loss, best_pred = None, float("inf"), None
    for c in C_GRID:
        pred = np.zeros(len(y))
        for train, test in splitter.split(x, y):
            model = LogisticRegression(C=c, max_iter=5000).fit(x[train], y[train])
            pred[test] = model.predict_proba(x[test])[:, 1]
        loss = log_loss(y, pred)
        if loss < best_loss - 1e-12:
            best_c, best_loss, best_pred = c, loss, pred
    model = LogisticRegression(C=best_c, max_iter=5000).fit(x, y)
    return {
        "schema": FEATURE_SCHEMA,
        "bias": round(float(model.intercept_[0]), 6),
        "weights": {name: round(float(w), 6) for name, w in zip(FEATURES, model.coef_[0])},
        "fit": {
            "rows": len(rows),
            "positives": int(y.sum()),
            "C": best_c,
            "folds": k,
            "cv_log_loss": round(float(best_loss), 4),
            "cv_auc": round(float(roc_auc_score(y, best_pred)), 4),
        },
    }


def feature_rows(engine: Any, items: Sequence[GoldItem]) -> list[FitRow]:
    """One row per question: the features of the sentence the never-abstaining engine chose, and
    whether the question is answerable and that sentence holds a gold answer. Metadata questions
    (answered from the byline, not by the model) are left out."""
    zero = engine.variant(threshold=0.0)
    rows = []
    for item in items:
        answer = zero.ask(item.question, list(item.history) or None)
        stage = answer.trace.answerability if answer.trace is not None else None
        if stage is None:
            continue
        features = stage.features
        label = item.answerable and not answer.abstained and contains_answer(item.answers, answer.answer)
        names = FEATURE_SETS[-1] if any(name in features for name in ALIGNMENT_FEATURES) else FEATURES
        rows.append(FitRow({name: float(features.get(name, 0.0)) for name in names}, bool(label), item.answerable))
    return rows


# The weights `fit` tries for the question bank's votes in choosing the sentence: with 30 training questions a
# sentence (the colombia article) the bank is the best guide (dev: the evidence chosen for 0.950 of answerable
# questions at 1.0, 0.894 at 0); with two or three (port-ardley's 148) it misleads (0.528 at 1.0, 0.679 at 0).
BANK_WEIGHTS = (1.0, 0.5, 0.0)


def evidence_hit_rate(rows: Sequence[FitRow]) -> float:
    """The share of answerable rows whose chosen sentence holds a gold answer."""
    answerable = [r for r in rows if r.answerable]
    return sum(r.label for r in answerable) / len(answerable) if answerable else 0.0


# Gradient-boosted trees for the model that serves any article (scripts/fit_general_answerability.py). Chosen
# among depths 2-4, learning rates 0.05-0.1 and 100-400 trees on port-ardley dev and on each training article
# held out in turn (docs/ablation.md, "Issue 22: boosted trees"); no early stopping, so the fit is deterministic.
BOOSTING = {"max_depth": 3, "learning_rate": 0.1, "max_iter": 200}
TARGETS = ("answerable", "label")


def target_labels(rows: Sequence[FitRow], target: str) -> np.ndarray:
    """What the trees learn for each row: whether it is answerable, or answerable and right (``TARGETS``)."""
    if target not in TARGETS:
        raise ColnatoError(f"Unknown fitting target {target!r}; valid targets: {', '.join(TARGETS)}.")
    return np.array([bool(r.answerable if target == "answerable" else r.label) for r in rows])


def boosted_classifier(seed: int = 0) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(**BOOSTING, early_stopping=False, random_state=seed)


def feature_matrix(rows: Sequence[FitRow], names: Sequence[str] = FEATURES) -> np.ndarray:
    """The rows' features as the trees read them (``boosted_trees.feature_vector``: rounded, in ``names``' order)."""
    from ..components.boosted_trees import feature_vector

    return np.array([feature_vector(r.features, names) for r in rows])


def fit_boosted_answerability(rows: Sequence[FitRow], target: str = "answerable", folds: int = 5,
                              seed: int = 0, features: Sequence[str] = FEATURES) -> dict[str, Any]:
    """Gradient-boosted trees (``BOOSTING``) predicting ``target`` from the features, as the config stores them
    (components/boosted_trees.py), with the cross-validated ROC AUC. ``target``: "answerable" (does the
    article answer the question?) or "label" (and is the chosen sentence right?). ``features``: what the trees
    read (answerability.FEATURE_SETS)."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    from ..components.boosted_trees import from_sklearn

    x, y = feature_matrix(rows, features), target_labels(rows, target)
    if y.all() or not y.any():
        raise ColnatoError(f"Fitting needs rows of both kinds for the target {target!r}.")
    k = min(folds, int(y.sum()), int((~y).sum()))
    pred = np.zeros(len(y))
    for train, test in StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(x, y):
        pred[test] = boosted_classifier(seed).fit(x[train], y[train]).predict_proba(x[test])[:, 1]
    trees = from_sklearn(boosted_classifier(seed).fit(x, y), features)
    return {"schema": FEATURE_SCHEMA, "kind": "boosted_trees", "target": target, "settings": dict(BOOSTING),
            **trees.to_dict(),
            "fit": {"rows": len(rows), "positives": int(y.sum()), "folds": k,
                    "cv_auc": round(float(roc_auc_score(y, pred)), 4)}}


# ------------------------------------------------------------------ the query adapter
ADAPTER_PENALTY = 0.01      # weight of ||W - I||^2: keeps the map near the identity (dev: 1, 0.01, 0.001 tried)
ADAPTER_TEMPERATURE = 0.05  # softmax temperature over the article's sentences
ADAPTER_STEPS = 400
ADAPTER_LEARNING_RATE = 3e-3


@dataclass(frozen=True)
class AdapterExample:
    """A training question's vector and the rows (into the sentence matrix) of its evidence
    sentences; no rows for an unanswerable question."""

    vector: np.ndarray
    targets: tuple[int, ...]


@dataclass(frozen=True)
class FittedAdapter:
    matrix: np.ndarray          # W, dim x dim
    null_vector: np.ndarray     # the "the article does not say" option: score = null_vector . q + null_bias
    null_bias: float


def fit_query_adapter(examples: Sequence[AdapterExample], sentence_vectors: np.ndarray, window_vectors: np.ndarray,
                      penalty: float = ADAPTER_PENALTY, temperature: float = ADAPTER_TEMPERATURE,
                      steps: int = ADAPTER_STEPS, learning_rate: float = ADAPTER_LEARNING_RATE) -> FittedAdapter:
    """W (dim x dim) and a "no answer" option such that, for q' = normalize(W q), each answerable
    question's evidence sentences and each unanswerable question's "no answer" option score highest
    among all the article's sentences and that option (sentences scored as the selector reads them:
    alone or with the one before). Softmax cross-entropy at ``temperature``, plus
    ``penalty * (||W - I||^2 + ||null_vector||^2)``. Full-batch Adam in float64 from the identity:
    the same examples give the same result."""
    import torch

    if not any(e.targets for e in examples):
        raise ColnatoError("Fitting the query adapter needs training questions whose evidence is in the corpus.")
    q = torch.tensor(np.array([e.vector for e in examples]), dtype=torch.float64)
    n = len(sentence_vectors)
    s = torch.tensor(np.asarray(sentence_vectors), dtype=torch.float64)
    w_vec = torch.tensor(np.asarray(window_vectors), dtype=torch.float64)
    mask = torch.zeros(len(examples), n + 1, dtype=torch.bool)
    for i, e in enumerate(examples):
        if e.targets:
            mask[i, list(e.targets)] = True
        else:
            mask[i, n] = True
    eye = torch.eye(q.shape[1], dtype=torch.float64)
    w = eye.clone().requires_grad_(True)
    null = torch.zeros(q.shape[1], dtype=torch.float64, requires_grad=True)
    bias = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([w, null, bias], lr=learning_rate)
    for _ in range(steps):
        mapped = q @ w.T
        mapped = mapped / mapped.norm(dim=1, keepdim=True)
        single = mapped @ s.T
        scores = window_scores(single, mapped @ w_vec.T)
        scores = torch.cat([scores, (mapped @ null + bias).unsqueeze(1)], dim=1)
        logp = torch.log_softmax(scores / temperature, dim=1)
        loss = (-torch.logsumexp(logp.masked_fill(~mask, float("-inf")), dim=1).mean()
                + penalty * (((w - eye) ** 2).sum() + (null ** 2).sum()))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return FittedAdapter(w.detach().numpy().astype(np.float32), null.detach().numpy().astype(np.float32),
                         float(bias.detach()))


# A training question as the engine reads it: the item, its encoder vector (not adapted), its evidence sentences' rows.
Asked = tuple[GoldItem, np.ndarray, list[int]]


class HeldOutAdapters:
    """Query adapters each fitted without some training questions (``colnato-qa fit`` cross-fits the adapter's
    features with them): ``run(held_out_ids) -> QueryAdapter``, fitted once per set of ids. ``asked``:
    ``asked_as_read(engine, items)`` when the caller has it already."""

    def __init__(self, engine: Any, items: Sequence[GoldItem], asked: Sequence[Asked] | None = None) -> None:
        asked = asked_as_read(engine, items) if asked is None else asked
        self.asked = [(item.id, AdapterExample(vector, tuple(rows))) for item, vector, rows in asked]
        self.matrices = engine.sentence_matrices()
        self._fitted: dict[frozenset[str], Any] = {}

    @property
    def examples(self) -> list[AdapterExample]:
        return [e for _, e in self.asked]

    def run(self, held_out: frozenset[str]) -> Any:
        from ..components.query_adapter import QueryAdapter

        if held_out not in self._fitted:
            fold = fit_query_adapter([e for item_id, e in self.asked if item_id not in held_out], *self.matrices)
            self._fitted[held_out] = QueryAdapter(fold.matrix, null_vector=fold.null_vector, null_bias=fold.null_bias)
        return self._fitted[held_out]


def asked_as_read(engine: Any, items: Sequence[GoldItem]) -> list[Asked]:
    """The training questions, each with its encoder vector as the engine reads it (typos repaired, a follow-up
    read with its conversation's earlier questions; not adapted) and the rows of the corpus sentences its
    evidence lies in (none for an unanswerable question); answerable questions whose evidence is not in the
    corpus are left out. Follow-ups count since they are read with the question before them (forms/dev
    follow-ups 17 -> 18 of 20, citation@1 0.923 -> 0.933; docs/ablation.md, "Issue 17, fifth round")."""
    from ..encoders.training import evidence_rows
    from ..text import fold

    folded = [fold(t) for t in engine.sentence_texts()]
    out = []
    for item in items:
        rows: list[int] = []
        if item.answerable:
            rows = evidence_rows(folded, item.evidence)
            if not rows:
                continue
        out.append((item, engine.encode_question(item.question, adapted=False, history=item.history), rows))
    return out


# ------------------------------------------------------------------ the question bank
@dataclass(frozen=True)
class BankEntry:
    """A training question as read: its id, its encoder vector (not adapted) and the row of a
    sentence answering it (``UNANSWERABLE`` when the article does not say)."""

    item_id: str
    vector: np.ndarray
    row: int


def bank_entries(engine: Any, items: Sequence[GoldItem], asked: Sequence[Asked] | None = None) -> list[BankEntry]:
    """One entry per (question, evidence sentence) of the answerable questions whose evidence lies in the
    corpus's sentences, and one per unanswerable question; a follow-up's vector is that of its reading with the
    earlier question. ``asked``: ``asked_as_read(engine, items)`` when the caller has it already."""
    from ..components.question_bank import UNANSWERABLE

    out = []
    for item, vector, rows in (asked_as_read(engine, items) if asked is None else asked):
        out.extend(BankEntry(item.id, vector, r) for r in (rows or [UNANSWERABLE]))
    return out


def make_question_bank(entries: Sequence[BankEntry], meta: dict[str, Any]) -> Any:
    from ..components.question_bank import BANK_SCHEMA, QuestionBank

    if not entries:
        raise ColnatoError("The question bank needs training questions.")
    return QuestionBank(np.array([e.vector for e in entries], np.float32), np.array([e.row for e in entries]),
                        dict(meta, schema=BANK_SCHEMA, questions=len({e.item_id for e in entries}),
                             unanswerable=sum(1 for e in entries if e.row < 0)))


def crossfit_feature_rows(engine: Any, items: Sequence[GoldItem], bank: Any, entries: Sequence[BankEntry],
                          folds: int = 5, adapter_without: Callable[[frozenset[str]], Any] | None = None,
                          encoder_without: Callable[[frozenset[str]], Any] | None = None,
                          adapter: bool = True) -> list[FitRow]:
    """``feature_rows`` where each question is answered with a bank that holds none of its own fold's
    questions, so that the bank features look as they will on questions never seen. With ``adapter_without``
    (item ids -> a query adapter fitted without those questions) the adapter is cross-fitted the same way:
    an adapter fitted on a question maps it onto its sentence far better than it maps a new wording, and an
    answerability model fitted on such features learns to trust them more than new questions bear out.

    With ``encoder_without`` (item ids -> an engine whose encoder was fine-tuned without those questions,
    ``HeldOutEncoders.run``) the encoder is cross-fitted too: each fold is read with its own encoder, and the
    bank and (when ``adapter``) the adapter are made again from that encoder's vectors without the fold.
    Folds are ``stable_fold`` of the ids, the same in every fit."""
    from .encoder_folds import stable_fold

    fold_of = {it.id: stable_fold(it.id, folds) for it in items}
    rows: list[FitRow] = []
    for k in range(folds):
        part = [it for it in items if fold_of[it.id] == k]
        if not part:
            continue
        held_out = frozenset(it.id for it in part)
        fold_engine, fold_entries, fold_bank, fold_adapters = engine, entries, bank, adapter_without
        if encoder_without is not None:
            from ..components.question_bank import QuestionBank

            fold_engine = encoder_without(held_out)
            # The fold encoder's vectors of the training questions, read once for the bank and the adapters.
            asked = asked_as_read(fold_engine, items) if adapter or not bank.is_empty else []
            fold_entries = bank_entries(fold_engine, items, asked) if not bank.is_empty else []
            fold_bank = (QuestionBank(np.array([e.vector for e in fold_entries], np.float32),
                                      np.array([e.row for e in fold_entries]), bank.meta)
                         if fold_entries else bank)
            fold_adapters = HeldOutAdapters(fold_engine, items, asked).run if adapter else None
        entry_fold = np.array([fold_of.get(e.item_id, -1) for e in fold_entries])
        variant = {"question_bank": fold_bank.without(entry_fold != k) if len(fold_entries) else fold_bank}
        if fold_adapters is not None:
            variant["query_adapter"] = fold_adapters(held_out)
        rows.extend(feature_rows(fold_engine.variant(**variant), part))
    return rows
