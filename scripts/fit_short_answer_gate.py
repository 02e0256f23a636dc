"""Fit the short answer's confidence: per kind of question, how often the bold phrase shares a word with a
gold answer when the quoted sentence is right, on training questions (never dev or test).

    python scripts/fit_short_answer_gate.py                 # print the table
    python scripts/fit_short_answer_gate.py --write         # and write config/short_answer.json

The engine shows the short answer (in bold) only for kinds whose measured precision reaches
``min_precision`` on at least ``min_support`` questions; that precision is ``short_answer.confidence``.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from colnato_qa.offline import pin_offline_environment  # noqa: E402

pin_offline_environment()

from colnato_qa.engine import QAEngine  # noqa: E402
from colnato_qa.evaluation.fitting import file_sha256  # noqa: E402
from colnato_qa.evaluation.gold import load_gold  # noqa: E402
from colnato_qa.evaluation.metrics import contains_answer, get_tokens  # noqa: E402

GOLD = ["corpus/gold/natural/train.jsonl", "corpus/gold/forms/train.jsonl"]
MIN_PRECISION = 0.9
MIN_SUPPORT = 5


def main(write: bool) -> None:
    engine = QAEngine.load().variant(threshold=0.0, short_answer_gate=None)
    counts: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    for path in GOLD:
        for item in load_gold(ROOT / path):
            if not item.answerable:
                continue
            a = engine.ask(item.question, list(item.history) or None)
            if a.short_answer is None or not contains_answer(item.answers, a.answer):
                continue
            bold = set(get_tokens(a.short_answer.text))
            counts[a.debug.get("answer_type") or "other"][0 if any(bold & set(get_tokens(g)) for g in item.answers) else 1] += 1
    kinds = {k: {"precision": round(ok / (ok + bad), 4), "n": ok + bad} for k, (ok, bad) in sorted(counts.items())}
    table = {"min_precision": MIN_PRECISION, "min_support": MIN_SUPPORT, "kinds": kinds,
             "fitted_on": [{"gold": p, "sha256": file_sha256(ROOT / p)} for p in GOLD], "date": dt.date.today().isoformat()}
    text = json.dumps(table, indent=2) + "\n"
    print(text)
    if write:
        (ROOT / "config" / "short_answer.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main("--write" in sys.argv[1:])
