"""Evaluation of colnato-qa on gold questions: formats, metrics, runner, report, calibration.

See docs/evaluation.md for the gold formats and the exact metric definitions.
"""

from .calibration import CalibrationRecord, CalibrationResult, calibrate
from .gold import GoldItem, check_evidence, filter_split, load_gold
from .metrics import QuestionResult, compute_metrics, normalize_answer
from .runner import EvalRun, evaluate

__all__ = [
    "CalibrationRecord", "CalibrationResult", "EvalRun", "GoldItem", "QuestionResult", "calibrate",
    "check_evidence", "compute_metrics", "evaluate", "filter_split", "load_gold", "normalize_answer",
]
