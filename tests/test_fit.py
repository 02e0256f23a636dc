"""The answerability model: fitted by a command from committed data, refused when stale."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from colnato_qa.components.answerability import FEATURE_SCHEMA, FEATURES, AnswerabilityModel, load_answerability
from colnato_qa.errors import ConfigError
from colnato_qa.evaluation.fitting import FitRow, fit_answerability

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "config" / "answerability.json"


def rows(n: int = 40) -> list[FitRow]:
    out = []
    for i in range(n):
        good = i % 2 == 0
        f = {name: 0.0 for name in FEATURES}
        f["sentence_cosine"] = 0.7 if good else 0.3 + (i % 5) * 0.05
        f["kind_missing"] = 0.0 if good else float(i % 3 == 0)
        out.append(FitRow(f, good))
    return out


def test_fit_is_deterministic_and_learns_the_signal():
    a, b = fit_answerability(rows()), fit_answerability(rows())
    assert a == b
    assert a["schema"] == FEATURE_SCHEMA and set(a["weights"]) == set(FEATURES)
    assert a["weights"]["sentence_cosine"] > 0 > a["weights"]["kind_missing"]
    model = AnswerabilityModel(a)
    good = {name: 0.0 for name in FEATURES} | {"sentence_cosine": 0.7}
    bad = {name: 0.0 for name in FEATURES} | {"sentence_cosine": 0.3, "kind_missing": 1.0}
    assert model.run(good) > 0.5 > model.run(bad)


def test_weights_of_another_schema_are_refused_with_the_fix(tmp_path):
    stale = json.loads(COMMITTED.read_text(encoding="utf-8")) | {"schema": FEATURE_SCHEMA - 1}
    path = tmp_path / "answerability.json"
    path.write_text(json.dumps(stale), encoding="utf-8")
    with pytest.raises(ConfigError, match="colnato-qa fit"):
        load_answerability(path)
    with pytest.raises(ConfigError, match="No answerability model"):
        load_answerability(tmp_path / "missing.json")


def test_committed_model_records_what_it_was_fitted_on():
    fitted = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert fitted["schema"] == FEATURE_SCHEMA
    for source in fitted["fitted_on"]:
        assert "test" not in source["gold"].rsplit(":", 1)[-1] and "/test." not in source["gold"]


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_refit_from_committed_data_gives_the_committed_weights(engine, tmp_path):
    """`colnato-qa fit` on the files the committed model names reproduces its weights and the query adapter. From a
    clean clone this trains the five fold encoders (about 2.5 minutes each on 2 cores), hence its own timeout."""
    import numpy as np
    from click.testing import CliRunner

    from colnato_qa.cli import main
    from colnato_qa.components.query_adapter import load_query_adapter

    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    specs = [s["gold"] for s in committed["fitted_on"]]
    args = [str(ROOT / s) if ":" not in s else str(ROOT / s.split(":")[0]) + ":" + s.split(":")[1] for s in specs]
    out, adapter_out = tmp_path / "answerability.json", tmp_path / "adapter.npz"
    result = CliRunner().invoke(main, ["fit", *args, "--write", "--out", str(out), "--adapter-out", str(adapter_out),
                                      "--bank-out", str(tmp_path / "bank.npz")])   # never the tracked config/ file
    assert result.exit_code == 0, result.output
    refit = json.loads(out.read_text(encoding="utf-8"))
    assert refit["bias"] == pytest.approx(committed["bias"], abs=1e-3)
    for name in FEATURES:
        assert refit["weights"][name] == pytest.approx(committed["weights"][name], abs=1e-3)
    manifest = engine.manifest
    mine = load_query_adapter(ROOT / "config" / "query_adapter.npz", manifest["corpus_hash"], manifest["model_fingerprint"])
    again = load_query_adapter(adapter_out, manifest["corpus_hash"], manifest["model_fingerprint"])
    assert not mine.is_identity, "the committed adapter is fitted for the committed corpus and encoder"
    assert np.allclose(mine.matrix, again.matrix, atol=1e-4)
    assert np.allclose(mine.null_vector, again.null_vector, atol=1e-4) and mine.null_bias == pytest.approx(again.null_bias, abs=1e-4)
    assert mine.meta["fitted_on"] == committed["fitted_on"]


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_general_model_refits_to_the_committed_model(tmp_path):
    """scripts/fit_general_answerability.py (the model for an article nobody fitted for) reproduces the committed
    config/answerability_general.json from the committed training questions; it reads them with the fold encoders
    the test above trains (or trains them, run alone)."""
    import subprocess
    import sys

    from colnato_qa.components.answerability import AnswerabilityModel

    general = ROOT / "config" / "answerability_general.json"
    out = tmp_path / "general.json"
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "fit_general_answerability.py"), "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    refit, committed = json.loads(out.read_text(encoding="utf-8")), json.loads(general.read_text(encoding="utf-8"))
    assert refit["fitted_on"] == committed["fitted_on"] and refit["fit"]["rows"] == committed["fit"]["rows"]
    assert refit["threshold"] == pytest.approx(committed["threshold"], abs=0.01)
    # The same trees, judged by what they say on feature vectors drawn across the features' range.
    rng = __import__("numpy").random.default_rng(0)
    a, b = AnswerabilityModel(refit), AnswerabilityModel(committed)
    assert a.features == b.features
    probes = [{name: float(v) for name, v in zip(b.features, row)} for row in rng.random((500, len(b.features)))]
    gaps = [abs(a.run(p) - b.run(p)) for p in probes]
    assert max(gaps) < 0.05, max(gaps)
