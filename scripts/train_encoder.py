"""Fine-tune the packaged all-MiniLM-L6-v2 on the training questions: the encoder the engine ships with.

    python scripts/train_encoder.py                 # train, print what it did and how the weights differ
    python scripts/train_encoder.py --write         # and write models/colnato-minilm-l6-qa/ (tracked files)
    python scripts/train_encoder.py --out DIR       # and write the model to DIR (a new folder) instead

The recipe is ``encoders.training.Recipe()`` (MultipleNegativesRankingLoss, lr 5e-5, 3 epochs, batch 32, seed
0, deterministic torch on 2 threads; ~1 minute on 2 cores). The questions: the training splits of the
Colombia article (natural and question forms), of the open-columns and the upland-fibre articles (TRAIN below),
follow-ups read with the question before them; no dev or test split, and nothing of port-ardley, the article
kept unseen. The weights are stored in float16 (45 MB) with
``training.json``: the recipe, the gold files and their sha256, the base model, the library versions and the
weights' sha256.

After a new model is written, everything fitted on the encoder's vectors is fitted again (docs/ablation.md,
"The fine-tuned encoder"): ``colnato-qa build``, ``fit``, ``calibrate``, ``scripts/fit_short_answer_gate.py
--write``, ``scripts/fit_general_answerability.py --write``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from colnato_qa.offline import pin_offline_environment  # noqa: E402

pin_offline_environment()

# article -> (corpus folder, training gold files), relative to the checkout.
TRAIN = {
    "colombia": ("corpus", ["corpus/gold/natural/train.jsonl", "corpus/gold/forms/train.jsonl"]),
    "open-columns": ("corpus/articles/open-columns", ["corpus/articles/open-columns/gold/train.jsonl"]),
    "upland-fibre": ("corpus/articles/upland-fibre", ["corpus/articles/upland-fibre/gold/train.jsonl"]),
}


def training_articles(encoder, follow_ups: bool = True):
    from colnato_qa.encoders.training import load_training_article

    return [load_training_article(name, ROOT / corpus, [ROOT / g for g in gold], encoder, follow_ups)
            for name, (corpus, gold) in TRAIN.items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--write", action="store_true", help="write the shipped model (models/colnato-minilm-l6-qa/)")
    target.add_argument("--out", metavar="DIR", help="write the model to DIR, a new folder")
    args = parser.parse_args(argv)
    if args.out and Path(args.out).exists():
        parser.error(f"{args.out} exists: give a new folder")

    import numpy as np
    import sentence_transformers
    import torch
    from safetensors.numpy import load_file

    from colnato_qa.encoders.model_files import (PACKAGED_MODEL_NAME, TUNED_MODEL_DIR, model_fingerprint,
                                                 packaged_model_path)
    from colnato_qa.encoders.torch import TorchEncoder
    from colnato_qa.encoders.training import Recipe, fine_tune, recipe_record, save_half_precision
    from colnato_qa.files import file_sha256

    base = TorchEncoder(PACKAGED_MODEL_NAME)
    recipe = Recipe()
    articles = training_articles(base, recipe.follow_ups)
    model, run = fine_tune(base.model_location, articles, recipe, progress=lambda m: print("  " + m, file=sys.stderr))
    print(f"trained on {run.pairs} pairs ({', '.join(f'{a.name} {a.answerable}' for a in articles)}) in "
          f"{run.seconds:.0f} s; loss by epoch {list(run.epoch_losses)}")
    record = {
        "base_model": {"name": PACKAGED_MODEL_NAME, "fingerprint": model_fingerprint(PACKAGED_MODEL_NAME,
                                                                                     packaged_model_path())},
        "recipe": recipe_record(recipe),
        "trained_on": {name: {"corpus": corpus, "gold": {g: file_sha256(ROOT / g) for g in gold}}
                       for name, (corpus, gold) in TRAIN.items()},
        "pairs": run.pairs,
        "epoch_losses": list(run.epoch_losses),
        "versions": {"torch": torch.__version__, "sentence_transformers": sentence_transformers.__version__},
        "command": "python scripts/train_encoder.py --write",
        "date": dt.date.today().isoformat(),
    }
    shipped = ROOT / TUNED_MODEL_DIR
    with tempfile.TemporaryDirectory(prefix="colnato-encoder-") as tmp:
        out = Path(tmp) / "model"
        record = save_half_precision(model, out, record)
        if (shipped / "model.safetensors").exists():
            old, new = load_file(shipped / "model.safetensors"), load_file(out / "model.safetensors")
            same = old.keys() == new.keys() and all(np.array_equal(old[k], new[k]) for k in old)
            print("the weights are " + ("the same as the shipped model's" if same else
                                        "different from the shipped model's"))
        if args.write or args.out:
            target = shipped if args.write else Path(args.out)
            if target.exists():
                shutil.rmtree(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(out, target)
            print(f"wrote {target} (weights sha256 {record['weights']['sha256'][:16]}...)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
