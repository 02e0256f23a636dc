"""Probe: does fine-tuning the sentence encoder pick better sentences than a query adapter, on an unseen article?

    python scripts/probe_finetuned_encoder.py                     # full run, prints a markdown table (~10-20 min)
    python scripts/probe_finetuned_encoder.py --out /tmp/probe.md  # and writes the table there
    python scripts/probe_finetuned_encoder.py --quick              # 1 epoch instead of 3: a smoke check
    python scripts/probe_finetuned_encoder.py --save /tmp/ft-model # only train C (no hard negatives), keep it there

Sentence choice for questions asked on their own (follow-ups left out), three ways:

* **A**: the packaged all-MiniLM-L6-v2 as it is.
* **B**: A plus a general ridge query adapter, blended: ``q' = q + 0.5 * W(q)`` with ``W`` a scikit-learn
  ``Ridge`` (alpha 0.1, with intercept) from a question's vector to the mean vector of its evidence sentences.
  (Of replace / blend 0.5 / blend 1 over alpha 0.01-30, the best on Colombia dev; the full map ``q' = W(q)``
  maps questions into the training articles' sentence space and collapses on an unseen article.)
* **C**: the encoder fine-tuned with sentence-transformers' ``MultipleNegativesRankingLoss`` on (question,
  evidence sentence) pairs, with and without a hard negative (another sentence of the same paragraph):
  lr 5e-5, 3 epochs, batch 32 with no positive twice in a batch, AdamW (weight decay 0.01), 10% linear
  warm-up then linear decay, gradient clipping 1.0, seed 0, deterministic torch on 2 threads (``encoders/training.py``, the
  loop that also makes the shipped encoder, scripts/train_encoder.py). The model is saved to a temporary directory, read back, measured, and deleted.

Fitted (B and C) on the training questions of two articles: Colombia (corpus/gold/natural/train.jsonl and
corpus/gold/forms/train.jsonl) and open-columns (corpus/articles/open-columns/gold/train.jsonl). Measured on
the Colombia dev sets (natural + forms) and on port-ardley's dev set, an article no fit sees: top-1 and top-3
(the evidence sentence ranked first / in the first three, over answerable questions) and the ROC AUC of the
best sentence's cosine as a score for "the article answers it" (all questions). No test split is read.

Sentences are cut as the index cuts them and questions read with ``load_gold``; a question's evidence
sentences are found by ``encoders.training.load_training_article`` (answerable questions whose evidence is in
no sentence are left out).
Nothing tracked is written (``--save`` writes the model where it is told).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from colnato_qa.offline import pin_offline_environment  # noqa: E402

pin_offline_environment()

import numpy as np  # noqa: E402

# name -> (corpus folder, index folder, gold files); the indexes are untracked and built when missing.
TRAIN = {
    "colombia": ("corpus", "index", ["corpus/gold/natural/train.jsonl", "corpus/gold/forms/train.jsonl"]),
    "open-columns": ("corpus/articles/open-columns", "index/open-columns",
                     ["corpus/articles/open-columns/gold/train.jsonl"]),
}
DEV = {
    "colombia": ("corpus", "index", ["corpus/gold/natural/dev.jsonl", "corpus/gold/forms/dev.jsonl"]),
    "port-ardley": ("corpus/articles/port-ardley", "index/port-ardley", ["corpus/articles/port-ardley/gold/dev.jsonl"]),
}
ALLOWED_SPLITS = ("train.jsonl", "dev.jsonl")
REFUSED_FOLDERS = ("test", "languages")   # corpus/gold/languages is held out too

RIDGE_ALPHA, BLEND_WEIGHT = 0.1, 0.5
LEARNING_RATE, EPOCHS, BATCH_SIZE, WARMUP, WEIGHT_DECAY, CLIP, SEED, THREADS = 5e-5, 3, 32, 0.1, 0.01, 1.0, 0, 2


class SplitRefused(ValueError):
    """A gold file that is not a train or dev split was asked for."""


def checked_gold_path(relative: str) -> Path:
    """The gold file's path, refusing anything but a train or dev split: the probe never reads a test set."""
    parts = Path(relative).parts
    if not parts or parts[-1] not in ALLOWED_SPLITS or any(p in REFUSED_FOLDERS for p in parts):
        raise SplitRefused(f"{relative}: the probe reads only train and dev splits ({', '.join(ALLOWED_SPLITS)}), "
                               f"never a test set nor anything under {', '.join(REFUSED_FOLDERS)}; name a train or "
                               "dev file.")
    return ROOT / relative


def load_article(corpus: str, index: str, gold_files: list[str]):
    """The article's sentences and its questions asked on their own (``encoders.training``); sentences are
    cut as the index cuts them, with the packaged base encoder's tokenizer (``index`` is not read)."""
    from colnato_qa.encoders.model_files import PACKAGED_MODEL_NAME
    from colnato_qa.encoders.torch import TorchEncoder
    from colnato_qa.encoders.training import load_training_article

    paths = [checked_gold_path(g) for g in gold_files]
    return load_training_article(corpus, ROOT / corpus, paths, TorchEncoder(PACKAGED_MODEL_NAME), follow_ups=False)


# ------------------------------------------------------------------ measuring
def encode(model, texts: list[str]) -> np.ndarray:
    return model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True,
                        show_progress_bar=False)


def scores(q: np.ndarray, s: np.ndarray, article) -> dict[str, float]:
    """top-1, top-3 (answerable questions) and the AUC of the best cosine for answerable vs not (all)."""
    from sklearn.metrics import roc_auc_score

    q = q / np.linalg.norm(q, axis=1, keepdims=True)
    sims = q @ s.T
    ranked = np.argsort(-sims, axis=1, kind="stable")
    answerable = [(i, set(rows)) for i, (_, rows) in enumerate(article.questions) if rows]
    labels = np.array([bool(rows) for _, rows in article.questions])
    return {"top1": float(np.mean([ranked[i, 0] in gold for i, gold in answerable])),
            "top3": float(np.mean([bool(set(ranked[i, :3]) & gold) for i, gold in answerable])),
            "auc": float(roc_auc_score(labels, sims.max(axis=1)))}


def measure(model, dev: dict, adapt=None) -> dict[str, dict[str, float]]:
    out = {}
    for name, article in dev.items():
        q = encode(model, [text for text, _ in article.questions])
        out[name] = scores(adapt(q) if adapt else q, encode(model, article.sentences), article)
    return out


# ------------------------------------------------------------------ B: ridge query adapter
def ridge_blend(model, train: dict):
    from sklearn.linear_model import Ridge

    x, y = [], []
    for article in train.values():
        s = encode(model, article.sentences)
        pairs = [(text, rows) for text, rows in article.questions if rows]
        x.append(encode(model, [text for text, _ in pairs]))
        y.append(np.array([s[rows].mean(axis=0) for _, rows in pairs]))
    ridge = Ridge(alpha=RIDGE_ALPHA, fit_intercept=True).fit(np.vstack(x), np.vstack(y))
    return lambda q: q + BLEND_WEIGHT * ridge.predict(q)


# ------------------------------------------------------------------ C: fine-tuning
def fine_tune(train: dict, hard_negatives: bool, epochs: int):
    """The fine-tuned model (``encoders.training.fine_tune`` with the probe's recipe), its seconds and pairs."""
    from colnato_qa.encoders.model_files import packaged_model_path
    from colnato_qa.encoders.training import Recipe
    from colnato_qa.encoders.training import fine_tune as train_encoder

    recipe = Recipe(learning_rate=LEARNING_RATE, epochs=epochs, batch_size=BATCH_SIZE, warmup=WARMUP,
                    weight_decay=WEIGHT_DECAY, clip=CLIP, seed=SEED, threads=THREADS, hard_negatives=hard_negatives)
    model, run = train_encoder(packaged_model_path(), list(train.values()), recipe,
                               progress=lambda m: print("  " + m, file=sys.stderr, flush=True))
    return model, run.seconds, run.pairs


def measure_fine_tuned(train, dev, hard_negatives: bool, epochs: int):
    """Fine-tune, save to a temporary directory, read the saved model back and measure it."""
    from sentence_transformers import SentenceTransformer

    model, seconds, pairs = fine_tune(train, hard_negatives, epochs)
    with tempfile.TemporaryDirectory(prefix="colnato-probe-") as tmp:
        model.save(tmp)
        size = subprocess.run(["du", "-sh", tmp], capture_output=True, text=True).stdout.split("\t")[0]
        saved = SentenceTransformer(tmp, device="cpu")
        saved.eval()
        return measure(saved, dev), seconds, pairs, size


# ------------------------------------------------------------------ table
def table(rows: list[tuple[str, dict, float | None]], dev: dict, notes: list[str]) -> str:
    names = list(dev)
    head = ["config"] + [f"{n} {m}" for n in names for m in ("top1", "top3", "AUC max")] + ["train s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, result, seconds in rows:
        cells = [f"{result[n][m]:.3f}" for n in names for m in ("top1", "top3", "auc")]
        lines.append("| " + " | ".join([label] + cells + ["-" if seconds is None else f"{seconds:.0f}"]) + " |")
    counts = ", ".join(f"{n} dev {a.answerable} answerable / {len(a.questions) - a.answerable} not, "
                       f"{len(a.sentences)} sentences" for n, a in dev.items())
    return "\n".join(lines + ["", f"Questions asked on their own: {counts}."] + notes) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1 epoch instead of 3 (a smoke check, not the figures)")
    parser.add_argument("--out", metavar="FILE", help="also write the markdown table to FILE")
    parser.add_argument("--save", metavar="DIR",
                        help="only fine-tune C (no hard negatives) and save it in DIR (a new folder), to try it in the "
                             'whole pipeline with a config {"model": DIR} (docs/ablation.md)')
    args = parser.parse_args(argv)
    epochs = 1 if args.quick else EPOCHS
    if args.save and Path(args.save).exists():
        parser.error(f"{args.save} exists: give a new folder")

    import torch

    torch.set_num_threads(THREADS)
    torch.use_deterministic_algorithms(True)
    from sentence_transformers import SentenceTransformer

    from colnato_qa.encoders.model_files import packaged_model_path

    train = {name: load_article(*spec) for name, spec in TRAIN.items()}
    if args.save:
        model, seconds, pairs = fine_tune(train, hard_negatives=False, epochs=epochs)
        model.eval()
        model.save(args.save)
        print(f"saved the fine-tuned encoder in {args.save} ({pairs} pairs, {seconds:.0f} s)")
        return 0
    dev = {name: load_article(*spec) for name, spec in DEV.items()}
    base = SentenceTransformer(str(packaged_model_path()), device="cpu")
    base.eval()
    rows = [("A base", measure(base, dev), None),
            (f"B ridge blend w={BLEND_WEIGHT} (alpha={RIDGE_ALPHA})", measure(base, dev, ridge_blend(base, train)), None)]
    notes = []
    for hard in (False, True):
        label = f"C MNRL lr {LEARNING_RATE:g}, {epochs} ep" + (" + same-paragraph hard neg" if hard else "")
        print(f"{label} ...", file=sys.stderr, flush=True)
        result, seconds, pairs, size = measure_fine_tuned(train, dev, hard, epochs)
        rows.append((label, result, seconds))
        notes.append(f"{label}: {pairs} training pairs, saved model {size}.")
    text = table(rows, dev, notes)
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
