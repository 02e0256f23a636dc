"""Fit the answerability model used on any article that has no query adapter or question bank of its own.

    python scripts/fit_general_answerability.py            # print the model and its figures
    python scripts/fit_general_answerability.py --write    # and write config/answerability_general.json

Fitted on several articles (FIT: each a corpus folder with training questions), with the engine as it runs
on an article nobody fitted for: the identity adapter, no question bank; each fold of a training file is read
with an encoder fine-tuned without it (evaluation/encoder_folds.py) when the shipped encoder was fine-tuned on
that file. Its threshold is chosen on the dev
questions of the articles fitted on (CALIBRATE), by best answer/abstain accuracy. No question of the
cross-article test article (corpus/articles/port-ardley) is used: its test split measures this model.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from colnato_qa.offline import pin_offline_environment  # noqa: E402

pin_offline_environment()

from colnato_qa.components.answerability import AnswerabilityModel  # noqa: E402
from colnato_qa.components.query_adapter import QueryAdapter  # noqa: E402
from colnato_qa.components.question_bank import QuestionBank  # noqa: E402
from colnato_qa.engine import QAEngine  # noqa: E402
from colnato_qa.evaluation.calibration import calibrate, records_from_results  # noqa: E402
from colnato_qa.evaluation.encoder_folds import FOLDS_SUBDIR, HeldOutEncoders, training_record  # noqa: E402
from colnato_qa.evaluation.fitting import crossfit_feature_rows, fit_answerability  # noqa: E402
from colnato_qa.files import file_sha256  # noqa: E402
from colnato_qa.evaluation.gold import load_gold  # noqa: E402
from colnato_qa.evaluation.runner import run_items  # noqa: E402

# (corpus folder, index folder, training gold files, calibration gold files)
FIT = [
    ("corpus", "index", ["corpus/gold/natural/train.jsonl", "corpus/gold/forms/train.jsonl"],
     ["corpus/gold/natural/dev.jsonl", "corpus/gold/forms/dev.jsonl"]),
    ("corpus/articles/open-columns", "index/open-columns", ["corpus/articles/open-columns/gold/train.jsonl"], []),
    ("corpus/articles/upland-fibre", "index/upland-fibre", ["corpus/articles/upland-fibre/gold/train.jsonl"], []),
]


def main(write: bool) -> None:
    rows, records, fitted_on = [], [], []
    for corpus, index, train, dev in FIT:
        engine = QAEngine.load(ROOT / corpus, ROOT / index, answerability=AnswerabilityModel.neutral(),
                               query_adapter=QueryAdapter.identity(), question_bank=QuestionBank.empty())
        # Each fold read with an encoder fine-tuned without it (when the encoder was fine-tuned on these
        # questions, as the shipped one was), as the questions of an article nobody fitted for are read.
        # The article's files are cross-fitted together, in the folds `colnato-qa fit` uses (the same fold
        # encoders serve both).
        held_out = (HeldOutEncoders(engine, ROOT, cache_dir=ROOT / "index" / FOLDS_SUBDIR)
                    if training_record(engine.embedder.model_location) else None)
        items = []
        for path in train:
            file_items = load_gold(ROOT / path)
            items.extend(file_items)
            fitted_on.append({"corpus": corpus, "gold": path, "sha256": file_sha256(ROOT / path),
                              "questions": len(file_items)})
        rows.extend(crossfit_feature_rows(engine, items, QuestionBank.empty(), [], adapter=False,
                                          encoder_without=held_out.run if held_out else None))
    model = fit_answerability(rows)
    for corpus, index, _, dev in FIT:
        if not dev:
            continue
        engine = QAEngine.load(ROOT / corpus, ROOT / index, answerability=AnswerabilityModel(model),
                               query_adapter=QueryAdapter.identity(), question_bank=QuestionBank.empty())
        for path in dev:
            records.extend(records_from_results(run_items(engine.variant(threshold=0.0), load_gold(ROOT / path))))
    for i, r in enumerate(records):   # ids unique across files
        records[i] = type(r)(id=f"{i}:{r.id}", confidence=r.confidence, correct=r.correct, answerable=r.answerable)
    chosen = calibrate(records)
    model.update({"name": "general", "threshold": round(chosen.threshold, 6), "fitted_on": fitted_on,
                  "calibrated_on": [p for _, _, _, dev in FIT for p in dev], "calibration": chosen.to_dict(),
                  "query_adapter": False, "question_bank": False, "date": dt.date.today().isoformat()})
    text = json.dumps(model, indent=2, ensure_ascii=False) + "\n"
    print(text)
    if write:
        (ROOT / "config" / "answerability_general.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main("--write" in sys.argv[1:])
