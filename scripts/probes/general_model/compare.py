"""Probe (issue 22): the choices behind the model for an article nobody fitted for, measured again.

    .venv/bin/python scripts/probes/general_model/compare.py selector   # overlap weight without an adapter (~2 min)
    .venv/bin/python scripts/probes/general_model/compare.py models     # logistic vs boosted trees, targets, settings (~1 min)

Not part of the product; the figures are in docs/ablation.md ("Issue 22: boosted trees, and the selector without
an adapter"). ``selector``: the evidence sentence chosen (at threshold 0, answerable questions) on port-ardley dev
and on the open-columns and upland-fibre training questions, for overlap and passage weights. ``models``: the
feature rows read as scripts/fit_general_answerability.py reads them (colombia's training questions through
the fold encoders), each training article held out in turn and port-ardley (train and dev, never fitted on)
scored by a model fitted on the three others; ROC AUC of answerable against unanswerable. No test split is read.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from colnato_qa.offline import pin_offline_environment  # noqa: E402

pin_offline_environment()

from colnato_qa.components.answerability import AnswerabilityModel  # noqa: E402
from colnato_qa.components.query_adapter import QueryAdapter  # noqa: E402
from colnato_qa.components.question_bank import QuestionBank  # noqa: E402
from colnato_qa.components.selector import SentenceSelector  # noqa: E402
from colnato_qa.engine import QAEngine  # noqa: E402
from colnato_qa.evaluation.encoder_folds import FOLDS_SUBDIR, HeldOutEncoders, training_record  # noqa: E402
from colnato_qa.evaluation.fitting import (  # noqa: E402
    crossfit_feature_rows, feature_matrix, feature_rows, target_labels)
from colnato_qa.evaluation.gold import load_gold  # noqa: E402
from colnato_qa.evaluation.runner import run_items  # noqa: E402

PA = ("corpus/articles/port-ardley", "index/port-ardley")
SELECTOR_SETS = [(*PA, "corpus/articles/port-ardley/gold/dev.jsonl"),
                 ("corpus/articles/open-columns", "index/open-columns", "corpus/articles/open-columns/gold/train.jsonl"),
                 ("corpus/articles/upland-fibre", "index/upland-fibre", "corpus/articles/upland-fibre/gold/train.jsonl")]


def bare(corpus: str, index: str, alignment: bool = False) -> QAEngine:
    return QAEngine.load(ROOT / corpus, ROOT / index, answerability=AnswerabilityModel.neutral(alignment),
                         query_adapter=QueryAdapter.identity(), question_bank=QuestionBank.empty())


def selector() -> None:
    engines = [(bare(c, i).variant(threshold=0.0), [it for it in load_gold(ROOT / g) if it.answerable])
               for c, i, g in SELECTOR_SETS]
    print("overlap passage | evidence chosen: port-ardley dev, open-columns train, upland-fibre train | mean")
    for passage_weight in (0.3, 0.6, 1.0):
        for overlap_weight in (0.0, 0.25, 0.5, 0.75, 1.0):
            s = SentenceSelector(overlap_weight=overlap_weight, passage_weight=passage_weight)
            hits = [float(np.mean([r.answer_hit for r in run_items(e.variant(selector=s), items)])) for e, items in engines]
            print(f"{overlap_weight:.2f} {passage_weight:.1f} | " + " ".join(f"{h:.3f}" for h in hits)
                  + f" | {np.mean(hits):.3f}", flush=True)


def article_rows(alignment: bool = False) -> dict[str, list]:
    """Each training article's rows as fit_general_answerability.py reads them, and port-ardley's train and dev
    rows; with ``alignment`` the word alignment's features too."""
    from fit_general_answerability import FIT

    rows = {}
    for corpus, index, train in FIT:
        engine = bare(corpus, index, alignment)
        held = (HeldOutEncoders(engine, ROOT, cache_dir=ROOT / "index" / FOLDS_SUBDIR)
                if training_record(engine.embedder.model_location) else None)
        items = [it for path in train for it in load_gold(ROOT / path)]
        rows[corpus] = crossfit_feature_rows(engine, items, QuestionBank.empty(), [], adapter=False,
                                             encoder_without=held.run if held else None)
    engine = bare(*PA, alignment)
    rows[PA[0]] = [r for split in ("train", "dev") for r in
                   feature_rows(engine, load_gold(ROOT / PA[0] / "gold" / f"{split}.jsonl"))]
    return rows


def models() -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    rows = article_rows()
    fitted_on = [a for a in rows if a != PA[0]]

    def held_out_aucs(make, target: str) -> list[float]:
        out = []
        for held in fitted_on + [PA[0]]:
            train = [r for a in fitted_on if a != held for r in rows[a]]
            model = make().fit(feature_matrix(train), target_labels(train, target))
            scores = model.predict_proba(feature_matrix(rows[held]))[:, 1]
            out.append(roc_auc_score([r.answerable for r in rows[held]], scores))
        return out

    def trees(depth: int, rate: float, n: int):
        return lambda: HistGradientBoostingClassifier(max_depth=depth, learning_rate=rate, max_iter=n,
                                                      early_stopping=False, random_state=0)

    print("model, target | AUC held out: " + ", ".join(a.rsplit("/", 1)[-1] for a in fitted_on) + ", port-ardley"
          + " | mean of the training articles")
    candidates = [("logistic", "label", lambda: LogisticRegression(C=10.0, max_iter=5000)),
                  ("logistic", "answerable", lambda: LogisticRegression(C=10.0, max_iter=5000)),
                  ("trees d3 0.1 x200", "label", trees(3, 0.1, 200))]
    candidates += [(f"trees d{d} {r} x{n}", "answerable", trees(d, r, n))
                   for d in (2, 3, 4) for r, n in ((0.05, 200), (0.05, 400), (0.1, 100), (0.1, 200), (0.1, 400))]
    for name, target, make in candidates:
        aucs = held_out_aucs(make, target)
        print(f"{name}, {target} | " + " ".join(f"{a:.3f}" for a in aucs) + f" | {np.mean(aucs[:-1]):.3f}", flush=True)


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    if what not in ("selector", "models"):
        sys.exit("usage: compare.py selector | models")
    selector() if what == "selector" else models()
