"""The evaluation gate: ``colnato-qa eval`` on the gold test split must not fall more than the
baseline's tolerance below the figures committed in config/eval_baseline.json (answer recall,
citation@1, abstain recall). A drop in quality fails the suite like any other bug; an intended
change rewrites the baseline with ``make eval-baseline``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from click.testing import CliRunner

from colnato_qa.cli import common, main
from colnato_qa.evaluation.baseline import GATED_METRICS, read_baseline
from colnato_qa.evaluation.gold import load_gold

from .conftest import CORPUS_DIR, ROOT

# (gold, split, baseline): the article-worded test split and the question-form test split (issue 17).
GATES = [
    (ROOT / "corpus" / "gold" / "colnato_gold.jsonl", "test", ROOT / "config" / "eval_baseline.json"),
    (ROOT / "corpus" / "gold" / "forms" / "test.jsonl", None, ROOT / "config" / "eval_baseline_forms.json"),
]


@pytest.mark.parametrize(("gold", "split", "baseline_file"), GATES)
def test_baseline_covers_the_gated_figures_of_the_test_split(gold, split, baseline_file):
    baseline = read_baseline(baseline_file)
    assert set(baseline.metrics) == set(GATED_METRICS)
    assert baseline.split == split and Path(baseline.gold).name == gold.name
    # Sized to the split: each figure may drop by one and a half of its questions (one lost passes, two fail).
    items = [it for it in load_gold(gold) if split is None or it.split == split]
    counts = {"answer_recall": sum(it.answerable for it in items),
              "citation_at_1": sum(bool(it.answerable and it.evidence) for it in items),
              "abstain_recall": sum(not it.answerable for it in items)}
    assert baseline.tolerances and set(baseline.tolerances) == set(GATED_METRICS)
    for name, tolerance in baseline.tolerances.items():
        assert tolerance == pytest.approx(1.5 / counts[name], abs=1e-4), name


@pytest.mark.parametrize(("gold", "split", "baseline_file"), GATES)
def test_eval_on_the_test_split_passes_the_gate(engine, monkeypatch, gold, split, baseline_file):
    # The CLI as a user runs it; only the loader hands over the session's engine (same corpus, index, settings).
    monkeypatch.setattr(common, "load_engine", lambda *a, **k: engine.variant())
    r = CliRunner().invoke(main, ["eval", str(gold), *(["--split", split] if split else []), "--json",
                                  "--baseline", str(baseline_file), "--corpus", str(CORPUS_DIR)])
    figures = {k: v for k, v in json.loads(r.stdout).items() if k in GATED_METRICS}
    assert r.exit_code == 0, f"{r.output[-600:]}\nfigures: {figures}"
