"""Encoders fine-tuned without some of their training questions, for features that look as they will on new ones.

The shipped encoder (models/colnato-minilm-l6-qa/) was fine-tuned on the very training questions that
``colnato-qa fit`` fits the answerability model on. Its cosine between a training question and that question's
own sentence is higher than a new wording will ever get, and a model fitted on such features trusts the cosine
more than new questions bear out (as with the query adapter: docs/ablation.md). ``HeldOutEncoders.run(ids)``
gives an engine on an encoder made by the same recipe from the same training files, less the questions of
``ids``'s folds (``stable_fold``, every article's questions of those folds): the features of those questions,
read with it, are out of sample.

Fold encoders are kept in ``<cache>/<key>/`` (the key: the recipe, the training files' sha256, the torch
version and the ids left out), so ``fit`` and ``scripts/fit_general_answerability.py`` train each one once.
Build time only (torch).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import zlib
from pathlib import Path
from typing import Any

from ..errors import ColnatoError

FOLDS_SUBDIR = "fold-encoders"


def stable_fold(item_id: str, folds: int) -> int:
    """The fold of a question: the same for one id in every fit and every file (crc32 of the id)."""
    return zlib.crc32(item_id.encode("utf-8")) % folds


def training_record(model_location: str | Path) -> dict[str, Any] | None:
    """The model's training.json (how it was fine-tuned), or None for a model not fine-tuned here."""
    from ..encoders.training import TRAINING_RECORD

    path = Path(model_location) / TRAINING_RECORD
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


class HeldOutEncoders:
    """``HeldOutEncoders(engine, root).run(held_out_ids) -> QAEngine``: an engine on ``engine``'s corpus whose
    encoder was fine-tuned like ``engine``'s without the questions ``held_out_ids``, with the neutral
    answerability model (computing the word alignment when ``engine``'s model reads it), the identity adapter and no question bank (``engine`` itself, which should be set up
    so, when the encoder never trained on any of those questions). ``root``: where the training record's
    paths are (the source checkout)."""

    def __init__(self, engine: Any, root: str | Path, cache_dir: str | Path | None = None, folds: int = 5) -> None:
        record = training_record(engine.embedder.model_location)
        if record is None:
            raise ColnatoError(f"The encoder {engine.embedder.model_name} was not fine-tuned here (it has no "
                               "training.json): there is nothing to cross-fit. Use --encoder-features in-sample.")
        self.engine = engine
        self.folds = folds
        self.root = Path(root)
        self.record = record
        self.cache_dir = Path(cache_dir) if cache_dir is not None else Path(engine.index_dir) / FOLDS_SUBDIR
        missing = [g for a in record["trained_on"].values() for g in a["gold"] if not (self.root / g).is_file()]
        if missing:
            raise ColnatoError(f"Cross-fitting the encoder retrains it on its training files, and {missing} "
                               f"is missing under {self.root}. Run fit from the source checkout, or use "
                               "--encoder-features in-sample.")
        self._articles: list | None = None
        self._engines: dict[frozenset[str], Any] = {}

    @property
    def articles(self) -> list:
        """The encoder's training articles and questions, read as its training read them."""
        if self._articles is None:
            from ..encoders.torch import TorchEncoder
            from ..encoders.training import load_training_article

            base = TorchEncoder(self.record["base_model"]["name"])
            follow_ups = bool(self.record["recipe"].get("follow_ups", False))
            self._articles = [load_training_article(name, self.root / spec["corpus"],
                                                    [self.root / g for g in spec["gold"]], base, follow_ups)
                              for name, spec in self.record["trained_on"].items()]
        return self._articles

    @property
    def trained_ids(self) -> frozenset[str]:
        return frozenset(i for a in self.articles for i in a.question_ids)

    def whole_folds(self, held_out: frozenset[str]) -> frozenset[str]:
        """Every trained question (of any article) in the folds of ``held_out``'s trained questions: one encoder
        per fold serves every article's fit (`fit` and scripts/fit_general_answerability.py), ``folds``
        encoders in all rather than one per fold and article."""
        folds = {stable_fold(i, self.folds) for i in held_out if i in self.trained_ids}
        return frozenset(i for i in self.trained_ids if stable_fold(i, self.folds) in folds)

    def _key(self, held_out: frozenset[str]) -> str:
        import torch

        h = hashlib.sha256(json.dumps({"recipe": self.record["recipe"], "trained_on": self.record["trained_on"],
                                       "base": self.record["base_model"], "torch": torch.__version__,
                                       "held_out": sorted(held_out)}, sort_keys=True).encode())
        return h.hexdigest()[:16]

    def _model_dir(self, held_out: frozenset[str]) -> Path:
        from ..encoders.model_files import resolve_model
        from ..encoders.training import Recipe, fine_tune, save_half_precision

        folder = self.cache_dir / self._key(held_out)
        model_dir = folder / "model"
        if (model_dir / "training.json").is_file():
            return model_dir
        articles = [a.without(held_out) for a in self.articles]
        model, run = fine_tune(resolve_model(self.record["base_model"]["name"])[0], articles, Recipe(**self.record["recipe"]))
        tmp = folder / ".tmp-model"
        shutil.rmtree(tmp, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        save_half_precision(model, tmp, {"held_out": sorted(held_out), "pairs": run.pairs,
                                         "recipe": self.record["recipe"], "trained_on": self.record["trained_on"]})
        shutil.rmtree(model_dir, ignore_errors=True)
        tmp.rename(model_dir)
        return model_dir

    def run(self, held_out: frozenset[str]) -> Any:
        from ..components.answerability import AnswerabilityModel
        from ..components.query_adapter import QueryAdapter
        from ..components.question_bank import QuestionBank
        from ..engine import QAEngine

        held_out = self.whole_folds(held_out)
        if not held_out:
            return self.engine
        if held_out not in self._engines:
            model_dir = self._model_dir(held_out)
            corpus = Path(self.engine.corpus_dir).resolve()
            corpus_key = hashlib.sha256(str(corpus).encode()).hexdigest()[:12]
            settings = self.engine.settings.replace(model=str(model_dir), encoder="torch")
            self._engines[held_out] = QAEngine.load(corpus, model_dir.parent / f"index-{corpus_key}", settings,
                                                    warm_up=False,
                                                    answerability=AnswerabilityModel.neutral(self.engine.reads_alignment),
                                                    query_adapter=QueryAdapter.identity(),
                                                    question_bank=QuestionBank.empty())
        return self._engines[held_out]
