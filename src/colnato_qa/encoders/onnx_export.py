"""The ONNX export of a local sentence-transformers model: made once, at index-build time, with torch.

An export is a directory ``<index>/encoders/<name>-<key>/`` holding

    model.onnx, model.onnx.data   the graph (mean pooling and L2 normalisation included; a second output, each
                                  token's vector, for the word alignment) and its weights
    tokenizer.json                the model's fast tokenizer
    word_embeddings.npy           the word-piece input embedding table (static word vectors)
    export.json                   the settings it was made with, and each file's size and sha256

``key`` is a hash of the settings (``export_settings``): the model's fingerprint, this recipe's
version, the opset, the graph optimisation and the onnxruntime version it was optimised for. A
change to any of them names another directory, so a stale export is never used; a damaged one
(checksum mismatch) is made again. The index manifest records the export it was built with
(``OnnxEncoder.manifest_record``), so an index whose vectors came from another export is rebuilt.

Steps: ``torch.onnx.export`` (TorchScript exporter, eager attention so the graph has the plain
BERT attention pattern), then ``onnxruntime.transformers.optimizer`` (the fusion tool optimum's
ORTOptimizer wraps: attention, embedding and skip layer-norm, bias-GELU; exact, no GELU
approximation), weights saved as external data so the runtime can map them instead of copying.
The result is checked against the torch model before it is kept.

Only this module imports torch, transformers and onnx; serving (``onnx.py``) needs none of them.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import os
import re
import shutil
import tempfile
import warnings
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ColnatoError
from ..files import file_sha256, write_text_atomic
from .model_files import model_fingerprint
from .onnx_runtime import GRAPH, OnnxRuntime

log = logging.getLogger(__name__)

# Bump when the steps below change what an export holds.
RECIPE = 2   # 2: the token vectors as a second output
OPSET = 17
# onnxruntime.transformers.optimizer: ORT's own graph optimisations at this level first (1 basic,
# 2 extended), then the transformer fusions. Chosen in benchmarks (docs/scaling.md, "Encoder").
OPT_LEVEL = 1
FILES = (GRAPH, GRAPH + ".data", "tokenizer.json", "word_embeddings.npy")
META = "export.json"
# The files' (size, modification time, inode) when their checksums last matched: a start whose files still
# have them skips hashing ~140 MB (a file rewritten or replaced since gets a new time or inode and is hashed).
CHECKED = "checked.json"
# The export must reproduce the torch model's vectors at least this closely, or it is refused.
MIN_COSINE = 0.9999
PROBES = (
    "When was it announced that Colombia would become a NATO global partner?",
    "a",
    "",
    "Ünïcödé, punctuation… and   spaces\tin the (2002-2010) ITPP!",
    " ".join(["The partnership focuses on cybersecurity, maritime security and terrorism."] * 40),  # > 256 pieces
)


def _version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def model_layout(model_location: str) -> dict[str, Any]:
    """Where the transformer is inside a sentence-transformers directory, and how its output is
    pooled; raises when the model is not one this export reproduces (mean pooling, nothing after
    it but normalisation)."""
    root = Path(model_location)
    if not root.is_dir():
        raise ColnatoError(
            f"The onnx encoder exports a local model directory, and {model_location!r} is not one. "
            'Give a directory holding a sentence-transformers model, or set "encoder": "torch".'
        )
    modules = json.loads((root / "modules.json").read_text(encoding="utf-8")) if (root / "modules.json").exists() else []
    kinds = [str(m.get("type", "")).rsplit(".", 1)[-1] for m in modules]
    transformer_dir = root
    if modules:
        if kinds[0] != "Transformer" or any(k not in ("Pooling", "Normalize") for k in kinds[1:]):
            raise ColnatoError(
                f"The onnx encoder reproduces Transformer + mean Pooling (+ Normalize) models; {model_location} "
                f'has {kinds}. Set "encoder": "torch" to use it.'
            )
        transformer_dir = root / str(modules[0].get("path", ""))
        for m in modules:
            if str(m.get("type", "")).endswith("Pooling"):
                pooling = _read_json(root / str(m.get("path", "")) / "config.json")
                # sentence-transformers 5+ writes {"pooling_mode": "mean"}; earlier versions a flag per mode.
                named = pooling.get("pooling_mode")
                modes = [named] if isinstance(named, str) else sorted(
                    k for k, v in pooling.items() if k.startswith("pooling_mode") and v)
                if modes not in (["mean"], ["pooling_mode_mean_tokens"]):
                    raise ColnatoError(
                        f"The onnx encoder reproduces mean pooling only; {model_location} pools with {modes}. "
                        'Set "encoder": "torch" to use it.'
                    )
    sbert = _read_json(root / "sentence_bert_config.json") or _read_json(transformer_dir / "sentence_bert_config.json")
    config = _read_json(transformer_dir / "config.json")
    tokenizer_config = _read_json(transformer_dir / "tokenizer_config.json")
    if not (transformer_dir / "tokenizer.json").exists():
        raise ColnatoError(
            f"The onnx encoder needs a fast tokenizer (tokenizer.json) in {transformer_dir}. "
            'Set "encoder": "torch" to use this model.'
        )
    limits = [v for v in (tokenizer_config.get("model_max_length"), config.get("max_position_embeddings"))
              if isinstance(v, int) and v > 0]
    max_seq_length = int(sbert.get("max_seq_length") or min(limits or [512]))
    return {
        "transformer_dir": str(transformer_dir),
        "max_seq_length": max_seq_length,
        "lowercase": bool(sbert.get("do_lower_case", False)),
    }


def export_settings(model_name: str, model_location: str) -> dict[str, Any]:
    """Everything an export depends on; computed without torch, so a server can check its export."""
    layout = model_layout(model_location)
    return {
        "model": model_name,
        "model_fingerprint": model_fingerprint(model_name, model_location),
        "recipe": RECIPE,
        "exporter": "torch.onnx.export (TorchScript), eager attention",
        "opset": OPSET,
        "optimizer": "onnxruntime.transformers.optimizer, model_type bert, fp32, no GELU approximation",
        "opt_level": OPT_LEVEL,
        "onnxruntime": _version("onnxruntime"),
        "max_seq_length": layout["max_seq_length"],
        "lowercase": layout["lowercase"],
        "external_data": True,
    }


def settings_key(settings: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]


def _safe_name(model: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", model)[-60:].strip("._") or "model"


def export_dir_name(settings: dict[str, Any]) -> str:
    return f"{_safe_name(str(settings['model']))}-{settings_key(settings)}"


sha256_file = file_sha256   # the export's files' checksums (a module name, so tests can count the hashing)


def file_table(directory: Path) -> dict[str, dict[str, Any]]:
    return {name: {"bytes": (directory / name).stat().st_size, "sha256": sha256_file(directory / name)}
            for name in FILES}


def _stamps(directory: Path) -> dict[str, list[int]]:
    stamps = {}
    for name in FILES:
        st = (directory / name).stat()
        stamps[name] = [st.st_size, st.st_mtime_ns, st.st_ino]
    return stamps


def verified_meta(directory: Path, settings: dict[str, Any]) -> dict[str, Any] | None:
    """The export's metadata when ``directory`` holds an intact export made with ``settings``; else None."""
    meta = _read_json(directory / META)
    files = meta.get("files")
    if meta.get("settings") != settings or not isinstance(files, dict) or sorted(files) != sorted(FILES):
        return None
    try:
        stamps = _stamps(directory)
    except OSError:
        return None
    if _read_json(directory / CHECKED) == stamps and all(stamps[n][0] == want.get("bytes") for n, want in files.items()):
        return meta
    for name, want in files.items():
        f = directory / name
        try:
            if f.stat().st_size != want.get("bytes") or sha256_file(f) != want.get("sha256"):
                log.warning("ONNX export %s: %s is truncated or corrupted (checksum mismatch)", directory, name)
                return None
        except OSError:
            return None
    try:
        write_text_atomic(directory / CHECKED, json.dumps(stamps))
    except OSError:
        pass  # a read-only export: hashed at every start
    return meta


def write_export(model_location: str, settings: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    """Export, optimise and check the model into ``out_dir`` (an empty directory); returns the metadata."""
    import torch
    from transformers import AutoModel

    layout = model_layout(model_location)
    transformer_dir = layout["transformer_dir"]
    # float32 whatever the weights are stored in (the fine-tuned default's are float16).
    model = AutoModel.from_pretrained(transformer_dir, attn_implementation="eager", local_files_only=True,
                                      dtype=torch.float32).eval()
    config = model.config
    takes_types = "token_type_ids" in inspect.signature(model.forward).parameters
    inputs = ["input_ids", "attention_mask"] + (["token_type_ids"] if takes_types else [])

    class Pooled(torch.nn.Module):
        """The transformer, mean pooling over real tokens, L2 normalisation: sentence-transformers' encode;
        and each token's vector (the last hidden state), for the word alignment."""

        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            kwargs = {"token_type_ids": token_type_ids} if token_type_ids is not None else {}
            hidden = self.inner(input_ids=input_ids, attention_mask=attention_mask, **kwargs).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1), hidden

    pooled = Pooled(model).eval()
    dummy = tuple(torch.ones((2, 8), dtype=torch.int64) for _ in inputs)
    plain = out_dir / "plain.onnx"
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on Python control flow in the model's code
        torch.onnx.export(
            pooled, dummy, str(plain), input_names=inputs, output_names=["sentence_embedding", "token_embeddings"],
            dynamic_axes={**{name: {0: "batch", 1: "tokens"} for name in inputs}, "sentence_embedding": {0: "batch"},
                          "token_embeddings": {0: "batch", 1: "tokens"}},
            opset_version=OPSET, dynamo=False, do_constant_folding=True,
        )
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model

    optimized = optimize_model(
        str(plain), model_type="bert", num_heads=int(config.num_attention_heads), hidden_size=int(config.hidden_size),
        optimization_options=FusionOptions("bert"), opt_level=OPT_LEVEL, use_gpu=False,
    )
    fused = {k: v for k, v in optimized.get_fused_operator_statistics().items() if v}
    optimized.save_model_to_file(str(out_dir / GRAPH), use_external_data_format=True, all_tensors_to_one_file=True)
    plain.unlink()
    for leftover in out_dir.iterdir():  # the optimizer may leave its intermediate model behind
        if leftover.name not in FILES:
            leftover.unlink() if leftover.is_file() else shutil.rmtree(leftover, ignore_errors=True)
    np.save(out_dir / "word_embeddings.npy",
            model.get_input_embeddings().weight.detach().cpu().numpy().astype(np.float32, copy=False))
    shutil.copyfile(Path(transformer_dir) / "tokenizer.json", out_dir / "tokenizer.json")
    meta = {
        "settings": settings,
        "inputs": inputs,
        "dimension": int(config.hidden_size),
        "fused_operators": fused,
        "made_with": {d: _version(d) for d in ("torch", "transformers", "onnx", "onnxruntime")},
        "files": file_table(out_dir),
    }
    _check_against_torch(model_location, out_dir, meta)
    (out_dir / META).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def _check_against_torch(model_location: str, out_dir: Path, meta: dict[str, Any]) -> None:
    """Refuse an export whose vectors are not those of sentence-transformers on torch."""
    from .torch import TorchEncoder

    reference = TorchEncoder(model_location).encode(list(PROBES), batch_size=2)
    got = OnnxRuntime(out_dir, meta).encode(list(PROBES), batch_size=2)
    worst = float(np.min(np.sum(reference * got, axis=1)))
    meta["probe_min_cosine"] = round(worst, 7)
    if worst < MIN_COSINE:
        raise ColnatoError(
            f"The ONNX export of {model_location} does not reproduce the torch model (cosine {worst:.5f} < "
            f'{MIN_COSINE}). Set "encoder": "torch" to use this model.'
        )


def ensure_export(model_name: str, model_location: str, root: Path) -> tuple[Path, dict[str, Any]]:
    """An intact export for the model under ``root``, made when missing, stale or damaged.

    Concurrent callers wait on a file lock and use the first one's export. When ``root`` cannot be
    written, the export goes to a temporary directory for this process only (a warning says so).
    """
    settings = export_settings(model_name, model_location)
    target = root / export_dir_name(settings)
    meta = verified_meta(target, settings)
    if meta is not None:
        return target, meta
    try:
        root.mkdir(parents=True, exist_ok=True)
        from filelock import FileLock

        lock = FileLock(str(root / ".export.lock"), timeout=1800)
        lock.acquire()
    except OSError as exc:
        log.warning("cannot write the ONNX export to %s (%s): exporting for this process only", root,
                    exc.strerror or exc)
        scratch = Path(tempfile.mkdtemp(prefix="colnato-qa-onnx-"))
        return scratch, write_export(model_location, settings, scratch)
    try:
        meta = verified_meta(target, settings)  # another process may have made it while we waited
        if meta is not None:
            return target, meta
        log.info("exporting %s to ONNX in %s (once; torch is used for this step only)", model_name, target)
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{target.name}-", dir=root))
        try:
            meta = write_export(model_location, settings, tmp)
            if target.exists():
                shutil.rmtree(target)
            os.replace(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _remove_other_exports(root, keep=target.name, model=settings["model"])
        return target, meta
    finally:
        lock.release()


def _remove_other_exports(root: Path, keep: str, model: str) -> None:
    """Older exports of the same model (other settings) are never used again: remove them."""
    prefix = _safe_name(model) + "-"
    for child in root.iterdir():
        if child.is_dir() and child.name != keep and child.name.startswith(prefix):
            shutil.rmtree(child, ignore_errors=True)
