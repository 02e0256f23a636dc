"""The evaluation gate: figures committed in a baseline file that an evaluation may not fall below.

``config/eval_baseline.json`` holds the headline figures of ``colnato-qa eval`` on the gold test
split; ``colnato-qa eval ... --baseline FILE`` fails (exit 1) when any of them drops by more than
the file's tolerance, so a loss of quality fails the test suite and CI like any other bug.
``colnato-qa eval ... --write-baseline FILE`` (``make eval-baseline``) writes the file anew.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import GoldFormatError
from ..files import write_text_atomic
from ..settings import DATA_ROOT

GATED_METRICS = ("answer_recall", "citation_at_1", "abstain_recall")
#: The project's baseline file, which ``make eval-baseline`` rewrites.
PROJECT_BASELINE = DATA_ROOT / "config" / "eval_baseline.json"


def rewrite_hint(path: str | Path, gold: str | None = None, split: str | None = None) -> str:
    """How to write the baseline file ``path`` anew: ``make eval-baseline`` for the project's, else
    the eval command that writes that file."""
    if Path(path).resolve() == PROJECT_BASELINE:
        return "run make eval-baseline"
    return (f"rewrite it with: colnato-qa eval {gold or 'GOLD'}" + (f" --split {split}" if split else "")
            + f" --write-baseline {path}")
DEFAULT_TOLERANCE = 0.03
#: How many questions' worth a gated figure may drop: one question lost passes, two fail.
TOLERATED_QUESTIONS = 1.5
#: The questions each gated figure is a share of (keys of the metrics dict).
DENOMINATORS = {"answer_recall": "answerable", "citation_at_1": "with_evidence", "abstain_recall": "unanswerable"}


def split_tolerances(metrics: dict[str, Any]) -> dict[str, float]:
    """Per gated figure, the drop it may take on this split: ``TOLERATED_QUESTIONS`` of its questions (one
    question moves answer recall by 1/answerable), so the tolerance is sized to the split."""
    out = {}
    for name in GATED_METRICS:
        n = metrics.get(DENOMINATORS[name])
        if metrics.get(name) is not None and n:
            out[name] = round(TOLERATED_QUESTIONS / int(n), 4)
    return out


@dataclass(frozen=True)
class Baseline:
    metrics: dict[str, float]
    tolerance: float = DEFAULT_TOLERANCE
    gold: str | None = None
    split: str | None = None
    tolerances: dict[str, float] | None = None     # per figure (sized to the split); else ``tolerance``

    def regressions(self, metrics: dict[str, Any]) -> list[str]:
        """One line per gated figure more than ``tolerance`` below the baseline (empty: the gate passes)."""
        out = []
        for name, floor in self.metrics.items():
            value = metrics.get(name)
            tolerance = (self.tolerances or {}).get(name, self.tolerance)
            if value is None or value < floor - tolerance - 1e-9:
                got = "n/a" if value is None else f"{value:.3f}"
                out.append(f"{name} {got} < baseline {floor:.3f} - {tolerance:.3f}")
        return out


def read_baseline(path: str | Path) -> Baseline:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        metrics = {str(k): float(v) for k, v in data["metrics"].items()}
        tolerances = {str(k): float(v) for k, v in data["tolerances"].items()} if "tolerances" in data else None
        return Baseline(metrics, float(data.get("tolerance", DEFAULT_TOLERANCE)), data.get("gold"), data.get("split"),
                        tolerances)
    except FileNotFoundError:
        raise GoldFormatError(f"Baseline file {path} does not exist; {rewrite_hint(path)}.") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise GoldFormatError(f"Baseline file {path} is not a baseline ({exc!r}); expected "
                              '{"metrics": {"answer_recall": 0.8, ...}, "tolerance": 0.03}. '
                              f"To write it anew, {rewrite_hint(path).removeprefix('run ')}.") from None


def write_baseline(path: str | Path, metrics: dict[str, Any], gold: str, split: str | None,
                   tolerance: float = DEFAULT_TOLERANCE) -> Path:
    path = Path(path)
    data = {
        "_comment": "Figures of `colnato-qa eval` that the evaluation gate (tests/test_eval_gate.py) holds the "
                    "engine to: a figure more than `tolerance` below fails. Regenerate with `make eval-baseline`.",
        "gold": gold, "split": split, "tolerance": tolerance,
        "metrics": {k: round(float(metrics[k]), 4) for k in GATED_METRICS if metrics.get(k) is not None},
        "tolerances": split_tolerances(metrics),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return path
