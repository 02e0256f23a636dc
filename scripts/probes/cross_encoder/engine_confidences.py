"""The shipped engine's confidence per port-ardley dev question (the probe's point of comparison).

    colnato-qa eval --corpus corpus/articles/port-ardley --index index/port-ardley \
        corpus/articles/port-ardley/gold/dev.jsonl --json > /tmp/pa_dev.json
    python engine_confidences.py /tmp/pa_dev.json
"""
import json
import sys

from paths import OUT

report = json.load(open(sys.argv[1]))
json.dump({r["id"]: {"confidence": r["confidence"], "answerable": r["answerable"], "abstained": r["abstained"],
                     "sentence": r["sentence"]} for r in report["results"]},
          open(OUT / "pa_dev_engine.json", "w"), indent=1)
