"""Assemble the gold sets written by independent writers into the project's gold files.

    python scripts/make_gold_sets.py WRITERS_OUT_DIR

Reads the writers' raw JSONL files (train_a, train_b, train_c, dev_natural, test_natural, squad)
and writes, deterministically:
  corpus/gold/natural/train.jsonl   (train_a + train_b + train_c, split "train")
  corpus/gold/natural/dev.jsonl     (dev_natural, split "dev")
  corpus/gold/natural/test.jsonl    (test_natural, split "test")
  corpus/gold/squad_v2.json         (squad: SQuAD v2.0 JSON, half of each kind "dev", half "test")
The writers saw the article (with a closing line "(Published by The Innovation Times.)" standing in
for the front matter) and nothing else; evidence quoting that line becomes "The Innovation Times".
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "corpus" / "gold"
PUBLISHED_LINE = "(Published by The Innovation Times.)"


def read(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for r in rows:
        if r.get("evidence") and PUBLISHED_LINE in r["evidence"]:
            r["evidence"] = "The Innovation Times"
        r["answers"] = [("The Innovation Times" if a == PUBLISHED_LINE else a) for a in r["answers"]]
    return rows


def write_jsonl(path: Path, rows: list[dict], split: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for r in rows:
            out = {k: r[k] for k in ("id", "question", "answers", "evidence", "history", "type") if k in r}
            out["split"] = split
            fh.write(json.dumps(out, ensure_ascii=False) + "\n")


def paragraphs() -> list[str]:
    text = (ROOT / "corpus" / "colombia-path-to-nato-partnership.md").read_text(encoding="utf-8")
    body = text.split("---", 2)[2]
    return [p.strip() for p in body.split("\n\n") if p.strip()]


def squad(rows: list[dict]) -> dict:
    paras = paragraphs()
    rng = random.Random(12)
    by_kind: dict[bool, list[dict]] = {True: [], False: []}
    for r in rows:
        by_kind[bool(r["answers"])].append(r)
    split_of = {}
    for kind_rows in by_kind.values():
        ids = [r["id"] for r in kind_rows]
        rng.shuffle(ids)
        for i, qid in enumerate(ids):
            split_of[qid] = "dev" if i < len(ids) // 2 else "test"
    contexts: dict[int, list[dict]] = {}
    for r in rows:
        if r["answers"]:
            where = next((i for i, p in enumerate(paras) if r["evidence"] in p), None)
            if where is None:  # the publisher is in the front matter, not in the article's text
                print(f"{r['id']}: evidence {r['evidence']!r} is not in the article's text: left out of SQuAD")
                continue
            context = paras[where]
            start = context.index(r["evidence"])
            answers = []
            for a in r["answers"]:
                at = context.find(a, start)
                at = at if at >= 0 else context.index(a)
                answers.append({"text": a, "answer_start": at})
            qa = {"id": r["id"], "question": r["question"], "answers": answers, "is_impossible": False}
        else:
            where = 0
            qa = {"id": r["id"], "question": r["question"], "answers": [], "plausible_answers": [], "is_impossible": True}
        qa["split"] = split_of[r["id"]]
        qa["type"] = r.get("type")
        contexts.setdefault(where, []).append(qa)
    title = "Colombia’s Path to NATO Partnership: A South American Country’s Growing Role in Global Security"
    return {"version": "v2.0", "data": [{"title": title, "paragraphs": [
        {"context": paras[i], "qas": qas} for i, qas in sorted(contexts.items())]}]}


def main(out_dir: str) -> None:
    src = Path(out_dir)
    write_jsonl(GOLD / "natural" / "train.jsonl",
                read(src / "train_a.jsonl") + read(src / "train_b.jsonl") + read(src / "train_c.jsonl"), "train")
    write_jsonl(GOLD / "natural" / "dev.jsonl", read(src / "dev_natural.jsonl"), "dev")
    write_jsonl(GOLD / "natural" / "test.jsonl", read(src / "test_natural.jsonl"), "test")
    raw = read(src / "squad.jsonl")
    (GOLD / "squad_v2.json").write_text(json.dumps(squad(raw), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
