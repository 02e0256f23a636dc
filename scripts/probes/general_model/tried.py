"""Probe (issue 22, round 3): how the model for an article nobody fitted for grows with the articles it is fitted
on, and four ideas measured and not shipped.

    .venv/bin/python scripts/probes/general_model/tried.py curve         # port-ardley's AUC as articles are added (~2 min)
    .venv/bin/python scripts/probes/general_model/tried.py constraints   # monotonic trees (~1 min)
    .venv/bin/python scripts/probes/general_model/tried.py weights       # each article weighed alike (~1 min)
    .venv/bin/python scripts/probes/general_model/tried.py near_miss     # features for near misses, numbers (~1 min)
    .venv/bin/python scripts/probes/general_model/tried.py ranker        # a learned sentence ranker (~1 min)

Not part of the product; the figures are in docs/ablation.md ("Issue 22, round 3: what did not help"). The
first two read the feature rows as compare.py does (each training article held out in turn, port-ardley
train and dev scored by a model fitted on them all); ROC AUC of answerable against unanswerable. ``near_miss``
and ``ranker`` read the training articles other than colombia (whose rows need its fold encoders) and
port-ardley (train and dev; dev for the ranker) through the engine without an adapter. No test split is read.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from compare import PA, article_rows, bare  # noqa: E402

from colnato_qa.components import selector as selector_module  # noqa: E402
from colnato_qa.components.answerability import FEATURES  # noqa: E402
from colnato_qa.components.selector import idf  # noqa: E402
from colnato_qa.evaluation.fitting import feature_matrix, target_labels  # noqa: E402
from colnato_qa.evaluation.gold import load_gold  # noqa: E402
from colnato_qa.evaluation.metrics import contains_answer  # noqa: E402
from colnato_qa.text import content_terms, number_values, surface_forms  # noqa: E402
from colnato_qa.vocabulary import soft_credit  # noqa: E402

# The sign a feature "should" have on answerability, for monotonic trees.
SIGNS = {"sentence_cosine": 1, "passage_cosine": 1, "vocabulary_coverage": 1, "type_match": 1, "kind_missing": -1,
         "null_margin": 1, "unknown_name": -1, "bank_cosine": 1, "bank_margin": 1, "asks_opinion": -1,
         "negation_mismatch": -1, "sentence_overlap": 1, "passage_overlap": 1}
PA_SPLITS = {"near_miss": ("train", "dev"), "ranker": ("dev",)}


def trees(**settings):
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(max_depth=3, learning_rate=0.1, max_iter=200, early_stopping=False,
                                          random_state=0, **settings)


def held_out(rows: dict[str, list], name: str, make, weigh=None) -> None:
    """Each training article scored by trees fitted on the others; port-ardley by trees fitted on all."""
    from sklearn.metrics import roc_auc_score

    fitted_on = [a for a in rows if a != PA[0]]
    aucs = []
    for held in fitted_on + [PA[0]]:
        parts = [a for a in fitted_on if a != held]
        train = [r for a in parts for r in rows[a]]
        weights = weigh(parts, rows) if weigh else None
        model = make().fit(feature_matrix(train), target_labels(train, "answerable"), sample_weight=weights)
        scores = model.predict_proba(feature_matrix(rows[held]))[:, 1]
        aucs.append(roc_auc_score([r.answerable for r in rows[held]], scores))
    print(f"{name:44s} " + " ".join(f"{a:.3f}" for a in aucs) + f" | mean of the training articles {np.mean(aucs[:-1]):.3f}",
          flush=True)


def curve() -> None:
    """port-ardley (train and dev) scored by trees fitted on k of the small training articles, mean over every
    choice of k (up to 20 choices), alone and with colombia's questions."""
    import itertools
    import random

    from sklearn.metrics import roc_auc_score

    rows = article_rows()
    small = [a for a in rows if a not in (PA[0], "corpus")]
    truth = [r.answerable for r in rows[PA[0]]]

    def auc(train):
        model = trees().fit(feature_matrix(train), target_labels(train, "answerable"))
        return roc_auc_score(truth, model.predict_proba(feature_matrix(rows[PA[0]]))[:, 1])

    print("small articles fitted on | port-ardley AUC: alone, with colombia (mean over choices)")
    for k in range(1, len(small) + 1):
        choices = list(itertools.combinations(small, k))
        choices = random.Random(k).sample(choices, min(20, len(choices)))
        alone = [auc([r for a in c for r in rows[a]]) for c in choices]
        both = [auc([r for a in c for r in rows[a]] + rows["corpus"]) for c in choices]
        print(f"{k:2d} | {np.mean(alone):.3f} {np.mean(both):.3f}", flush=True)


def constraints() -> None:
    rows = article_rows()
    print("trees | AUC held out: " + ", ".join(a.rsplit("/", 1)[-1] for a in rows if a != PA[0]) + ", port-ardley")
    held_out(rows, "unconstrained (shipped)", trees)
    held_out(rows, "every feature monotonic", lambda: trees(monotonic_cst=[SIGNS[f] for f in FEATURES]))
    free = ("type_match", "sentence_overlap")
    held_out(rows, "monotonic but type_match and sentence_overlap",
             lambda: trees(monotonic_cst=[0 if f in free else SIGNS[f] for f in FEATURES]))


def weights() -> None:
    rows = article_rows()

    def balanced(power: float):
        def weigh(parts, rows):
            w = np.concatenate([np.full(len(rows[a]), len(rows[a]) ** -power) for a in parts])
            return w / w.mean()
        return weigh

    held_out(rows, "rows weighed alike (shipped)", trees)
    held_out(rows, "articles weighed by 1/sqrt(rows)", trees, balanced(0.5))
    held_out(rows, "articles weighed alike", trees, balanced(1.0))
    held_out(rows, "classes weighed alike", lambda: trees(class_weight="balanced"))


def _articles(split_of_pa: tuple[str, ...]):
    from fit_general_answerability import FIT

    for corpus, index, train in FIT:
        if corpus != "corpus":
            yield corpus, index, [ROOT / p for p in train]
    yield PA[0], PA[1], [ROOT / PA[0] / "gold" / f"{s}.jsonl" for s in split_of_pa]


def near_miss() -> None:
    """The most informative question word missing from the chosen sentence, its passage or the article (soft
    credit for near words, as vocabulary_coverage gives it), or the share of the question's numbers the sentence
    does not hold (text.number_values: "in 2015" is held by "(2010-2018)"), added to the features."""
    data = {}
    for corpus, index, paths in _articles(PA_SPLITS["near_miss"]):
        engine = bare(corpus, index).variant(threshold=0.0)
        state, recs = engine._state, []
        for item in (it for p in paths for it in load_gold(p)):
            answer = engine.ask(item.question, history=list(item.history) or None)
            trace = answer.trace
            if trace is None or trace.answerability is None or answer.answer is None or not trace.retrieval.terms:
                continue
            terms = list(dict.fromkeys(trace.retrieval.terms))
            w = {t: idf(state.bm25.df(t), max(state.bm25.n_docs, 1)) for t in terms}
            surface = surface_forms(trace.read.text)

            def credit(term: str, text: str) -> float:
                if term in set(content_terms(text)):
                    return 1.0
                words = list(surface_forms(text).values())
                q, m = state.embedder.static_word_vectors([surface.get(term, term)]), state.embedder.static_word_vectors(words)
                return soft_credit(float(np.max(m @ q[0]))) if q is not None and m is not None and len(words) else 0.0

            top = max(w.values()) or 1.0
            passage = answer.citations[0].passage.text
            extra = [max(w[t] * (1 - credit(t, answer.answer)) for t in terms) / top,
                     max(w[t] * (1 - credit(t, passage)) for t in terms) / top,
                     max(w[t] * (1 - (1.0 if state.bm25.df(t) > 0 else
                                      soft_credit(state.vocabulary.similarity(surface.get(t, t))))) for t in terms) / top]
            asked = number_values(trace.read.text)    # the numbers the question names that the sentence does not hold
            extra.append(len(asked - number_values(answer.answer)) / len(asked) if asked else 0.0)
            recs.append((item.answerable, [round(trace.answerability.features[f], 6) for f in FEATURES], extra))
        data[corpus] = recs
    from sklearn.metrics import roc_auc_score

    fitted_on = [a for a in data if a != PA[0]]
    names = ("missing from the sentence", "missing from the passage", "missing from the article",
             "numbers the sentence lacks")
    for label, chosen in [("the features", ())] + [(n, (i,)) for i, n in enumerate(names)] + [
            ("the first three", (0, 1, 2))]:
        aucs = []
        for held in fitted_on + [PA[0]]:
            train = [r for a in fitted_on if a != held for r in data[a]]
            x = lambda rs: np.array([r[1] + [r[2][i] for i in chosen] for r in rs])  # noqa: E731
            model = trees().fit(x(train), [r[0] for r in train])
            aucs.append(roc_auc_score([r[0] for r in data[held]], model.predict_proba(x(data[held]))[:, 1]))
        print(f"{label:44s} " + " ".join(f"{a:.3f}" for a in aucs) + f" | mean of the training articles {np.mean(aucs[:-1]):.3f}")


def ranker() -> None:
    """Trees that pick the sentence from the selector's 30 best candidates (their features, score, rank and
    place in the passage), each article held out in turn, against the selector's own first choice."""
    captured: dict[str, list] = {}
    run = selector_module.SentenceSelector.run

    def recording(self, query, records):
        captured["candidates"] = out = run(self, query, records)
        return out

    selector_module.SentenceSelector.run = recording
    data = {}
    for corpus, index, paths in _articles(PA_SPLITS["ranker"]):
        engine = bare(corpus, index).variant(threshold=0.0)
        questions = []
        for item in (it for p in paths for it in load_gold(p) if it.answerable):
            captured.clear()
            engine.ask(item.question, history=list(item.history) or None)
            candidates = captured.get("candidates") or []
            if candidates:
                top = candidates[0].score
                questions.append([([c.features[k] for k in sorted(c.features)]
                                   + [c.score, top - c.score, rank, c.sentence_index, len(c.text.split())],
                                   contains_answer(item.answers, c.text)) for rank, c in enumerate(candidates[:30])])
        data[corpus] = questions
    selector_module.SentenceSelector.run = run
    fitted_on = [a for a in data if a != PA[0]]
    learned, first = [], []
    for held in fitted_on + [PA[0]]:
        train = [c for a in fitted_on if a != held for q in data[a] for c in q]
        model = trees().fit(np.array([c[0] for c in train]), [c[1] for c in train])
        hits = [q[int(np.argmax(model.predict_proba(np.array([c[0] for c in q]))[:, 1]))][1] for q in data[held]]
        learned.append(float(np.mean(hits)))
        first.append(float(np.mean([q[0][1] for q in data[held]])))
    print("answer in the chosen sentence | " + ", ".join(a.rsplit("/", 1)[-1] for a in data) + " | mean")
    for name, xs in (("the selector's first choice (shipped)", first), ("learned ranker", learned)):
        print(f"{name:44s} " + " ".join(f"{x:.3f}" for x in xs) + f" | {np.mean(xs):.3f}")


if __name__ == "__main__":
    probes = {"curve": curve, "constraints": constraints, "weights": weights, "near_miss": near_miss, "ranker": ranker}
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    if what not in probes:
        sys.exit("usage: tried.py " + " | ".join(probes))
    probes[what]()
