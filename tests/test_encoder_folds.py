"""evaluation/encoder_folds.py: folds that do not depend on the file, and the encoder cross-fitting's wiring."""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from types import SimpleNamespace

import pytest

from colnato_qa.components.question_bank import QuestionBank
from colnato_qa.errors import ColnatoError
from colnato_qa.evaluation.encoder_folds import HeldOutEncoders, stable_fold, training_record
from colnato_qa.evaluation.fitting import crossfit_feature_rows
from colnato_qa.evaluation.gold import GoldItem

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("item_id", ["q001", "rA017", "rZ150", "ü-1"])
def test_stable_fold_is_the_crc32_of_the_id(item_id):
    assert stable_fold(item_id, 5) == zlib.crc32(item_id.encode()) % 5
    assert stable_fold(item_id, 7) == zlib.crc32(item_id.encode()) % 7


def test_stable_folds_spread_the_training_questions():
    ids = [json.loads(line)["id"] for line in (ROOT / "corpus/gold/forms/train.jsonl").read_text().splitlines()]
    sizes = [sum(stable_fold(i, 5) == k for i in ids) for k in range(5)]
    assert min(sizes) > 0.6 * len(ids) / 5, sizes


def _fake_engine(model_location: Path):
    return SimpleNamespace(embedder=SimpleNamespace(model_location=str(model_location), model_name="m"),
                           index_dir="unused", corpus_dir="unused")


def test_a_model_not_fine_tuned_here_has_nothing_to_cross_fit(tmp_path):
    assert training_record(tmp_path) is None
    with pytest.raises(ColnatoError, match="--encoder-features in-sample"):
        HeldOutEncoders(_fake_engine(tmp_path), ROOT)


def test_missing_training_files_name_the_fix(tmp_path):
    (tmp_path / "training.json").write_text(json.dumps(
        {"trained_on": {"a": {"corpus": "corpus", "gold": {"gold/gone.jsonl": "00"}}}, "recipe": {},
         "base_model": {"name": "all-MiniLM-L6-v2"}}))
    with pytest.raises(ColnatoError, match="gold/gone.jsonl.*source checkout.*--encoder-features in-sample"):
        HeldOutEncoders(_fake_engine(tmp_path), tmp_path)


def test_questions_the_encoder_never_saw_are_read_with_the_engine_itself(tmp_path):
    """No fold encoder is trained (nothing is written) when the held-out questions are not in its training."""
    record = {"trained_on": {"a": {"corpus": "corpus", "gold": {}}}, "recipe": {},
              "base_model": {"name": "all-MiniLM-L6-v2"}}
    (tmp_path / "training.json").write_text(json.dumps(record))
    engine = _fake_engine(tmp_path)
    held = HeldOutEncoders(engine, tmp_path, cache_dir=tmp_path / "cache")
    held._articles = [SimpleNamespace(question_ids=["t1", "t2"])]
    assert held.trained_ids == {"t1", "t2"}
    assert held.run(frozenset({"new1", "new2"})) is engine
    assert not (tmp_path / "cache").exists()


def test_crossfit_reads_each_fold_with_the_engine_made_without_it(engine):
    """encoder_without is asked once per fold, with exactly that fold's ids, and its engine answers them."""
    items = [GoldItem(f"x{n}", q, a, e) for n, (q, a, e) in enumerate([
        ("When was the ITPP signed?", ("2021",), None), ("Who wrote the article?", (), None),
        ("What is Colombia's status with NATO?", ("global partner",), None),
        ("What is the capital of France?", (), None), ("Why did Colombia join?", (), None),
        ("What does Building Integrity do?", (), None), ("Who was president in 2010?", (), None)])]
    asked: list[frozenset[str]] = []

    def encoder_without(ids):
        asked.append(ids)
        return engine

    rows = crossfit_feature_rows(engine, items, QuestionBank.empty(), [], folds=3, encoder_without=encoder_without,
                                 adapter=False)
    assert sorted(i for ids in asked for i in ids) == sorted(it.id for it in items)
    for ids in asked:
        assert len({stable_fold(i, 3) for i in ids}) == 1
    assert 0 < len(rows) <= len(items)


def test_one_fold_encoder_serves_every_article(tmp_path):
    """The questions left out are those of the asked ids' folds in every training article: `fit` on one article and
    the general model's fit on another ask for the same encoder."""
    record = {"trained_on": {"a": {"corpus": "corpus", "gold": {}}}, "recipe": {},
              "base_model": {"name": "all-MiniLM-L6-v2"}}
    (tmp_path / "training.json").write_text(json.dumps(record))
    held = HeldOutEncoders(_fake_engine(tmp_path), tmp_path, cache_dir=tmp_path / "cache", folds=3)
    ids = [f"a{n}" for n in range(12)] + [f"b{n}" for n in range(12)]
    held._articles = [SimpleNamespace(question_ids=ids[:12]), SimpleNamespace(question_ids=ids[12:])]
    a_fold = frozenset(i for i in ids[:12] if stable_fold(i, 3) == 1)
    b_fold = frozenset(i for i in ids[12:] if stable_fold(i, 3) == 1)
    assert held.whole_folds(a_fold) == held.whole_folds(b_fold) == a_fold | b_fold
    assert held.whole_folds(frozenset({"new"})) == frozenset()
