"""Remove from the held-out gold sets (test splits) every question that is a near twin of a seen one.

    python scripts/dedupe_gold.py            # report what would go
    python scripts/dedupe_gold.py --write    # rewrite the held-out files without them

corpus/gold/splits.json lists the seen and held-out sets; the rule is colnato_qa.evaluation.twins.
The twin goes from the test side, not the training side: the questions people ask most are the ones
independent writers both write, and the engine must be trained on them; a test split then measures it on
questions unlike any it was fitted or tuned on. Training questions written after the test splits were first
read (splits.json, "added_after_test": a seen file and the id prefixes of its later questions) go the other
way: a later question that twins a held-out one leaves the training file, so that the test splits stay as they
were measured. What is removed is logged in corpus/gold/writers/twins_removed.jsonl; tests/test_gold_twins.py
checks that none is left.
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
    later = splits.get("added_after_test", {})          # seen file -> id prefixes of its later questions

    def is_later(spec: str, item_id: str) -> bool:
        return item_id.startswith(tuple(later.get(spec.partition(":")[0], ())))

    seen_items = [(spec, i) for spec in splits["seen"] for i in spec_items(spec)]
    seen = [(i.id, i.question) for spec, i in seen_items if not is_later(spec, i.id)]
    added = [(i.id, i.question) for spec, i in seen_items if is_later(spec, i.id)]
    file_of_added = {i.id: spec.partition(":")[0] for spec, i in seen_items if is_later(spec, i.id)}
    log, drop_added = [], {}
    for spec in splits["held_out"]:
        items = spec_items(spec)
        twins = near_twins([(i.id, i.question) for i in items], seen)
        drop = {t.held_out_id for t in twins}
        for t in twins:
            log.append({"file": spec, "id": t.held_out_id, "question": t.held_out, "twin_of": t.seen_id,
                        "seen_question": t.seen})
        kept = [(i.id, i.question) for i in items if i.id not in drop]
        for t in near_twins(kept, added):
            drop_added.setdefault(file_of_added[t.seen_id], set()).add(t.seen_id)
            log.append({"file": file_of_added[t.seen_id], "id": t.seen_id, "question": t.seen,
                        "twin_of": t.held_out_id, "held_out_question": t.held_out, "removed": "seen side"})
        print(f"{spec}: {len(items)} questions, {len(drop)} near twins of seen questions")
        if write and drop:
            rewrite_without(ROOT / spec.partition(":")[0], drop)
    for path, ids in drop_added.items():
        print(f"{path}: {len(ids)} questions added after the test splits twin a held-out question")
        if write:
            rewrite_without(ROOT / path, ids)
    if write:
        # The log keeps what earlier runs removed (those questions are gone from the files now).
        out = ROOT / "corpus" / "gold" / "writers" / "twins_removed.jsonl"
        earlier = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()] \
            if out.exists() else []
        entries = {(r["file"], r["id"], r["twin_of"]): r for r in earlier + log}
        with out.open("w", encoding="utf-8") as fh:
            fh.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in entries.values()))


if __name__ == "__main__":
    main()
