"""The index on disk: a directory of plain files plus a manifest, saved atomically, checked on load.

Layout of ``index/``::

    manifest.json          what is built, from what, with which model; names the live generation
    g-<id>/passages.faiss  FAISS index of the searchable passages' vectors
    g-<id>/passages.jsonl  every passage (text, offsets, sentences), one JSON object a line
    g-<id>/vectors.npz     passage and sentence vectors (float32), row-aligned with passages
    g-<id>/words.npz       each searchable passage's and sentence's word-piece vectors (float16), for the
                           word alignment (components/alignment.py)
    g-<id>/bm25/           the bm25s index (its own params file included)
    g-<id>/annotations.json build-time annotations (entities per passage, the gazetteer)

A build writes a new generation into a temporary directory, renames it into place, then
replaces ``manifest.json`` (temp file + ``os.replace``). A build killed at any point leaves the
previous generation and manifest untouched (the next build removes its temp files). Builds take
a file lock, so two processes building at once do not write over each other.

Loading trusts nothing on disk: the manifest must match its schema (``Manifest``), list every
file of the generation with its size and checksum, and the files must load; any failure is a
``StaleIndex`` (the caller rebuilds), never another exception.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, field_validator

from .errors import IndexStoreError
from .files import file_sha256, write_text_atomic
from .retrieval.bm25 import load_bm25, save_bm25
from .types import Passage

log = logging.getLogger(__name__)

FORMAT_VERSION = 4   # 4: words.npz
MANIFEST = "manifest.json"
LOCK = ".build.lock"
FILES = ("passages.faiss", "passages.jsonl", "vectors.npz", "words.npz", "annotations.json")


@dataclass(frozen=True)
class WordPieces:
    """Word-piece vectors (``Encoder.encode_tokens``, stored as float16): row ``r``'s passage is
    ``vectors[passages[r, 0]:passages[r, 1]]``, sentence ``s`` (rows as in ``IndexData.sentence_vectors``)
    ``vectors[sentences[s, 0]:sentences[s, 1]]``."""

    vectors: np.ndarray
    passages: np.ndarray     # (searchable rows, 2)
    sentences: np.ndarray    # (sentences, 2)

    @classmethod
    def stack(cls, passages: list[np.ndarray], sentences: list[np.ndarray], dimension: int) -> "WordPieces":
        parts = list(passages) + list(sentences)
        ends = np.cumsum([len(p) for p in parts], dtype=np.int64)
        spans = np.stack([ends - [len(p) for p in parts], ends], axis=1) if parts else np.zeros((0, 2), np.int64)
        vectors = (np.concatenate(parts).astype(np.float16) if parts and ends[-1] > 0
                   else np.zeros((0, dimension), dtype=np.float16))
        return cls(vectors, spans[:len(passages)], spans[len(passages):])


@dataclass
class IndexData:
    """Everything a loaded (or freshly built) index holds, in memory."""

    manifest: dict[str, Any]
    passages: list[Passage]            # all passages, searchable or not
    searchable: list[int]              # passages[searchable[row]] is FAISS/BM25 row ``row``
    passage_vectors: np.ndarray        # (len(searchable), dim)
    sentence_vectors: np.ndarray       # (total sentences of searchable passages, dim)
    window_vectors: np.ndarray         # same rows: each sentence embedded with the one before it
    sentence_offsets: np.ndarray       # row r's sentences are sentence_vectors[off[r]:off[r+1]]
    faiss_index: Any
    bm25: Any
    word_pieces: WordPieces | None = None  # the word alignment's vectors (None only in hand-made test data)
    # Build-time annotations (components/annotator.py): {"entities": {passage_id: [[start, end, label]...]},
    # "gazetteer": {...}}
    annotations: dict[str, Any] = field(default_factory=dict)


class StaleIndex(Exception):
    """Raised internally when the stored index cannot be used; the message says why."""


class FileEntry(BaseModel):
    """Size and checksum of one file of a generation."""

    model_config = ConfigDict(extra="forbid")
    bytes: StrictInt = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class Manifest(BaseModel):
    """The fields of ``manifest.json`` that loading relies on (others are kept as they are)."""

    model_config = ConfigDict(extra="allow")
    format_version: StrictInt
    generation: str = Field(pattern=r"^g-[A-Za-z0-9_-]+$")
    files: dict[str, FileEntry]
    counts: dict[str, StrictInt] = Field(default_factory=dict)

    @field_validator("files")
    @classmethod
    def _relative_paths(cls, files: dict[str, FileEntry]) -> dict[str, FileEntry]:
        for name in files:
            parts = Path(name).parts
            if not parts or Path(name).is_absolute() or ".." in parts:
                raise ValueError(f"file name {name!r} is not a path inside the generation")
        missing = [name for name in FILES if name not in files]
        if missing:
            raise ValueError(f"files lacks {', '.join(missing)}")
        return files


def validate_manifest(manifest: dict[str, Any]) -> Manifest:
    """``manifest`` checked against the schema; StaleIndex naming the first problem otherwise."""
    try:
        return Manifest.model_validate(manifest)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "manifest"
        raise StaleIndex(f"manifest does not match its schema ({where}: {first.get('msg')})") from None


def _file_table(gen_dir: Path) -> dict[str, dict[str, Any]]:
    table = {}
    for f in sorted(p for p in gen_dir.rglob("*") if p.is_file()):
        table[str(f.relative_to(gen_dir))] = {"bytes": f.stat().st_size, "sha256": file_sha256(f)}
    return table


def check_index_dir(index_dir: Path) -> None:
    if index_dir.exists() and not index_dir.is_dir():
        raise IndexStoreError(f"Index path {index_dir} exists but is not a directory. Remove it or pass --index DIR.")
    if index_dir.exists() and not os.access(index_dir, os.R_OK | os.X_OK):
        raise IndexStoreError(f"Index directory {index_dir} is not readable. Fix its permissions or pass --index DIR.")


def read_manifest(index_dir: Path) -> dict[str, Any] | None:
    path = index_dir / MANIFEST
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StaleIndex(f"manifest unreadable ({exc})") from exc
    if not isinstance(data, dict):
        raise StaleIndex("manifest is not a JSON object")
    return data


def check_manifest(manifest: dict[str, Any], expected: dict[str, Any]) -> None:
    """Raise StaleIndex naming the first field whose stored value differs from the expected one."""
    for key, want in expected.items():
        have = manifest.get(key)
        if have != want:
            raise StaleIndex(f"{key} is {have!r}, expected {want!r}")


def save(index_dir: Path, data: IndexData) -> dict[str, Any]:
    """Write ``data`` as a new generation and switch the manifest to it. Returns the manifest.
    Call it holding ``build_lock``: temp files of earlier, killed builds are removed first."""
    import faiss

    index_dir.mkdir(parents=True, exist_ok=True)
    _remove_manifest_temp_files(index_dir)
    manifest = dict(data.manifest)
    gen = "g-" + manifest["corpus_hash"][:8] + "-" + next(tempfile._get_candidate_names())
    tmp_dir = Path(tempfile.mkdtemp(prefix=".tmp-" + gen + "-", dir=index_dir))
    try:
        faiss.write_index(data.faiss_index, str(tmp_dir / "passages.faiss"))
        with open(tmp_dir / "passages.jsonl", "w", encoding="utf-8") as fh:
            for p in data.passages:
                fh.write(json.dumps(p.to_dict(), ensure_ascii=False) + "\n")
        with open(tmp_dir / "vectors.npz", "wb") as fh:
            np.savez(fh, passages=data.passage_vectors, sentences=data.sentence_vectors, windows=data.window_vectors,
                     sentence_offsets=data.sentence_offsets, searchable=np.asarray(data.searchable, dtype=np.int64))
        pieces = data.word_pieces or WordPieces.stack([], [], data.passage_vectors.shape[1])
        with open(tmp_dir / "words.npz", "wb") as fh:
            np.savez(fh, vectors=pieces.vectors, passages=pieces.passages, sentences=pieces.sentences)
        save_bm25(data.bm25, tmp_dir / "bm25")
        with open(tmp_dir / "annotations.json", "w", encoding="utf-8") as fh:
            json.dump(data.annotations, fh, ensure_ascii=False)
        for f in tmp_dir.rglob("*"):
            if f.is_file():
                with open(f, "rb") as fh:
                    os.fsync(fh.fileno())
        manifest["generation"] = gen
        manifest["files"] = _file_table(tmp_dir)
        os.replace(tmp_dir, index_dir / gen)
    except BaseException:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        raise
    write_text_atomic(index_dir / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    _remove_old_generations(index_dir, keep=gen)
    return manifest


def _remove_manifest_temp_files(index_dir: Path) -> None:
    """``.manifest.json.*`` files left by builds killed while writing the manifest."""
    for child in index_dir.glob(f".{MANIFEST}.*"):
        if child.is_file():
            child.unlink(missing_ok=True)


def persisted(index_dir: Path, manifest: dict[str, Any]) -> bool:
    """True when ``manifest`` (of an index just built or loaded) is the one on disk in ``index_dir``."""
    try:
        on_disk = read_manifest(index_dir)
    except StaleIndex:
        return False
    generation = manifest.get("generation")
    return bool(generation) and on_disk is not None and on_disk.get("generation") == generation \
        and (index_dir / str(generation)).is_dir()


def _remove_old_generations(index_dir: Path, keep: str) -> None:
    for child in index_dir.iterdir():
        if child.is_dir() and child.name != keep and (child.name.startswith("g-") or child.name.startswith(".tmp-g-")):
            # Another process may still be building into its .tmp dir: leave recent ones alone.
            if child.name.startswith(".tmp-") and (os.path.getmtime(child) > _now() - 3600):
                continue
            shutil.rmtree(child, ignore_errors=True)


def _now() -> float:
    import time

    return time.time()


def load(index_dir: Path, expected: dict[str, Any]) -> IndexData:
    """Load and verify the live generation; raise StaleIndex saying why it cannot be used."""
    import faiss

    manifest = read_manifest(index_dir)
    if manifest is None:
        raise StaleIndex("no index built yet")
    check_manifest(manifest, expected)
    schema = validate_manifest(manifest)
    gen_dir = index_dir / schema.generation
    if not gen_dir.is_dir():
        raise StaleIndex(f"generation directory {gen_dir.name!r} missing")
    try:
        on_disk = {str(f.relative_to(gen_dir)) for f in gen_dir.rglob("*") if f.is_file()}
        unlisted = sorted(on_disk - set(schema.files))
        if unlisted:
            raise StaleIndex(f"{unlisted[0]} is not listed in the manifest")
        for name, meta in schema.files.items():
            f = gen_dir / name
            if not f.is_file():
                raise StaleIndex(f"{name} missing")
            if f.stat().st_size != meta.bytes or file_sha256(f) != meta.sha256:
                raise StaleIndex(f"{name} is truncated or corrupted (checksum mismatch)")
    except OSError as exc:
        raise StaleIndex(f"index files unreadable ({exc})") from exc
    try:
        faiss_index = faiss.read_index(str(gen_dir / "passages.faiss"))
        with open(gen_dir / "passages.jsonl", encoding="utf-8") as fh:
            passages = [Passage.from_dict(json.loads(line)) for line in fh if line.strip()]
        with np.load(gen_dir / "vectors.npz") as z:
            passage_vectors = z["passages"]
            sentence_vectors = z["sentences"]
            window_vectors = z["windows"]
            sentence_offsets = z["sentence_offsets"]
            searchable = [int(i) for i in z["searchable"]]
        with np.load(gen_dir / "words.npz") as z:
            word_pieces = WordPieces(z["vectors"], z["passages"], z["sentences"])
        bm25 = load_bm25(gen_dir / "bm25")
        with open(gen_dir / "annotations.json", encoding="utf-8") as fh:
            annotations = json.load(fh)
        if not isinstance(annotations, dict):
            raise ValueError("annotations.json does not hold an object")
    except Exception as exc:  # any load error means "rebuild": nothing on disk is trusted
        raise StaleIndex(f"index files unreadable ({type(exc).__name__}: {exc})") from exc
    if faiss_index.ntotal != len(searchable) or passage_vectors.shape[0] != len(searchable):
        raise StaleIndex("vector counts disagree with the passages")
    if (word_pieces.passages.shape != (len(searchable), 2) or word_pieces.sentences.shape != (len(sentence_vectors), 2)
            or (word_pieces.vectors.size and int(word_pieces.sentences.max(initial=0)) > len(word_pieces.vectors))):
        raise StaleIndex("word-piece vectors disagree with the passages")
    return IndexData(manifest=manifest, passages=passages, searchable=searchable, passage_vectors=passage_vectors,
                     sentence_vectors=sentence_vectors, window_vectors=window_vectors,
                     sentence_offsets=sentence_offsets, faiss_index=faiss_index, bm25=bm25, annotations=annotations,
                     word_pieces=word_pieces)


def build_lock(index_dir: Path, timeout: float = 600.0):
    """A cross-process lock for builds into ``index_dir``."""
    from filelock import FileLock

    return FileLock(str(index_dir / LOCK), timeout=timeout)
