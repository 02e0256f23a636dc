"""Probe (issue 22, round 4): what the word alignment's features (components/alignment.py) add to the model for an
article nobody fitted for.

    .venv/bin/python scripts/probes/general_model/alignment.py     # about 4 minutes on 2 cores

The rows are read as scripts/fit_general_answerability.py reads them (its FIT: the twelve small training
articles, each fold of a file the shipped encoder trained on read with an encoder fine-tuned without it), and
port-ardley's train and dev splits (never fitted on) with the engine as it runs there. Trees (the shipped
settings) over three feature sets: each training article scored by trees fitted on the others (mean ROC AUC,
answerable against not), and port-ardley by trees fitted on all twelve. No test split is read. The figures are in
docs/ablation.md ("Issue 22, round 4").
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from fit_general_answerability import FIT  # noqa: E402

from colnato_qa.components.alignment import ALIGNMENT_FEATURES  # noqa: E402
from colnato_qa.components.answerability import FEATURES, AnswerabilityModel  # noqa: E402
from colnato_qa.components.query_adapter import QueryAdapter  # noqa: E402
from colnato_qa.components.question_bank import QuestionBank  # noqa: E402
from colnato_qa.engine import QAEngine  # noqa: E402
from colnato_qa.evaluation.encoder_folds import FOLDS_SUBDIR, HeldOutEncoders, training_record  # noqa: E402
from colnato_qa.evaluation.fitting import (  # noqa: E402
    boosted_classifier, crossfit_feature_rows, feature_matrix, feature_rows, target_labels)
from colnato_qa.evaluation.gold import load_gold  # noqa: E402

PA = ("corpus/articles/port-ardley", "index/port-ardley")
SETS = {
    "the thirteen features": FEATURES,
    "+ sentence and passage: min and mean": FEATURES + ALIGNMENT_FEATURES[:4],
    "+ sentence, passage and article: min and mean": FEATURES + ALIGNMENT_FEATURES,
}


def engine(corpus: str, index: str) -> QAEngine:
    return QAEngine.load(ROOT / corpus, ROOT / index, answerability=AnswerabilityModel.neutral(alignment=True),
                         query_adapter=QueryAdapter.identity(), question_bank=QuestionBank.empty())


def main() -> None:
    rows = {}
    for corpus, index, train in FIT:
        e = engine(corpus, index)
        held = (HeldOutEncoders(e, ROOT, cache_dir=ROOT / "index" / FOLDS_SUBDIR)
                if training_record(e.embedder.model_location) else None)
        items = [it for path in train for it in load_gold(ROOT / path)]
        rows[corpus] = crossfit_feature_rows(e, items, QuestionBank.empty(), [], adapter=False,
                                             encoder_without=held.run if held else None)
    e = engine(*PA)
    pa = [r for split in ("train", "dev") for r in feature_rows(e, load_gold(ROOT / PA[0] / "gold" / f"{split}.jsonl"))]
    from sklearn.metrics import roc_auc_score

    def auc(train, test, names) -> float:
        model = boosted_classifier().fit(feature_matrix(train, names), target_labels(train, "answerable"))
        return roc_auc_score([r.answerable for r in test], model.predict_proba(feature_matrix(test, names))[:, 1])

    print(f"{'trees over':48s} mean held out | port-ardley train+dev ({len(pa)})")
    for label, names in SETS.items():
        held_out = [auc([r for a, rs in rows.items() if a != held for r in rs], rows[held], names) for held in rows]
        everything = [r for rs in rows.values() for r in rs]
        print(f"{label:48s} {np.mean(held_out):.3f} | {auc(everything, pa, names):.3f}   "
              + " ".join(f"{a:.3f}" for a in held_out), flush=True)


if __name__ == "__main__":
    main()
