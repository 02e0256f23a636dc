"""Build the in-memory index from documents: chunk, embed (reusing unchanged vectors), FAISS, BM25."""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import datetime, timezone

import numpy as np

from . import __version__
from .chunking import CHUNKER_VERSION, Chunker
from .components.annotator import ANNOTATOR_VERSION, PassageAnnotator
from .corpus import Document, corpus_hash
from .encoders import Encoder
from .index_store import FORMAT_VERSION, IndexData, WordPieces
from .retrieval.bm25 import build_bm25
from .retrieval.dense import make_faiss_index

log = logging.getLogger(__name__)


def expected_manifest(documents: list[Document], embedder: Encoder, approximate_above: int,
                      n_searchable: int | None = None) -> dict:
    """The manifest fields an index must match to be used for these documents and this model."""
    fields = {
        "format_version": FORMAT_VERSION,
        "model": embedder.model_name,
        "model_fingerprint": embedder.fingerprint(),
        "encoder": embedder.manifest_record(),
        "chunker_version": CHUNKER_VERSION,
        "annotator_version": ANNOTATOR_VERSION,
        "corpus_hash": corpus_hash(documents),
        "approximate_above": approximate_above,
    }
    return fields


def sentence_windows(sentences: list[str], context: str = "") -> list[str]:
    """Each sentence with the one before it (the first with the passage's lead-in, if any), so a
    sentence that opens with "This status..." is embedded with what "this" refers to."""
    out = []
    for j, s in enumerate(sentences):
        before = sentences[j - 1] if j else context
        out.append(f"{before} {s}" if before else s)
    return out


def _text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def vector_cache_from(old: IndexData | None) -> dict[str, np.ndarray]:
    """Vectors of an earlier index by text hash, so unchanged text is not embedded again."""
    cache: dict[str, np.ndarray] = {}
    if old is None:
        return cache
    for row, i in enumerate(old.searchable):
        p = old.passages[i]
        cache[_text_key(p.index_text)] = old.passage_vectors[row]
        start = int(old.sentence_offsets[row])
        sents = p.sentence_texts()
        for j, (s, w) in enumerate(zip(sents, sentence_windows(sents, p.context))):
            cache[_text_key(s)] = old.sentence_vectors[start + j]
            cache[_text_key(w)] = old.window_vectors[start + j]
    return cache


def _embed_with_cache(texts: list[str], embedder: Encoder, cache: dict[str, np.ndarray], batch_size: int) -> tuple[np.ndarray, int]:
    keys = [_text_key(t) for t in texts]
    missing = sorted({k: t for k, t in zip(keys, texts) if k not in cache}.items())
    if missing:
        vectors = embedder.encode([t for _, t in missing], batch_size=batch_size)
        for (k, _), v in zip(missing, vectors):
            cache[k] = v
    dim = embedder.dimension
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for i, k in enumerate(keys):
        out[i] = cache[k]
    return out, len(missing)


_ANNOTATOR = PassageAnnotator()


def annotate(passages: list) -> dict:
    """Named entities and syntax of every passage and the corpus gazetteer, as the index stores them."""
    result = _ANNOTATOR.run([p.text for p in passages])
    return {
        "entities": {p.passage_id: [e.to_list() for e in ents] for p, ents in zip(passages, result.entities)},
        "syntax": {p.passage_id: syn.to_dict() for p, syn in zip(passages, result.syntax)},
        "gazetteer": result.gazetteer.to_dict(),
    }


def build_index(documents: list[Document], embedder: Encoder, approximate_above: int,
                previous: IndexData | None = None, batch_size: int = 64) -> IndexData:
    t0 = time.perf_counter()
    chunker = Chunker(max_tokens=embedder.max_tokens, count_tokens=embedder.count_tokens)
    passages = chunker.run(documents)
    searchable = [i for i, p in enumerate(passages) if p.searchable]
    cache = vector_cache_from(previous)
    passage_vectors, n_new_p = _embed_with_cache([passages[i].index_text for i in searchable], embedder, cache, batch_size)
    sentence_texts: list[str] = []
    window_texts: list[str] = []
    offsets = [0]
    for i in searchable:
        sents = passages[i].sentence_texts()
        sentence_texts.extend(sents)
        window_texts.extend(sentence_windows(sents, passages[i].context))
        offsets.append(len(sentence_texts))
    sentence_vectors, n_new_s = _embed_with_cache(sentence_texts, embedder, cache, batch_size)
    window_vectors, n_new_w = _embed_with_cache(window_texts, embedder, cache, batch_size)
    n_new_s += n_new_w
    # Each passage (as the reader sees it) and sentence as word-piece vectors, for the word alignment.
    pieces = [v for _, v in embedder.encode_tokens([passages[i].text for i in searchable] + sentence_texts)]
    word_pieces = WordPieces.stack(pieces[:len(searchable)], pieces[len(searchable):], embedder.dimension)
    approximate = len(searchable) > approximate_above
    faiss_index = make_faiss_index(passage_vectors, approximate=approximate)
    bm25 = build_bm25([passages[i].index_text for i in searchable])
    annotations = annotate(passages)
    manifest = expected_manifest(documents, embedder, approximate_above)
    manifest.update({
        "colnato_qa_version": __version__,
        "dimension": embedder.dimension,
        "index_type": "hnsw" if approximate else "flat",
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "build_seconds": round(time.perf_counter() - t0, 3),
        "counts": {
            "documents": len(documents),
            "passages": len(passages),
            "searchable_passages": len(searchable),
            "sentences": len(sentence_texts),
            "embedded_now": n_new_p + n_new_s,
            "reused_vectors": len(searchable) + 2 * len(sentence_texts) - n_new_p - n_new_s,
        },
        "documents": [{"doc_id": d.doc_id, "path": d.path, "content_hash": d.content_hash} for d in documents],
    })
    log.info("built index: %d passages (%d searchable), %d sentences, %d embedded, %.2fs",
             len(passages), len(searchable), len(sentence_texts), n_new_p + n_new_s, time.perf_counter() - t0)
    return IndexData(manifest=manifest, passages=passages, searchable=searchable, passage_vectors=passage_vectors,
                     sentence_vectors=sentence_vectors, window_vectors=window_vectors, sentence_offsets=np.asarray(offsets, dtype=np.int64),
                     faiss_index=faiss_index, bm25=bm25, annotations=annotations, word_pieces=word_pieces)
