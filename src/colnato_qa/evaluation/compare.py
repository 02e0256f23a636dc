"""Two evaluation runs side by side: the run file ``eval --out RUN`` writes, the paired bootstrap
of each figure's difference, and the questions that flipped each way (``colnato-qa compare``).

A run file (``RUN/run.json``) keeps everything a comparison needs: the label and every setting of
the run, the gold file and the scoring, the metrics, and per question the answer, the short
answer, the confidence, hit, exact match and F1 (``QuestionResult``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from ..errors import GoldFormatError
from ..files import write_text_atomic
from .intervals import paired_differences
from .metrics import QuestionResult

RUN_FILE = "run.json"
RUN_SCHEMA = "colnato-qa-run/1"
_RESULT_FIELDS = {f.name for f in fields(QuestionResult)}


@dataclass
class RunFile:
    """One evaluation run as ``eval --out`` kept it."""

    path: Path
    label: str
    settings: dict[str, Any]
    gold: str
    split: str | None
    scoring: dict[str, str]
    metrics: dict[str, Any]
    results: list[QuestionResult]


def write_run(path: Path, *, label: str, settings: dict[str, Any], gold: str, split: str | None,
              scoring: dict[str, str], metrics: dict[str, Any], results: list[QuestionResult]) -> Path:
    data = {"schema": RUN_SCHEMA, "label": label, "settings": settings, "gold": gold, "split": split,
            "scoring": scoring, "metrics": metrics, "results": [r.to_dict() for r in results]}
    write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=1, default=str) + "\n")
    return path


def load_run(path: str | Path) -> RunFile:
    """A run: the ``--out`` directory of ``colnato-qa eval`` or its run.json."""
    path = Path(path)
    file = path / RUN_FILE if path.is_dir() else path
    hint = "give the directory an `colnato-qa eval GOLD --out DIR` wrote (it holds run.json)"
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GoldFormatError(f"{file} does not exist: {hint}.") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise GoldFormatError(f"{file} is not a run file ({exc}): {hint}.") from None
    if not isinstance(data, dict) or data.get("schema") != RUN_SCHEMA:
        raise GoldFormatError(f"{file} is not a run file of schema {RUN_SCHEMA}: {hint}.")
    results = [QuestionResult(**{k: v for k, v in r.items() if k in _RESULT_FIELDS}) for r in data["results"]]
    return RunFile(file, data["label"], data.get("settings") or {}, data.get("gold", ""), data.get("split"),
                   data.get("scoring") or {}, data.get("metrics") or {}, results)


def _brief(r: QuestionResult) -> dict[str, Any]:
    return {"answer": None if r.abstained else (r.prediction or r.sentence), "short_answer": r.short_answer,
            "confidence": round(r.confidence, 4), "hit": r.hit, "exact_match": r.exact_match, "f1": round(r.f1, 4)}


def compare_runs(a: RunFile, b: RunFile) -> dict[str, Any]:
    """What changed from run ``a`` to run ``b``: their settings that differ, each figure with the
    paired bootstrap 95% interval of its difference, and the questions that flipped (a miss that
    became a hit: ``gained``; the other way: ``lost``), on the questions both runs hold."""
    if a.gold != b.gold or a.split != b.split or a.scoring != b.scoring:
        notes = [f"the runs differ in {what}: {x!r} vs {y!r}"
                 for what, x, y in (("gold file", a.gold, b.gold), ("split", a.split, b.split),
                                    ("scoring", a.scoring, b.scoring)) if x != y]
    else:
        notes = []
    by_id = {r.id: r for r in b.results}
    common = [(r, by_id[r.id]) for r in a.results if r.id in by_id]
    if not common:
        raise GoldFormatError(f"{a.path} and {b.path} share no question ids: compare runs of the same gold questions.")
    only = len(a.results) + len(b.results) - 2 * len(common)
    if only:
        notes.append(f"{only} question(s) are in only one of the runs and are left out")
    keys = sorted(set(a.settings) | set(b.settings))
    settings = {k: [a.settings.get(k), b.settings.get(k)] for k in keys if a.settings.get(k) != b.settings.get(k)}

    def flip(x: QuestionResult, y: QuestionResult) -> dict[str, Any]:
        return {"id": x.id, "question": x.question, "history": x.history, "gold": x.gold_answers,
                "a": _brief(x), "b": _brief(y)}

    return {
        "a": {"label": a.label, "path": str(a.path)}, "b": {"label": b.label, "path": str(b.path)},
        "n": len(common), "settings_changed": settings, "notes": notes,
        "figures": paired_differences([x for x, _ in common], [y for _, y in common]),
        "gained": [flip(x, y) for x, y in common if not x.hit and y.hit],
        "lost": [flip(x, y) for x, y in common if x.hit and not y.hit],
    }


def render_compare_html(comparison: dict[str, Any]) -> str:
    """The comparison as one self-contained HTML page (templates/compare.html)."""
    env = Environment(loader=PackageLoader("colnato_qa.evaluation", "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    return env.get_template("compare.html").render(c=comparison)
