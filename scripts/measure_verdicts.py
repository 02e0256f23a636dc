"""How often the Yes/No verdict is given and right, on the yes/no questions of gold files (never a test split).

    python scripts/measure_verdicts.py corpus/gold/forms/train.jsonl corpus/gold/forms/dev.jsonl

For each answerable question with a gold "verdict", the engine answers without abstaining; the verdict
reader's settings are swept and the given share and accuracy printed, to choose the defaults of
components/verdict.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from colnato_qa.offline import pin_offline_environment  # noqa: E402

pin_offline_environment()

from colnato_qa.components.verdict import VerdictReader  # noqa: E402
from colnato_qa.engine import QAEngine  # noqa: E402
from colnato_qa.evaluation.gold import load_gold  # noqa: E402
from colnato_qa.evaluation.metrics import contains_answer  # noqa: E402


def main(paths: list[str]) -> None:
    engine = QAEngine.load().variant(threshold=0.0)
    rows = []
    for path in paths:
        for item in load_gold(path):
            if item.answerable and item.extra.get("verdict") and item.split != "test":
                a = engine.ask(item.question, list(item.history) or None)
                rows.append((item, a, contains_answer(item.answers, a.answer)))
    print(f"{len(rows)} yes/no questions; right sentence for {sum(r[2] for r in rows)}")
    for coverage in (0.34, 0.5, 0.67):
        for confidence in (0.3, 0.5, 0.7):
            report(rows, f"coverage {coverage} confidence {confidence}", VerdictReader(coverage, confidence))
    # Yes asks for more of the question than No: the share of its content words the quote must hold.
    for yes_coverage in (0.67, 0.8, 1.0):
        report(rows, f"yes coverage {yes_coverage}", VerdictReader(yes_coverage=yes_coverage))


def report(rows, label: str, reader: VerdictReader) -> None:
    given = [(item, v) for item, a, _ in rows if (v := reader.run(item.question, a.answer, a.confidence))]
    right = sum(v == item.extra["verdict"] for item, v in given)
    yes = sum(v == "yes" for _, v in given)
    print(f"{label}: given {len(given)}/{len(rows)} ({yes} yes), right {right}/{len(given)}"
          + (f" ({right / len(given):.2f})" if given else ""))


def by_kind(paths: list[str]) -> None:
    engine = QAEngine.load().variant(threshold=0.0)
    reader = VerdictReader()
    for path in paths:
        for item in load_gold(path):
            if item.answerable and item.extra.get("verdict") and item.split != "test":
                a = engine.ask(item.question, list(item.history) or None)
                v = reader.run(item.question, a.answer, a.confidence)
                if v:
                    print("OK " if v == item.extra["verdict"] else "BAD", v, "|", item.question[:70], "|", a.answer[:70])


if __name__ == "__main__":
    (by_kind if "--list" in sys.argv else main)([a for a in sys.argv[1:] if a != "--list"])
