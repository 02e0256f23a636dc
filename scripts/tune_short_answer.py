"""Tune the short-answer extractor's scoring weights on the dev split of corpus/gold/squad_v2.json.

Coordinate search from the committed defaults (components/short_answer.ShortAnswerExtractor): each
weight in turn is tried at 0, half, 1.5x and 2x its value, and a change is kept only when it raises
dev HasAns F1 (official normalization) by more than one question's worth; rounds repeat until nothing
changes. The engine's answers (and so its declines) are computed once; only the extractor is rerun.
The test split is never read.

    python scripts/tune_short_answer.py            # prints the dev figure of the defaults and the best weights found
    python scripts/tune_short_answer.py --check    # exit 1 unless the defaults are what the search keeps
"""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from colnato_qa.offline import pin_offline_environment  # noqa: E402

pin_offline_environment()

from colnato_qa.cli.common import load_engine  # noqa: E402
from colnato_qa.evaluation.gold import read_gold_sets  # noqa: E402
from colnato_qa.components.short_answer import ShortAnswerExtractor  # noqa: E402
from colnato_qa.evaluation.metrics import f1_score  # noqa: E402

GOLD = "corpus/gold/squad_v2.json:dev"
FACTORS = (0.0, 0.5, 1.5, 2.0)
SKIP = {"max_words", "max_share"}   # limits, not weights


def cases(engine, items):
    """(question as read, passage text, answer span, parse, gold answers) of each answered answerable question."""
    out = []
    for item in items:
        if not item.answerable:
            continue
        answer = engine.ask(item.question, list(item.history) or None)
        if answer.abstained or not answer.citations or answer.citations[0].answer_span is None:
            out.append(None)       # a decline scores 0 whatever the extractor does
            continue
        first = answer.citations[0]
        read = answer.interpreted_as or item.question
        out.append((read, first.passage.text, first.answer_span, engine.passage_parse(first.passage), item.answers))
    return out


def has_ans_f1(extractor: ShortAnswerExtractor, data) -> float:
    total = 0.0
    for case in data:
        if case is None:
            continue
        read, text, span, parse, golds = case
        short = extractor.run(read, text, span, parse)
        prediction = text[short.start:short.end] if short else text[span.start:span.end]
        total += f1_score(golds, prediction, "official")
    return total / len(data)


def defaults() -> dict[str, float]:
    params = inspect.signature(ShortAnswerExtractor.__init__).parameters
    return {k: p.default for k, p in params.items() if k != "self" and k not in SKIP}


def search(data) -> tuple[dict[str, float], float, float]:
    best = defaults()
    start = score = has_ans_f1(ShortAnswerExtractor(**best), data)
    step = 1.0 / len(data)
    changed = True
    while changed:
        changed = False
        for name in sorted(best):
            for factor in FACTORS:
                trial = dict(best, **{name: round(best[name] * factor, 6)})
                s = has_ans_f1(ShortAnswerExtractor(**trial), data)
                if s > score + step:
                    best, score, changed = trial, s, True
    return best, start, score


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 unless the committed defaults are kept")
    args = parser.parse_args(argv)
    import os
    os.chdir(ROOT)
    engine = load_engine()
    data = cases(engine, read_gold_sets([GOLD])[0].items)
    best, start, score = search(data)
    print(f"dev HasAns F1 (official): defaults {start:.4f}, best found {score:.4f} on {len(data)} answerable questions")
    changes = {k: v for k, v in best.items() if v != defaults()[k]}
    print("weights kept:" if not changes else f"changes that gain more than one question: {changes}")
    return 1 if args.check and changes else 0


if __name__ == "__main__":
    raise SystemExit(main())
