"""Synthetic corpora for the scale benchmark, and a stand-in embedder for the big ones.

Corpus: the article's own sentences recombined (2 to 4 per paragraph, deterministic seed),
written as ``.md`` documents of ``PARAGRAPHS_PER_DOC`` paragraphs each, with front matter.

``ProxyEmbedder``: embedding 10k-100k paragraphs with MiniLM on 2 CPU cores takes far too long
for a benchmark run, so at those sizes the vectors come from the *real* vectors of the
article's sentences: a text that is one article sentence gets that sentence's real vector; a
text made of several (a passage, a sentence window) gets the normalised mean of their real
vectors plus a little Gaussian noise (seeded by the text, so deterministic); any other text
(a question) is embedded by the real model. Model name and fingerprint are the real model's,
so the engine treats the proxy exactly like the real embedder.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import numpy as np

PARAGRAPHS_PER_DOC = 200
NOISE = 0.3  # norm of the noise added to a mean vector (unit vectors), spread over all dimensions


def article_sentences() -> list[str]:
    """The sentences of the article's searchable paragraphs, in order."""
    from colnato_qa.chunking import Chunker
    from colnato_qa.corpus import load_corpus
    from colnato_qa.settings import DEFAULT_CORPUS_DIR

    passages = Chunker().run(load_corpus(DEFAULT_CORPUS_DIR))
    out: list[str] = []
    for p in passages:
        if p.searchable:
            out.extend(s for s in p.sentence_texts() if len(s) > 20)
    return list(dict.fromkeys(out))


def paragraphs(n: int, sentences: list[str], seed: int = 1234) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.sample(sentences, rng.randint(2, 4))) for _ in range(n)]


def write_corpus(directory: Path, n_paragraphs: int, seed: int = 1234) -> list[str]:
    """Write ``n_paragraphs`` synthetic paragraphs as ``doc-NNNNN.md`` files; returns the paragraphs."""
    directory.mkdir(parents=True, exist_ok=True)
    paras = paragraphs(n_paragraphs, article_sentences(), seed)
    for d in range(0, n_paragraphs, PARAGRAPHS_PER_DOC):
        chunk = paras[d:d + PARAGRAPHS_PER_DOC]
        k = d // PARAGRAPHS_PER_DOC
        body = "\n\n".join(chunk)
        text = (f"---\ndoc_id: synthetic-{k:05d}\ntitle: Synthetic document {k}\nauthor: Bench Mark\n"
                f"publisher: Benchmarks\n---\n\n# Synthetic document {k}\n\n{body}\n")
        (directory / f"doc-{k:05d}.md").write_text(text, encoding="utf-8")
    return paras


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return (v / np.maximum(n, 1e-12)).astype(np.float32)


def proxy_vectors(paras_sentence_ids: list[list[int]], table: np.ndarray, seed: int = 0) -> np.ndarray:
    """Vectorised: normalised mean of the listed sentences' real vectors, plus noise."""
    rng = np.random.default_rng(seed)
    dim = table.shape[1]
    out = np.zeros((len(paras_sentence_ids), dim), dtype=np.float32)
    for i, ids in enumerate(paras_sentence_ids):
        out[i] = table[ids].mean(0)
    out = _unit(out)
    out += rng.standard_normal(out.shape).astype(np.float32) * (NOISE / np.sqrt(dim))
    return _unit(out)


class ProxyEmbedder:
    """Built around a real encoder; see the module docstring."""

    def __new__(cls, real, sentences: list[str]):
        class _Proxy(type(real)):
            def __init__(self) -> None:
                self.__dict__.update(real.__dict__)
                self.real = real
                self.sentences = sentences
                vecs = real.encode(sentences)
                self.table = {s: v for s, v in zip(sentences, vecs)}
                self.proxied = 0
                self.really_embedded = 0

            def _proxy(self, text: str) -> np.ndarray | None:
                v = self.table.get(text)
                if v is not None:
                    return v
                found = [self.table[s] for s in self.sentences if s in text]
                if not found:
                    return None
                seed = int.from_bytes(hashlib.sha1(text.encode("utf-8")).digest()[:8], "little")
                rng = np.random.default_rng(seed)
                mean = _unit(np.mean(found, axis=0))
                noisy = mean + rng.standard_normal(mean.shape).astype(np.float32) * (NOISE / np.sqrt(mean.shape[0]))
                return _unit(noisy)

            def encode(self, texts, batch_size=None):
                if not texts:
                    return real.encode(texts)
                out = [self._proxy(t) for t in texts]
                todo = [i for i, v in enumerate(out) if v is None]
                if todo:
                    vecs = real.encode([texts[i] for i in todo], batch_size=batch_size)
                    for i, v in zip(todo, vecs):
                        out[i] = v
                    self.really_embedded += len(todo)
                self.proxied += len(texts) - len(todo)
                return np.stack(out).astype(np.float32, copy=False)

        return _Proxy()
