"""Build the chat's question bank, config/suggestions.jsonl (what ``components.next_questions``
offers after an answer): the answerable questions of corpus/gold/natural/train.jsonl and of the
dev split of corpus/gold/colnato_gold.jsonl (never a test split), each keyed by the paragraph its
evidence is in, kept only when the engine answers it by quoting that paragraph.

    .venv/bin/python scripts/build_suggestions.py            # prints what it would write
    .venv/bin/python scripts/build_suggestions.py --write    # writes config/suggestions.jsonl
    .venv/bin/python scripts/build_suggestions.py --check    # exit 1 when the file is not up to date

Follow-ups (questions with a history) are left out: a suggestion is asked on its own; so are the
question forms written to test reading rather than to be read (slang, typos, rambling: ``SKIP_TYPES``)
and questions longer than ``MAX_CHARS``. Questions
are written as a reader types them, first letter capital and ending in "?"; the same question
twice (case and punctuation aside) is kept once, dev questions first.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = (  # (file, split to keep or None for every line, label)
    (ROOT / "corpus" / "gold" / "colnato_gold.jsonl", "dev", "colnato_gold/dev"),
    (ROOT / "corpus" / "gold" / "natural" / "train.jsonl", "train", "natural/train"),
)
OUT = ROOT / "config" / "suggestions.jsonl"
SKIP_TYPES = {"slang", "typo", "rambling", "followup", "standalone_after", "off_topic", "near_miss", "unanswerable"}
MAX_CHARS = 90


def tidy(question: str) -> str:
    q = " ".join(question.split()).rstrip(" ?.")
    return q[:1].upper() + q[1:] + "?"


def evidence_paragraph(evidence: str, passages) -> tuple[str, int] | None:
    """(doc_id, paragraph) of the passage holding ``evidence`` (whitespace-insensitive)."""
    want = " ".join(evidence.split())
    for p in passages:
        if want and want in " ".join(p.text.split()):
            return p.doc_id, p.paragraph
    return None


def candidates(passages) -> list[dict]:
    rows, seen = [], set()
    for path, split, label in SOURCES:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            if item.get("split") != split or not item.get("answers") or item.get("history"):
                continue
            if item.get("type") in SKIP_TYPES or len(item["question"]) > MAX_CHARS:
                continue
            where = evidence_paragraph(item.get("evidence") or "", passages)
            if where is None:
                continue
            question = tidy(item["question"])
            key = question.casefold().rstrip("?")
            if key in seen:
                continue
            seen.add(key)
            rows.append({"question": question, "doc_id": where[0], "paragraph": where[1],
                         "source": f"{label}:{item['id']}"})
    return rows


def build() -> str:
    sys.path.insert(0, str(ROOT / "src"))
    from colnato_qa.engine import QAEngine
    from colnato_qa.offline import pin_offline_environment

    pin_offline_environment()
    engine = QAEngine.load()
    kept = []
    for row in candidates(engine.passages):
        answer = engine.ask(row["question"])
        first = answer.citations[0].passage if answer.citations else None
        if answer.abstained or first is None or (first.doc_id, first.paragraph) != (row["doc_id"], row["paragraph"]):
            continue
        kept.append(row)
    kept.sort(key=lambda r: (r["doc_id"], r["paragraph"]))
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help=f"write {OUT.relative_to(ROOT)}")
    mode.add_argument("--check", action="store_true", help="exit 1 when the file differs from a fresh build")
    args = parser.parse_args(argv)
    text = build()
    count = text.count("\n")
    if args.write:
        OUT.write_text(text, encoding="utf-8")
        print(f"wrote {count} questions to {OUT}")
    elif args.check:
        current = OUT.read_text(encoding="utf-8") if OUT.is_file() else ""
        if current != text:
            print(f"{OUT} is not up to date: run scripts/build_suggestions.py --write", file=sys.stderr)
            return 1
        print(f"{OUT} is up to date ({count} questions)")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
