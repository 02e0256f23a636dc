"""The evaluation gate: ``colnato-qa eval`` on the gold test split must not fall more than the
baseline's tolerance below the figures committed in config/eval_baseline.json (answer recall,
citation@1, abstain recall). A drop in quality fails the suite like any other bug; an intended
change rewrites the baseline with ``make eval-baseline``."""

from __future__ import annotations

import json

from click.testing import CliRunner

from colnato_qa.cli import common, main
from colnato_qa.evaluation.baseline import GATED_METRICS, read_baseline

from .conftest import CORPUS_DIR, ROOT

GOLD = ROOT / "corpus" / "gold" / "colnato_gold.jsonl"
BASELINE = ROOT / "config" / "eval_baseline.json"


def test_baseline_covers_the_gated_figures_of_the_test_split():
    baseline = read_baseline(BASELINE)
    assert set(baseline.metrics) == set(GATED_METRICS)
    assert baseline.split == "test" and baseline.tolerance == 0.03


def test_eval_on_the_test_split_passes_the_gate(engine, monkeypatch):
    # The CLI as a user runs it; only the loader hands over the session's engine (same corpus, index, settings).
    monkeypatch.setattr(common, "load_engine", lambda *a, **k: engine.variant())
    r = CliRunner().invoke(main, ["eval", str(GOLD), "--split", "test", "--json", "--baseline", str(BASELINE),
                                  "--corpus", str(CORPUS_DIR)])
    figures = {k: v for k, v in json.loads(r.stdout).items() if k in GATED_METRICS}
    assert r.exit_code == 0, f"{r.output[-600:]}\nfigures: {figures}"
