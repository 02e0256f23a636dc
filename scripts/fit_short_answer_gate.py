"""Fit the short answer's confidence (components/short_answer_gate.py) and choose its threshold.

    python scripts/fit_short_answer_gate.py            # print the fitted gate and its dev figures
    python scripts/fit_short_answer_gate.py --write    # and write config/short_answer.json

Rows: the training questions (TRAIN) whose quoted sentence holds a gold answer and that get a phrase; label:
the phrase shares a word with a gold answer. A logistic regression (scikit-learn, strength by stratified
cross-validation). The threshold: the lowest on the dev questions (DEV) at which at most MAX_MISS of the
phrases shown miss (share no word with the gold). Deterministic.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from colnato_qa.offline import pin_offline_environment  # noqa: E402

pin_offline_environment()

from colnato_qa.components.short_answer_gate import FEATURES, GATE_SCHEMA  # noqa: E402
from colnato_qa.engine import QAEngine  # noqa: E402
from colnato_qa.files import file_sha256  # noqa: E402
from colnato_qa.evaluation.gold import load_gold  # noqa: E402
from colnato_qa.evaluation.metrics import contains_answer, get_tokens  # noqa: E402

TRAIN = ["corpus/gold/natural/train.jsonl", "corpus/gold/forms/train.jsonl"]
DEV = ["corpus/gold/natural/dev.jsonl", "corpus/gold/forms/dev.jsonl"]
MAX_MISS = float(next((a.split("=")[1] for a in sys.argv if a.startswith("--max-miss=")), 0.03))


def rows(engine, paths):
    out = []
    for path in paths:
        for item in load_gold(ROOT / path):
            if not item.answerable:
                continue
            a = engine.ask(item.question, list(item.history) or None)
            stage = a.trace.short_answer if a.trace is not None else None
            if stage is None or not contains_answer(item.answers, a.answer):
                continue
            features = stage.features
            bold = set(get_tokens(stage.candidate))
            out.append(([features[k] for k in FEATURES], any(bold & set(get_tokens(g)) for g in item.answers)))
    return out


def main(write: bool) -> None:
    from sklearn.linear_model import LogisticRegressionCV

    engine = QAEngine.load().variant(threshold=0.0, short_answer_gate=None)
    train, dev = rows(engine, TRAIN), rows(engine, DEV)
    x, y = np.array([r[0] for r in train]), np.array([r[1] for r in train])
    model = LogisticRegressionCV(Cs=[0.03, 0.1, 0.3, 1.0, 3.0, 10.0], cv=5, scoring="neg_log_loss", max_iter=5000).fit(x, y)
    dev_p = model.predict_proba(np.array([r[0] for r in dev]))[:, 1]
    dev_y = np.array([r[1] for r in dev])
    threshold = 1.0
    for t in sorted(set(np.round(dev_p, 6))):
        shown = dev_p >= t
        if shown.any() and (~dev_y[shown]).mean() <= MAX_MISS:
            threshold = float(t)
            break
    shown = dev_p >= threshold
    fitted = {
        "schema": GATE_SCHEMA, "bias": round(float(model.intercept_[0]), 6),
        "weights": {k: round(float(w), 6) for k, w in zip(FEATURES, model.coef_[0])},
        "threshold": round(threshold, 6), "C": float(model.C_[0]),
        "fitted_on": [{"gold": p, "sha256": file_sha256(ROOT / p)} for p in TRAIN], "train_rows": len(train),
        "threshold_chosen_on": DEV, "dev": {"rows": len(dev), "shown": int(shown.sum()),
                                            "missed_when_shown": round(float((~dev_y[shown]).mean()), 4) if shown.any() else None,
                                            "max_miss": MAX_MISS},
        "date": dt.date.today().isoformat(),
    }
    text = json.dumps(fitted, indent=2) + "\n"
    print(text)
    if write:
        (ROOT / "config" / "short_answer.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main("--write" in sys.argv[1:])
