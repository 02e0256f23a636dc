"""Assemble the question-form gold sets (issue 17) from the writers' raw files.

    python scripts/make_forms_gold.py

Reads corpus/gold/writers/forms/*.jsonl (each written by an independent writer who saw only the
article and one brief; corpus/gold/writers/PROVENANCE.json says which) and writes, deterministically:
  corpus/gold/forms/train.jsonl      train_forms_r1, _r2, _r6 to _r11 (brief R, eight writers), split "train"
  corpus/gold/forms/dev.jsonl        dev_forms_d1 (brief R, another writer), split "dev"
  corpus/gold/forms/test.jsonl       test_forms_colnato (brief T, a writer who never saw brief R), split "test"
  corpus/gold/languages/dev.jsonl    languages_dev (brief L)
  corpus/gold/languages/test.jsonl   languages_test (brief L, another writer)
and, for the cross-article tests (issue 22), on articles kept in their own corpus folders:
  corpus/articles/port-ardley/gold/train.jsonl   train_forms_article2 (brief R), split "train"
  corpus/articles/port-ardley/gold/dev.jsonl     dev_forms_article2 (brief R, the same writer), split "dev"
  corpus/articles/port-ardley/gold/test.jsonl    test_forms_article2 (brief T, a writer who never saw brief R), split "test"
  corpus/articles/open-columns/gold/train.jsonl  train_forms_article3, _article3_r12 (brief R, two writers), split "train"
  corpus/articles/upland-fibre/gold/train.jsonl  train_forms_article4 (brief R), split "train"
  corpus/articles/kestrava-charge/gold/train.jsonl  train_forms_article5 (brief R), split "train"
  corpus/articles/estravia-id/gold/train.jsonl   train_forms_article6 (brief R), split "train"
  corpus/articles/tarn-valley-hospitals/gold/train.jsonl  train_forms_article7 (brief R), split "train"
  corpus/articles/hollin-fells-wolves/gold/train.jsonl    train_forms_article8 (brief R), split "train"
  corpus/articles/castremont-games/gold/train.jsonl       train_forms_article9 (brief R), split "train"
  corpus/articles/saint-aubrel-cap/gold/train.jsonl       train_forms_article10 (brief R), split "train"
  corpus/articles/karrick-dams/gold/train.jsonl            train_forms_article11 (brief R), split "train"
  corpus/articles/harlan-plains-school-week/gold/train.jsonl train_forms_article12 (brief R), split "train"
  corpus/articles/brackwater-field/gold/train.jsonl        train_forms_article13 (brief R), split "train"
  corpus/articles/elverstow-retreat/gold/train.jsonl       train_forms_article14 (brief R), split "train"
The writers quoted the article body (title and byline included); nothing is rewritten but the split,
except the few evidence strings in FIXES: the writers of the new articles saw the whole file, front
matter included, and quoted four lines the engine never reads as text (a "publisher:" line and the
"# " of the headline). Those are mended here, in the open, and the raw files are left as written.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "corpus" / "gold" / "writers" / "forms"
GOLD = ROOT / "corpus" / "gold"

KEYS = ("id", "question", "answers", "evidence", "history", "type", "verdict", "contradicted_by", "language")

SETS = {
    "forms/train.jsonl": (("train_forms_r1.jsonl", "train_forms_r2.jsonl", "train_forms_r6.jsonl",
                           "train_forms_r7.jsonl", "train_forms_r8.jsonl", "train_forms_r9.jsonl",
                           "train_forms_r10.jsonl", "train_forms_r11.jsonl"), "train"),
    "forms/dev.jsonl": (("dev_forms_d1.jsonl",), "dev"),
    "forms/test.jsonl": (("test_forms_colnato.jsonl",), "test"),
    "languages/dev.jsonl": (("languages_dev.jsonl",), None),
    "languages/test.jsonl": (("languages_test.jsonl",), None),
    "../articles/port-ardley/gold/train.jsonl": (("train_forms_article2.jsonl",), "train"),
    "../articles/port-ardley/gold/dev.jsonl": (("dev_forms_article2.jsonl",), "dev"),
    "../articles/port-ardley/gold/test.jsonl": (("test_forms_article2.jsonl",), "test"),
    "../articles/open-columns/gold/train.jsonl": (("train_forms_article3.jsonl", "train_forms_article3_r12.jsonl"), "train"),
    "../articles/upland-fibre/gold/train.jsonl": (("train_forms_article4.jsonl",), "train"),
    "../articles/kestrava-charge/gold/train.jsonl": (("train_forms_article5.jsonl",), "train"),
    "../articles/estravia-id/gold/train.jsonl": (("train_forms_article6.jsonl",), "train"),
    "../articles/tarn-valley-hospitals/gold/train.jsonl": (("train_forms_article7.jsonl",), "train"),
    "../articles/hollin-fells-wolves/gold/train.jsonl": (("train_forms_article8.jsonl",), "train"),
    "../articles/castremont-games/gold/train.jsonl": (("train_forms_article9.jsonl",), "train"),
    "../articles/saint-aubrel-cap/gold/train.jsonl": (("train_forms_article10.jsonl",), "train"),
    "../articles/karrick-dams/gold/train.jsonl": (("train_forms_article11.jsonl",), "train"),
    "../articles/harlan-plains-school-week/gold/train.jsonl": (("train_forms_article12.jsonl",), "train"),
    "../articles/brackwater-field/gold/train.jsonl": (("train_forms_article13.jsonl",), "train"),
    "../articles/elverstow-retreat/gold/train.jsonl": (("train_forms_article14.jsonl",), "train"),
}

# Evidence that quotes the article file's front matter or Markdown, which the corpus loader does not
# read as text (colnato_qa.corpus.parse_document): id -> the evidence as the loaded document has it.
# None drops the evidence: the publisher is only in the front matter, so, as the project's own meta
# questions (corpus/gold/colnato_gold.jsonl q059), the answer is kept and no passage is claimed.
FIXES = {
    "rY046": "Port Ardley Bet on the Sea. Did the Desalination Plant Pay Off?",  # was "# Port Ardley ..."
    "rY048": None,                                                               # was "publisher: The Coastal Ledger"
    "rZ023": None,                                                               # was "publisher: The Northern Review of Ideas"
    "rU006": None,                                                               # was "publisher: The Tarrow Valley Ledger"
}


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> None:
    for target, (sources, split) in SETS.items():
        rows = [r for name in sources for r in read(RAW / name)]
        for r in rows:
            if r["id"] in FIXES:
                if FIXES[r["id"]] is None:
                    r.pop("evidence", None)
                else:
                    r["evidence"] = FIXES[r["id"]]
        out = (GOLD / target).resolve()
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8") as fh:
            for r in rows:
                line = {k: r[k] for k in KEYS if k in r and r[k] not in (None, "")}
                if split:
                    line["split"] = split
                fh.write(json.dumps(line, ensure_ascii=False) + "\n")
        print(f"{out.relative_to(ROOT)}: {len(rows)} questions from {', '.join(sources)}")


if __name__ == "__main__":
    main()
