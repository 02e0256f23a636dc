"""Assemble the question-form gold sets (issue 17) from the writers' raw files.

    python scripts/make_forms_gold.py

Reads corpus/gold/writers/forms/*.jsonl (each written by an independent writer who saw only the
article and one brief; corpus/gold/writers/PROVENANCE.json says which) and writes, deterministically:
  corpus/gold/forms/train.jsonl      train_forms_r1 + train_forms_r2 (brief R), split "train"
  corpus/gold/forms/dev.jsonl        dev_forms_d1 (brief R, another writer), split "dev"
  corpus/gold/forms/test.jsonl       test_forms_colnato (brief T, a writer who never saw brief R), split "test"
  corpus/gold/languages/dev.jsonl    languages_dev (brief L)
  corpus/gold/languages/test.jsonl   languages_test (brief L, another writer)
The writers quoted the article body (title and byline included); nothing is rewritten but the split.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "corpus" / "gold" / "writers" / "forms"
GOLD = ROOT / "corpus" / "gold"

KEYS = ("id", "question", "answers", "evidence", "history", "type", "verdict", "contradicted_by", "language")

SETS = {
    "forms/train.jsonl": (("train_forms_r1.jsonl", "train_forms_r2.jsonl"), "train"),
    "forms/dev.jsonl": (("dev_forms_d1.jsonl",), "dev"),
    "forms/test.jsonl": (("test_forms_colnato.jsonl",), "test"),
    "languages/dev.jsonl": (("languages_dev.jsonl",), None),
    "languages/test.jsonl": (("languages_test.jsonl",), None),
}


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> None:
    for target, (sources, split) in SETS.items():
        rows = [r for name in sources for r in read(RAW / name)]
        out = GOLD / target
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8") as fh:
            for r in rows:
                line = {k: r[k] for k in KEYS if k in r and r[k] not in (None, "")}
                if split:
                    line["split"] = split
                fh.write(json.dumps(line, ensure_ascii=False) + "\n")
        print(f"{target}: {len(rows)} questions from {', '.join(sources)}")


if __name__ == "__main__":
    main()
