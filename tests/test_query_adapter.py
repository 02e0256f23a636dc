"""The query adapter: fitted by a command from committed data, used only for its own corpus and encoder."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from colnato_qa.components.query_adapter import ADAPTER_SCHEMA, QueryAdapter, load_query_adapter
from colnato_qa.errors import ConfigError
from colnato_qa.evaluation.fitting import AdapterExample, fit_query_adapter


def unit(v):
    v = np.asarray(v, dtype=np.float32)
    return v / np.linalg.norm(v)


# Three "sentences" on the axes of a 3-d space; questions are worded off-axis, nearer the wrong one.
SENTENCES = np.eye(3, dtype=np.float32)
WINDOWS = np.eye(3, dtype=np.float32)
EXAMPLES = [AdapterExample(unit([0.6, 0.8, 0.0]), (0,)), AdapterExample(unit([0.55, 0.83, 0.05]), (0,)),
            AdapterExample(unit([0.0, 0.1, 1.0]), (2,)), AdapterExample(unit([0.1, 1.0, 0.0]), (1,))]


def rank_of_target(matrix, example):
    scores = SENTENCES @ QueryAdapter(matrix).run(example.vector)
    return int((scores > scores[example.targets[0]]).sum())


def test_fitting_moves_questions_to_their_sentences_and_is_deterministic():
    assert rank_of_target(None, EXAMPLES[0]) == 1           # before: the wrong sentence is nearer
    fitted = fit_query_adapter(EXAMPLES, SENTENCES, WINDOWS, penalty=0.001, steps=300, learning_rate=0.01)
    assert all(rank_of_target(fitted.matrix, e) == 0 for e in EXAMPLES)
    again = fit_query_adapter(EXAMPLES, SENTENCES, WINDOWS, penalty=0.001, steps=300, learning_rate=0.01)
    assert np.array_equal(fitted.matrix, again.matrix) and np.array_equal(fitted.null_vector, again.null_vector)


def test_unanswerable_questions_are_taught_the_no_answer_option():
    # Sentences on the first two axes; the unanswerable questions lean to the third.
    sentences = np.eye(3, dtype=np.float32)[:2]
    examples = [AdapterExample(unit([1.0, 0.2, 0.3]), (0,)), AdapterExample(unit([0.2, 1.0, 0.3]), (1,)),
                AdapterExample(unit([0.3, 0.3, 1.0]), ()), AdapterExample(unit([0.4, 0.2, 1.0]), ())]
    fitted = fit_query_adapter(examples, sentences, sentences, penalty=0.001, steps=300, learning_rate=0.01)
    adapter = QueryAdapter(fitted.matrix, null_vector=fitted.null_vector, null_bias=fitted.null_bias)
    for e in examples:
        q = adapter.run(e.vector)
        margin = float(np.max(sentences @ q)) - adapter.null_score(q)
        assert (margin > 0) == bool(e.targets), e


def test_a_strong_penalty_keeps_the_identity():
    fitted = fit_query_adapter(EXAMPLES, SENTENCES, WINDOWS, penalty=1e6, steps=50)
    assert np.allclose(fitted.matrix, np.eye(3), atol=1e-3) and np.allclose(fitted.null_vector, 0, atol=1e-3)
    assert QueryAdapter.identity().null_score(unit([1, 0, 0])) == 0.0


def test_adapted_vectors_are_unit_length_and_the_identity_changes_nothing():
    v = unit([0.3, 0.2, 0.9])
    assert QueryAdapter.identity().run(v) is v
    adapted = QueryAdapter(np.diag([2.0, 1.0, 0.5])).run(v)
    assert np.linalg.norm(adapted) == pytest.approx(1.0)
    many = QueryAdapter(np.diag([2.0, 1.0, 0.5])).run_many(np.stack([v, v]))
    assert np.allclose(many[0], adapted)


def saved(tmp_path, **meta):
    adapter = QueryAdapter(np.eye(3) * 2, {"schema": ADAPTER_SCHEMA, "corpus_hash": "c", "model_fingerprint": "m", **meta},
                           null_vector=np.array([0.1, 0.2, 0.3]), null_bias=0.25)
    path = tmp_path / "adapter.npz"
    adapter.save(path)
    return path


def test_an_adapter_round_trips_for_its_corpus_and_encoder(tmp_path):
    loaded = load_query_adapter(saved(tmp_path), "c", "m")
    assert np.array_equal(loaded.matrix, np.eye(3) * 2) and loaded.meta["corpus_hash"] == "c"
    assert loaded.null_score(np.array([1.0, 0.0, 0.0], dtype=np.float32)) == pytest.approx(0.35)


def test_an_adapter_for_another_encoder_is_not_used_with_a_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        assert load_query_adapter(saved(tmp_path), "c", "other").is_identity
    assert "colnato-qa fit" in caplog.text


def test_an_adapter_for_another_corpus_is_not_used_quietly(tmp_path, caplog):
    """Another article is no fault: `build` and `serve` say so in one line (cli/common.unfitted_notice),
    without a warning that would name the project's own training files."""
    with caplog.at_level(logging.INFO):
        assert load_query_adapter(saved(tmp_path), "other", "m").is_identity
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "another corpus" in caplog.text


def test_no_file_means_no_adapter(tmp_path):
    assert load_query_adapter(tmp_path / "missing.npz", "c", "m").is_identity
    assert load_query_adapter(None, "c", "m").is_identity


@pytest.mark.parametrize("content, message", [
    (b"not a zip file", "Cannot read the query adapter"),
    (None, "schema"),
])
def test_a_damaged_or_stale_adapter_is_refused_with_the_fix(tmp_path, content, message):
    path = saved(tmp_path, schema=ADAPTER_SCHEMA + 1)
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ConfigError, match=message) as err:
        load_query_adapter(path, "c", "m")
    assert "colnato-qa fit" in str(err.value)
