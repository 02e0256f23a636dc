"""Fit the answerability model used on any article that has no query adapter or question bank of its own, and
the question-form prior it reads.

    python scripts/fit_general_answerability.py            # print the model and its figures
    python scripts/fit_general_answerability.py --write    # and write config/answerability_general.json
                                                           # and config/question_prior.npz

Fitted on several articles (FIT: each a corpus folder with training questions), with the engine as it runs
on an article nobody fitted for: the identity adapter, no question bank. The question-form prior
(components/question_prior.py) is fitted on the same questions; each question's ``form_prior`` feature comes
from a prior fitted without its fold (cross-fitting, so that it looks as on new questions). The threshold is
chosen on the dev questions of the articles fitted on, by best answer/abstain accuracy. No question of the
cross-article test article (corpus/articles/port-ardley) is used: its splits measure this model.
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
from colnato_qa.components.question_prior import fit_question_prior  # noqa: E402
from colnato_qa.engine import QAEngine  # noqa: E402
from colnato_qa.evaluation.calibration import calibrate, records_from_results  # noqa: E402
from colnato_qa.evaluation.fitting import feature_rows, file_sha256, fit_answerability  # noqa: E402
from colnato_qa.evaluation.gold import load_gold  # noqa: E402
from colnato_qa.evaluation.runner import run_items  # noqa: E402

# (corpus folder, index folder, training gold files, calibration gold files)
FIT = [
    ("corpus", "index", ["corpus/gold/natural/train.jsonl", "corpus/gold/forms/train.jsonl"],
     ["corpus/gold/natural/dev.jsonl", "corpus/gold/forms/dev.jsonl"]),
    ("corpus/articles/open-columns", "index/open-columns", ["corpus/articles/open-columns/gold/train.jsonl"], []),
]


FOLDS = 5


def main(write: bool) -> None:
    rows, records, fitted_on = [], [], []
    engines, sets = {}, []
    for corpus, index, train, dev in FIT:
        engines[corpus] = QAEngine.load(ROOT / corpus, ROOT / index, answerability=AnswerabilityModel.neutral(),
                                        query_adapter=QueryAdapter.identity(), question_bank=QuestionBank.empty())
        for path in train:
            items = load_gold(ROOT / path)
            sets.append((corpus, items))
            fitted_on.append({"corpus": corpus, "gold": path, "sha256": file_sha256(ROOT / path), "questions": len(items)})
    # Every training question (asked on its own) with its encoder vector, in folds.
    asked = [(corpus, it, engines[corpus].encode_question(it.question, adapted=False))
             for corpus, items in sets for it in items if not it.history]
    fold = {id(it): n % FOLDS for n, (_, it, _) in enumerate(asked)}
    for corpus, items in sets:
        for n, it in enumerate(items):
            fold.setdefault(id(it), n % FOLDS)
    for k in range(FOLDS):
        others = [(v, it.answerable) for _, it, v in asked if fold[id(it)] != k]
        prior = fit_question_prior([v for v, _ in others], [a for _, a in others], {})
        for corpus, items in sets:
            part = [it for it in items if fold[id(it)] == k]
            rows.extend(feature_rows(engines[corpus].variant(question_prior=prior), part))
    model = fit_answerability(rows, held_at_zero=())
    fingerprint = next(iter(engines.values())).manifest.get("model_fingerprint")
    prior = fit_question_prior([v for _, _, v in asked], [it.answerable for _, it, _ in asked],
                               {"model_fingerprint": fingerprint, "fitted_on": fitted_on})
    for corpus, index, _, dev in FIT:
        if not dev:
            continue
        engine = engines[corpus].variant(answerability=AnswerabilityModel(model), question_prior=prior)
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
        prior.save(ROOT / "config" / "question_prior.npz")


if __name__ == "__main__":
    main("--write" in sys.argv[1:])
