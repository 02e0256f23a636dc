"""Remove from the seen gold sets (train, dev) every question that is a near twin of a held-out one.

    python scripts/dedupe_gold.py            # report what would go
    python scripts/dedupe_gold.py --write    # rewrite the seen files without them

corpus/gold/splits.json lists the seen and held-out sets; the rule is colnato_qa.evaluation.twins.
The held-out sets are never changed (they were written before any tuning); what is removed from a seen
set is logged in corpus/gold/writers/twins_removed.jsonl. tests/test_gold_twins.py checks that none is left.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from colnato_qa.evaluation.gold import load_gold  # noqa: E402
from colnato_qa.evaluation.twins import near_twins  # noqa: E402


def spec_items(spec: str):
    path, _, split = spec.partition(":")
    return [i for i in load_gold(ROOT / path) if not split or i.split == split]


def rewrite_without(path: Path, drop: set[str]) -> None:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        data = json.loads(text)
        for article in data["data"]:
            for para in article["paragraphs"]:
                para["qas"] = [q for q in para["qas"] if q["id"] not in drop]
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return
    kept = [line for line in text.splitlines() if line.strip() and json.loads(line)["id"] not in drop]
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")


def main() -> None:
    write = "--write" in sys.argv[1:]
    splits = json.loads((ROOT / "corpus" / "gold" / "splits.json").read_text(encoding="utf-8"))
    held = [(i.id, i.question) for spec in splits["held_out"] for i in spec_items(spec)]
    log = []
    for spec in splits["seen"]:
        items = spec_items(spec)
        twins = near_twins([(i.id, i.question) for i in items], held)
        drop = {t.held_out_id for t in twins}
        for t in twins:
            log.append({"file": spec, "id": t.held_out_id, "question": t.held_out, "twin_of": t.seen_id,
                        "held_out_question": t.seen})
        print(f"{spec}: {len(items)} questions, {len(drop)} near twins of held-out questions")
        if write and drop:
            rewrite_without(ROOT / spec.partition(":")[0], drop)
    if write:
        out = ROOT / "corpus" / "gold" / "writers" / "twins_removed.jsonl"
        previous = out.read_text(encoding="utf-8") if out.exists() else ""
        with out.open("w", encoding="utf-8") as fh:
            fh.write(previous + "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in log))


if __name__ == "__main__":
    main()
