"""Fine-tuning the sentence encoder on (question, evidence sentence) pairs: the recipe and the loop.

``fine_tune(articles, Recipe())`` returns the base model (the packaged all-MiniLM-L6-v2) trained with
sentence-transformers' ``MultipleNegativesRankingLoss``: each question is pulled towards the sentence its
answer lies in and pushed from the other sentences of its batch. Batches never hold one sentence twice as a
positive (no false in-batch negatives). AdamW, linear warm-up then linear decay, gradient clipping, one
seed, deterministic torch on a fixed number of threads: the same inputs give the same weights.

The loop is written here because the sentence-transformers trainer needs ``accelerate`` and ``datasets``,
which the project does not install. ``scripts/train_encoder.py`` runs it on the project's training
questions and writes the shipped model (``models/``); ``scripts/probe_finetuned_encoder.py`` compares it
with other ways of choosing sentences. Build time only: torch is imported inside the functions.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Collection, Sequence

import numpy as np

from ..files import file_sha256

# The file beside the weights that says how they were made; part of the model's fingerprint.
TRAINING_RECORD = "training.json"


@dataclass(frozen=True)
class Recipe:
    """The fine-tuning's settings (the defaults: the best of the probes on the dev sets, docs/ablation.md)."""

    learning_rate: float = 5e-5
    epochs: int = 3
    batch_size: int = 32
    warmup: float = 0.1            # share of the steps spent warming up
    weight_decay: float = 0.01
    clip: float = 1.0              # gradient norm clipping
    seed: int = 0
    threads: int = 2               # torch threads: the sums' order, hence the exact weights, depend on it
    hard_negatives: bool = False   # add another sentence of the same paragraph as a negative
    follow_ups: bool = True        # train on follow-ups too, each read with the question before it (as the engine reads it)


@dataclass
class TrainingArticle:
    """An article's sentences (in index order), the paragraph of each, and its training questions as
    (question, rows of its evidence sentences); unanswerable questions are not used for training."""

    name: str
    sentences: list[str]
    paragraph: list[int]
    questions: list[tuple[str, list[int]]] = field(default_factory=list)
    question_ids: list[str] = field(default_factory=list)   # the gold id of each question, in order

    @property
    def answerable(self) -> int:
        return sum(1 for _, rows in self.questions if rows)

    def without(self, ids: Collection[str]) -> "TrainingArticle":
        """The article less the questions whose id is in ``ids`` (to train an encoder that never saw them)."""
        keep = [n for n, i in enumerate(self.question_ids) if i not in ids]
        return TrainingArticle(self.name, self.sentences, self.paragraph, [self.questions[n] for n in keep],
                               [self.question_ids[n] for n in keep])


def evidence_rows(folded_sentences: Sequence[str], evidence: str | None) -> list[int]:
    """Rows of the (folded) sentences the evidence lies in, or that lie in the evidence (longer than 20)."""
    from ..text import fold

    ev = fold(evidence or "")
    if not ev:
        return []
    return [i for i, t in enumerate(folded_sentences) if ev in t or (len(t) > 20 and t in ev)]


def article_sentences(corpus_dir: str | Path, encoder) -> tuple[list[str], list[int]]:
    """The sentences of the corpus's searchable passages as the index holds them, and each one's passage."""
    from ..chunking import Chunker
    from ..corpus import load_corpus

    passages = Chunker(max_tokens=encoder.max_tokens, count_tokens=encoder.count_tokens).run(load_corpus(corpus_dir))
    sentences, paragraph = [], []
    for p, passage in enumerate(q for q in passages if q.searchable):
        texts = passage.sentence_texts()
        sentences.extend(texts)
        paragraph.extend([p] * len(texts))
    return sentences, paragraph


def load_training_article(name: str, corpus_dir: str | Path, gold_files: Sequence[str | Path], encoder,
                          follow_ups: bool = True) -> TrainingArticle:
    """The article's questions with their evidence rows, a follow-up read with the question before it (the
    reader's reading of a pronoun that stands for a thing, components/reader.py; left out with
    ``follow_ups=False``); answerable
    questions whose evidence is in no sentence are left out."""
    from ..components.followup import read_with
    from ..evaluation.gold import load_gold
    from ..text import fold

    sentences, paragraph = article_sentences(corpus_dir, encoder)
    folded = [fold(t) for t in sentences]
    article = TrainingArticle(name, sentences, paragraph)
    for path in gold_files:
        for item in load_gold(path):
            if item.history and not follow_ups:
                continue
            rows = evidence_rows(folded, item.evidence) if item.answerable else []
            if item.answerable and not rows:
                continue
            article.questions.append((read_with(item.question, item.history[-1]) if item.history else item.question, rows))
            article.question_ids.append(item.id)
    return article


def training_examples(articles: Sequence[TrainingArticle], rng: random.Random) -> list[tuple[str, str, str | None, tuple]]:
    """(question, its first evidence sentence, another sentence of that paragraph (else a neighbour), key)."""
    out = []
    for article in articles:
        s = article.sentences
        for text, rows in article.questions:
            if not rows:
                continue
            g = rows[0]
            others = [i for i in range(len(s)) if article.paragraph[i] == article.paragraph[g] and i not in rows]
            if not others:
                others = [i for i in (g - 1, g + 1) if 0 <= i < len(s) and i not in rows]
            out.append((text, s[g], s[rng.choice(others)] if others else None, (article.name, g)))
    return out


def no_duplicate_batches(examples: list, batch_size: int, rng: random.Random) -> list[list]:
    """Shuffled batches in which no evidence sentence is the positive twice (no false in-batch negatives)."""
    pool, out = examples[:], []
    rng.shuffle(pool)
    while pool:
        batch, seen, rest = [], set(), []
        for e in pool:
            if len(batch) < batch_size and e[3] not in seen:
                batch.append(e)
                seen.add(e[3])
            else:
                rest.append(e)
        out.append(batch)
        pool = rest
    return out


@dataclass(frozen=True)
class TrainingRun:
    """What a fine-tuning did: the pairs it saw, the loss of each epoch and the seconds it took."""

    pairs: int
    epoch_losses: tuple[float, ...]
    seconds: float


def fine_tune(base_location: str, articles: Sequence[TrainingArticle], recipe: Recipe = Recipe(),
              progress=None):
    """(the fine-tuned SentenceTransformer, in eval mode; its TrainingRun)."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from transformers import get_linear_schedule_with_warmup

    torch.set_num_threads(recipe.threads)
    torch.use_deterministic_algorithms(True)
    rng = random.Random(recipe.seed)
    np.random.seed(recipe.seed)
    torch.manual_seed(recipe.seed)
    model = SentenceTransformer(base_location, device="cpu", local_files_only=True,
                                model_kwargs={"dtype": torch.float32})
    examples = training_examples(articles, rng)
    if recipe.hard_negatives:
        examples = [e for e in examples if e[2] is not None]
    if not examples:
        raise ValueError("no training pairs: the gold files hold no answerable question whose evidence is in the "
                         "article; check the gold files and the corpus folder")
    plan = [no_duplicate_batches(examples, recipe.batch_size, rng) for _ in range(recipe.epochs)]
    steps = sum(len(batches) for batches in plan)
    loss = MultipleNegativesRankingLoss(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.learning_rate, weight_decay=recipe.weight_decay)
    schedule = get_linear_schedule_with_warmup(optimizer, int(recipe.warmup * steps), steps)
    model.train()
    started, losses = time.perf_counter(), []
    for epoch, batches in enumerate(plan, 1):
        total = 0.0
        for batch in batches:
            columns = [[e[0] for e in batch], [e[1] for e in batch]]
            if recipe.hard_negatives:
                columns.append([e[2] for e in batch])
            value = loss([model.preprocess(c) for c in columns], None)
            optimizer.zero_grad()
            value.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), recipe.clip)
            optimizer.step()
            schedule.step()
            total += value.item()
        losses.append(round(total, 4))
        if progress:
            progress(f"epoch {epoch}: loss {total:.3f}, {time.perf_counter() - started:.0f} s")
    model.eval()
    return model, TrainingRun(len(examples), tuple(losses), round(time.perf_counter() - started, 1))


def save_half_precision(model, out_dir: Path, record: dict) -> dict:
    """Save the model's weights in float16 (half the size; the encoders load them as float32) with the
    record of how it was made (``training.json``, holding the weights' sha256). Returns the record."""
    model.half()
    model.save(str(out_dir))
    model.float()
    (out_dir / "README.md").unlink(missing_ok=True)   # the generated model card: training.json says it
    record = {**record, "weights": {"file": "model.safetensors", "dtype": "float16",
                                    "sha256": file_sha256(out_dir / "model.safetensors")}}
    (out_dir / TRAINING_RECORD).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return record


def recipe_record(recipe: Recipe) -> dict:
    return asdict(recipe)
