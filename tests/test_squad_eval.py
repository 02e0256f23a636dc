"""SQuAD interoperability: ``eval --answer/--normalize/--squad-predictions/--na-probs``.

The figures of ``eval`` are checked against an independent implementation of the official SQuAD
v2.0 evaluation (written here from the published logic of evaluate-v2.0.py), run on the files
``eval`` exports, so an evaluator running the official script gets the same numbers.
"""

from __future__ import annotations

import json
import re
import string
from collections import Counter

import pytest
from click.testing import CliRunner

from colnato_qa.cli import common
from colnato_qa.cli.eval_commands import eval_command
from colnato_qa.evaluation.metrics import compute_f1, normalize_answer

CONTEXT = ("The bridge at Kell was opened in 1904 by the mayor Ada Roe. It spans 212 metres over the "
           "“grey river” and carries the road to Lund – the old coast road.")
QUESTIONS = [  # id, question, gold answers (none: impossible)
    ("k1", "Who opened the bridge?", ["Ada Roe", "the mayor Ada Roe"]),
    ("k2", "How long is the bridge?", ["212 metres"]),
    ("k3", "What river does it cross?", ["“grey river”"]),
    ("k4", "Where does the road lead?", ["Lund – the old coast road"]),
    ("k5", "When was it opened?", ["1904"]),
    ("k6", "Who painted the bridge?", []),
    ("k7", "What is the toll?", []),
]
# question id -> (sentence, short answer or None, confidence); below 0.5 the engine abstains
SCRIPT = {
    "k1": ("The bridge at Kell was opened in 1904 by the mayor Ada Roe.", "Ada Roe", 0.9),
    "k2": ("It spans 212 metres over the “grey river” and carries the road to Lund – the old coast road.", "212 metres", 0.8),
    "k3": ("It spans 212 metres over the “grey river” and carries the road to Lund – the old coast road.", "grey river", 0.7),
    "k4": ("It spans 212 metres over the “grey river” and carries the road to Lund – the old coast road.", "Lund", 0.6),
    "k5": ("The bridge at Kell was opened in 1904 by the mayor Ada Roe.", None, 0.45),
    "k6": ("The bridge at Kell was opened in 1904 by the mayor Ada Roe.", "Ada Roe", 0.55),
    "k7": ("It spans 212 metres over the “grey river” and carries the road to Lund – the old coast road.", None, 0.2),
}


def squad_file(tmp_path):
    qas = []
    for qid, question, answers in QUESTIONS:
        qas.append({"id": qid, "question": question, "is_impossible": not answers,
                    "answers": [{"text": a, "answer_start": CONTEXT.index(a)} for a in answers]})
    path = tmp_path / "bridge.json"
    path.write_text(json.dumps({"version": "v2.0", "data": [{"title": "Kell", "paragraphs": [
        {"context": CONTEXT, "qas": qas}]}]}, ensure_ascii=False), encoding="utf-8")
    return path


class ScriptedEngine:
    class settings:
        abstain_threshold = 0.5
        retrieval = "hybrid"
        answer_mode = "sentence"

    documents = [type("Doc", (), {"text": CONTEXT})()]

    def ask(self, question, history=None):
        qid = next((q for q, text, _ in QUESTIONS if text == question), None)
        sentence, short, conf = SCRIPT.get(qid, (CONTEXT, None, 0.0))   # the runner's warm-up question
        start = CONTEXT.index(sentence)
        abstained = conf < self.settings.abstain_threshold
        d = {"question": question, "answer": None if abstained else sentence, "abstained": abstained,
             "confidence": conf, "interpreted_as": None, "short_answer": None,
             "citations": [{"passage_id": "p1", "paragraph": 1, "text": CONTEXT, "doc_id": "kell",
                            "answer_start": start, "answer_end": start + len(sentence)}]}
        if short and not abstained:
            at = CONTEXT.index(short, start)
            d["short_answer"] = {"text": short, "start": at, "end": at + len(short)}
        return type("A", (), {"to_dict": lambda self, d=d: dict(d)})()


@pytest.fixture
def scripted(monkeypatch):
    monkeypatch.setattr(common, "load_engine", lambda *a, **k: ScriptedEngine())


# -- an independent implementation of the official SQuAD v2.0 evaluation ----------------------------
def official_normalize(s):
    s = "".join(ch for ch in s.lower() if ch not in set(string.punctuation))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def official_f1(gold, pred):
    g, p = official_normalize(gold).split(), official_normalize(pred).split()
    if not g or not p:
        return float(g == p)
    same = sum((Counter(g) & Counter(p)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(p), same / len(g)
    return 2 * precision * recall / (precision + recall)


def official_evaluate(dataset, preds, na_probs):
    has_ans, exact, f1 = {}, {}, {}
    for article in dataset["data"]:
        for para in article["paragraphs"]:
            for qa in para["qas"]:
                qid = qa["id"]
                has_ans[qid] = bool(qa["answers"])
                golds = [a["text"] for a in qa["answers"] if official_normalize(a["text"])] or [""]
                exact[qid] = max(float(official_normalize(g) == official_normalize(preds[qid])) for g in golds)
                f1[qid] = max(official_f1(g, preds[qid]) for g in golds)
    n = len(exact)
    out = {"exact": sum(exact.values()) / n, "f1": sum(f1.values()) / n}
    for name, keep in (("HasAns", True), ("NoAns", False)):
        ids = [q for q in exact if has_ans[q] == keep]
        out[f"{name}_exact"] = sum(exact[q] for q in ids) / len(ids)
        out[f"{name}_f1"] = sum(f1[q] for q in ids) / len(ids)
    for key, scores in (("exact", exact), ("f1", f1)):
        score = best = sum(1 for q in has_ans if not has_ans[q])
        thresh = 0.0
        for qid in sorted(na_probs, key=lambda q: na_probs[q]):
            score += scores[qid] if has_ans[qid] else (-1 if preds[qid] else 0)
            if score > best:
                best, thresh = score, na_probs[qid]
        out[f"best_{key}"], out[f"best_{key}_thresh"] = best / n, thresh
    return out


# -- the tests -----------------------------------------------------------------------------------
def run_eval(args):
    res = CliRunner().invoke(eval_command, [str(a) for a in args], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res


@pytest.mark.parametrize("answer", ["short", "sentence"])
def test_eval_reproduces_the_official_evaluation_on_its_exported_files(scripted, tmp_path, answer):
    gold = squad_file(tmp_path)
    preds_path, na_path = tmp_path / "preds.json", tmp_path / "na.json"
    res = run_eval([gold, "--json", "--answer", answer, "--normalize", "official",
                    "--squad-predictions", preds_path, "--na-probs", na_path])
    ours = json.loads(res.stdout)
    preds = json.loads(preds_path.read_text(encoding="utf-8"))
    na_probs = json.loads(na_path.read_text(encoding="utf-8"))
    # The official files: every id, "" when declined, 1 - confidence.
    assert set(preds) == set(na_probs) == {q for q, _, _ in QUESTIONS}
    for qid, (sentence, short, conf) in SCRIPT.items():
        expected = "" if conf < 0.5 else (short or sentence if answer == "short" else sentence)
        assert preds[qid] == expected
        assert na_probs[qid] == pytest.approx(1 - conf)
    official = official_evaluate(json.loads(gold.read_text(encoding="utf-8")), preds, na_probs)
    pairs = {"exact_match": "exact", "f1": "f1", "has_ans_exact_match": "HasAns_exact", "has_ans_f1": "HasAns_f1",
             "no_ans_exact_match": "NoAns_exact", "no_ans_f1": "NoAns_f1", "best_exact_match": "best_exact",
             "best_f1": "best_f1", "best_exact_match_thresh": "best_exact_thresh", "best_f1_thresh": "best_f1_thresh"}
    for key, theirs in pairs.items():
        assert ours[key] == pytest.approx(official[theirs], abs=1e-4), key
    assert (ours["answer_field"], ours["normalize"]) == (answer, "official")


def test_short_answers_score_better_against_minimal_spans(scripted, tmp_path):
    gold = squad_file(tmp_path)
    short = json.loads(run_eval([gold, "--json", "--answer", "short"]).stdout)
    sentence = json.loads(run_eval([gold, "--json", "--answer", "sentence"]).stdout)
    assert short["has_ans_f1"] > sentence["has_ans_f1"]
    assert short["has_ans_exact_match"] > sentence["has_ans_exact_match"] == 0.0
    # answer_recall looks in the sentence whichever field is scored
    assert short["answer_recall"] == sentence["answer_recall"]


def test_default_answer_field_follows_the_gold(scripted, tmp_path):
    minimal = json.loads(run_eval([squad_file(tmp_path), "--json"]).stdout)
    assert minimal["answer_field"] == "short"
    long_gold = tmp_path / "long.jsonl"
    long_gold.write_text(json.dumps({"id": "x", "question": "Who opened the bridge?",
                                     "answers": ["The bridge at Kell was opened in 1904 by the mayor Ada Roe."]}) + "\n",
                         encoding="utf-8")
    sentences = run_eval([long_gold, "--json"])
    assert json.loads(sentences.stdout)["answer_field"] == "sentence"
    assert "scored: sentence answers" in run_eval([long_gold]).output


def test_official_and_unicode_normalizations_differ_only_on_unicode_punctuation():
    assert normalize_answer("The “grey river” – Lund", "official") == "“grey river” – lund"
    assert normalize_answer("The “grey river” – Lund", "unicode") == "grey river lund"
    assert normalize_answer("U.S. 2010-2018", "official") == normalize_answer("U.S. 2010-2018", "unicode") == "us 20102018"
    assert compute_f1("“grey river”", "grey river", "official") == 0.0
    assert compute_f1("“grey river”", "grey river", "unicode") == 1.0
    with pytest.raises(ValueError, match="official, unicode"):
        normalize_answer("x", "ascii")


def test_unwritable_export_is_a_clean_error(scripted, tmp_path):
    res = CliRunner().invoke(eval_command, [str(squad_file(tmp_path)), "--squad-predictions",
                                            str(tmp_path / "missing" / "preds.json")])
    assert res.exit_code == 1
    assert "Traceback" not in res.output and "preds.json" in res.output
