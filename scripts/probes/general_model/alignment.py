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
sys.path.insert(0, str(Path(__file__).resolve().parent))

from compare import PA, article_rows  # noqa: E402

from colnato_qa.components.alignment import ALIGNMENT_FEATURES  # noqa: E402
from colnato_qa.components.answerability import FEATURES  # noqa: E402
from colnato_qa.evaluation.fitting import boosted_classifier, feature_matrix, target_labels  # noqa: E402

SETS = {
    "the thirteen features": FEATURES,
    "+ sentence and passage: min and mean": FEATURES + ALIGNMENT_FEATURES[:4],
    "+ sentence, passage and article: min and mean": FEATURES + ALIGNMENT_FEATURES,
}


def main() -> None:
    rows = article_rows(alignment=True)
    pa = rows.pop(PA[0])
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
