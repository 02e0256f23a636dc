"""How the engine treats short questions in other languages (issue 17): detected, and never answered with an
English quote as if answered.

    python scripts/measure_languages.py corpus/gold/languages/dev.jsonl     # the set the thresholds were chosen on
    python scripts/measure_languages.py corpus/gold/languages/test.jsonl    # read once per decision

Per language: the share detected as not English, the share given the right code, and how many were answered
with a quote (not declined); for the English controls, the share kept as English.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from colnato_qa.offline import pin_offline_environment  # noqa: E402

pin_offline_environment()

from colnato_qa.engine import QAEngine  # noqa: E402


def main(path: str) -> None:
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    engine = QAEngine.load()
    n, detected, exact, quoted = Counter(), Counter(), Counter(), Counter()
    for r in rows:
        a = engine.ask(r["question"])
        lang = r["language"]
        n[lang] += 1
        detected[lang] += (a.language != "en") if lang != "en" else (a.language == "en")
        exact[lang] += a.language == lang
        quoted[lang] += not a.abstained
    figures = {lang: {"n": n[lang], "detected" if lang != "en" else "kept_english": round(detected[lang] / n[lang], 3),
                      "right_code": round(exact[lang] / n[lang], 3), "answered_with_a_quote": quoted[lang]}
               for lang in sorted(n)}
    foreign = [lang for lang in n if lang != "en"]
    figures["non_english"] = {"n": sum(n[x] for x in foreign),
                              "detected": round(sum(detected[x] for x in foreign) / sum(n[x] for x in foreign), 3),
                              "answered_with_a_quote": sum(quoted[x] for x in foreign)}
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main(sys.argv[1])
