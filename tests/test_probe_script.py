"""scripts/probe_finetuned_encoder.py: its help runs without loading a model, and it reads no test split."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "probe_finetuned_encoder.py"


def _probe():
    if "probe_finetuned_encoder" not in sys.modules:
        spec = importlib.util.spec_from_file_location("probe_finetuned_encoder", SCRIPT)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module   # its dataclass looks its module up
        spec.loader.exec_module(module)
    return sys.modules["probe_finetuned_encoder"]


def test_help_names_the_options():
    done = subprocess.run([sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "--quick" in done.stdout and "--out" in done.stdout and "--save" in done.stdout


def test_save_refuses_a_folder_that_exists(tmp_path):
    done = subprocess.run([sys.executable, str(SCRIPT), "--save", str(tmp_path)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2 and "give a new folder" in done.stderr


@pytest.mark.parametrize("path", ["corpus/gold/natural/test.jsonl", "corpus/articles/port-ardley/gold/test.jsonl",
                                  "corpus/gold/languages/dev.jsonl", "corpus/gold/colnato_gold.jsonl",
                                  "corpus/gold/test/dev.jsonl"])
def test_a_test_split_is_refused(path):
    probe = _probe()
    with pytest.raises(probe.SplitRefused, match="never a test set"):
        probe.checked_gold_path(path)


def test_every_gold_file_it_reads_is_a_train_or_dev_split():
    probe = _probe()
    files = [f for spec in (*probe.TRAIN.values(), *probe.DEV.values()) for f in spec[2]]
    assert files and all(probe.checked_gold_path(f).is_file() for f in files)
