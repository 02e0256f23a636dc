"""encoders/training.py (the fine-tuning that makes the shipped encoder) and the shipped model's record."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from colnato_qa.encoders import model_files
from colnato_qa.encoders.model_files import (PACKAGED_MODEL_NAME, TUNED_MODEL_DIR, TUNED_MODEL_NAME, resolve_model)
from colnato_qa.encoders.training import (TRAINING_RECORD, Recipe, TrainingArticle, evidence_rows,
                                          no_duplicate_batches, training_examples)
from colnato_qa.errors import ColnatoError
from colnato_qa.files import file_sha256

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / TUNED_MODEL_DIR


# ------------------------------------------------------------------ evidence rows
@pytest.mark.parametrize("evidence, rows", [
    ("the bridge opened in 2019", [1]),                     # inside one sentence
    ("The Bridge  Opened in 2019", [1]),                    # folded: case and spaces
    ("it rained. the bridge opened in 2019 after years of delay.", [1]),   # holds a sentence longer than 20
    ("it rained.", [0]),                                    # inside a short sentence
    ("nothing like this", []),
    ("", []),
    (None, []),
])
def test_evidence_rows(evidence, rows):
    folded = ["it rained.", "the bridge opened in 2019 after years of delay."]
    assert evidence_rows(folded, evidence) == rows


# ------------------------------------------------------------------ pairs and batches
def _article() -> TrainingArticle:
    # sentences 0-2 in paragraph 0, 3-4 in paragraph 1
    return TrainingArticle("a", ["s0", "s1", "s2", "s3", "s4"], [0, 0, 0, 1, 1],
                           [("q on s1", [1]), ("q on s3 and s4", [3, 4]), ("unanswerable", [])])


def test_training_examples_pair_the_first_evidence_sentence_with_a_paragraph_negative():
    examples = training_examples([_article()], random.Random(0))
    assert [(q, pos, key) for q, pos, _, key in examples] == [("q on s1", "s1", ("a", 1)),
                                                             ("q on s3 and s4", "s3", ("a", 3))]
    assert examples[0][2] in ("s0", "s2")          # same paragraph, not the evidence
    # every other sentence of paragraph 1 is evidence: a neighbour outside the evidence instead
    assert examples[1][2] == "s2"


def test_without_leaves_out_questions_by_id():
    article = _article()
    article.question_ids = ["x1", "x2", "x3"]
    less = article.without({"x2"})
    assert less.questions == [("q on s1", [1]), ("unanswerable", [])] and less.question_ids == ["x1", "x3"]
    assert article.question_ids == ["x1", "x2", "x3"]      # the article itself is left as it was


def test_a_sentence_alone_has_no_negative():
    article = TrainingArticle("b", ["only"], [0], [("q", [0])])
    assert training_examples([article], random.Random(0))[0][2] is None


def test_batches_never_hold_a_positive_twice_and_keep_every_example():
    examples = [(f"q{i}", f"s{i % 5}", None, ("a", i % 5)) for i in range(23)]
    batches = no_duplicate_batches(examples, 4, random.Random(0))
    assert sorted(e[0] for b in batches for e in b) == sorted(e[0] for e in examples)
    for batch in batches:
        assert len(batch) <= 4
        assert len({e[3] for e in batch}) == len(batch)


def test_batches_are_the_same_for_the_same_seed():
    examples = [(f"q{i}", f"s{i}", None, ("a", i)) for i in range(40)]
    assert no_duplicate_batches(examples, 8, random.Random(3)) == no_duplicate_batches(examples, 8, random.Random(3))


# ------------------------------------------------------------------ the shipped model
def test_the_default_model_is_the_shipped_fine_tuned_one():
    assert resolve_model(None) == (str(SHIPPED), TUNED_MODEL_NAME)
    assert resolve_model(TUNED_MODEL_NAME)[1] == TUNED_MODEL_NAME
    assert resolve_model(PACKAGED_MODEL_NAME)[1] == PACKAGED_MODEL_NAME


def test_a_missing_fine_tuned_model_says_how_to_restore_it(monkeypatch, tmp_path):
    import colnato_qa.settings as settings

    monkeypatch.setattr(settings, "DATA_ROOT", tmp_path)
    with pytest.raises(ColnatoError, match="git checkout -- models/.*all-MiniLM-L6-v2"):
        model_files.tuned_model_path()


def test_the_shipped_model_records_how_it_was_made():
    record = json.loads((SHIPPED / TRAINING_RECORD).read_text(encoding="utf-8"))
    assert record["weights"]["sha256"] == file_sha256(SHIPPED / "model.safetensors")
    assert record["recipe"] == {k: v for k, v in vars(Recipe()).items()}
    assert record["base_model"]["name"] == PACKAGED_MODEL_NAME
    files = [g for article in record["trained_on"].values() for g in article["gold"]]
    assert files and all(Path(g).stem == "train" for g in files), "the encoder is trained on train splits only"


def test_the_shipped_model_was_trained_on_the_committed_training_files():
    """Retrain (python scripts/train_encoder.py --write, then refit) when a training file changes."""
    record = json.loads((SHIPPED / TRAINING_RECORD).read_text(encoding="utf-8"))
    stale = [g for article in record["trained_on"].values() for g, sha in article["gold"].items()
             if file_sha256(ROOT / g) != sha]
    assert not stale, f"{stale} changed since the encoder was trained: python scripts/train_encoder.py --write"


def test_the_fingerprint_follows_the_training_record(tmp_path):
    for name in ("config.json", "modules.json", "model.safetensors"):
        (tmp_path / name).write_text("{}")
    (tmp_path / TRAINING_RECORD).write_text('{"weights": {"sha256": "aa"}}')
    before = model_files.model_fingerprint("m", str(tmp_path))
    (tmp_path / TRAINING_RECORD).write_text('{"weights": {"sha256": "bb"}}')   # same size, other weights
    assert model_files.model_fingerprint("m", str(tmp_path)) != before


@pytest.mark.slow
def test_fine_tuning_is_deterministic_and_moves_the_weights():
    """Two tiny runs of the recipe give the same weights, and not the base model's."""
    import numpy as np

    from colnato_qa.encoders.model_files import packaged_model_path
    from colnato_qa.encoders.training import fine_tune

    article = TrainingArticle("t", ["The bridge opened in 2019.", "Rain fell all week.", "The mayor resigned.",
                                    "Tickets cost five dollars."], [0, 0, 1, 1],
                              [("when did the bridge open", [0]), ("how was the weather", [1]),
                               ("who quit", [2]), ("price of a ticket", [3])])
    recipe = Recipe(epochs=1, batch_size=4, threads=1)
    runs = [fine_tune(packaged_model_path(), [article], recipe) for _ in range(2)]
    weights = [[p.detach().numpy().copy() for p in model.parameters()] for model, _ in runs]
    assert all(np.array_equal(a, b) for a, b in zip(*weights))
    assert runs[0][1].pairs == 4 and len(runs[0][1].epoch_losses) == 1
    from sentence_transformers import SentenceTransformer

    base = SentenceTransformer(packaged_model_path(), device="cpu")
    assert not all(np.array_equal(a, p.detach().numpy()) for a, p in zip(weights[0], base.parameters()))


def test_follow_ups_are_trained_as_the_reader_reads_them(tmp_path):
    """A follow-up is a training question read with the question before it, as the engine reads "did it work?";
    ``follow_ups=False`` (the probe's standalone questions) leaves it out."""
    from colnato_qa.encoders.torch import TorchEncoder
    from colnato_qa.encoders.training import load_training_article

    (tmp_path / "a.md").write_text("---\ndoc_id: a\ntitle: A Bridge\n---\n\n# A Bridge\n\nThe bridge opened in 2019. "
                                   "It cut the trip to ten minutes.\n", encoding="utf-8")
    gold = tmp_path / "gold.jsonl"
    rows = [{"id": "q1", "question": "when did the bridge open", "answers": ["2019"],
             "evidence": "The bridge opened in 2019."},
            {"id": "q2", "question": "did it help", "answers": ["ten minutes"], "history": ["when did the bridge open"],
             "evidence": "It cut the trip to ten minutes."}]
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    encoder = TorchEncoder(PACKAGED_MODEL_NAME)
    article = load_training_article("a", tmp_path, [gold], encoder)
    assert [q for q, _ in article.questions] == ["when did the bridge open", "did it help when did the bridge open"]
    assert article.question_ids == ["q1", "q2"]
    assert load_training_article("a", tmp_path, [gold], encoder, follow_ups=False).question_ids == ["q1"]
