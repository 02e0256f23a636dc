"""py3langid's model, cut to the languages told apart and kept as plain ``.npy`` files that are memory-mapped.

py3langid ships its model LZMA-compressed (``model.npz.xz``): loading it decompresses ~40 MB and builds
Python lists and arrays of every table, ~100 MB at the peak and ~50 MB held for the life of a server.
The first load in a user account writes the tables the engine needs (the candidate languages' columns,
the byte automaton) to ``<user cache>/colnato-qa/languages/py3langid-<version>-<languages>/``; every later
process maps them read-only: only the pages a question touches are read, and replicas on one machine share them.
Where the cache cannot be written, the model is loaded into memory as before.

``load_identifier(languages) -> py3langid.langid.LanguageIdentifier`` (normalised probabilities).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

#: The files of a cut model (``classes.json`` beside them names the languages, in column order).
TABLES = ("ptc", "pc", "nextmove", "row", "out")


def cache_dir(languages: Sequence[str]) -> Path:
    from platformdirs import user_cache_path

    from ..settings import APP_NAME

    return user_cache_path(APP_NAME) / "languages" / f"py3langid-{version('py3langid')}-{'-'.join(languages)}"


def _cut_tables(languages: Sequence[str]) -> tuple[dict[str, np.ndarray], list[str]]:
    """py3langid's tables with only ``languages``' columns: (arrays by name, the column's language codes)."""
    import py3langid.langid as langid
    from py3langid.modelio import load_model

    ptc, pc, classes, nextmove, row, out = load_model(langid.MODEL_DIR / langid.MODEL_FILE)
    wanted = set(languages)
    unknown = wanted - set(classes)
    if unknown:
        raise ValueError(f"py3langid does not know {sorted(unknown)}; it knows {sorted(set(classes))}")
    columns = [i for i, c in enumerate(classes) if c in wanted]
    tables = {
        "ptc": np.ascontiguousarray(np.asarray(ptc)[:, columns]),
        "pc": np.asarray(pc)[columns],
        "nextmove": np.asarray(nextmove),
        "row": np.asarray(row),
        "out": np.asarray(out, dtype=np.int32),
    }
    return tables, [classes[i] for i in columns]


def _write(directory: Path, tables: dict[str, np.ndarray], classes: list[str]) -> None:
    """Write the tables into a new folder beside ``directory`` and rename it into place (readers never see half)."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=directory.parent))
    try:
        for name, array in tables.items():
            np.save(staging / f"{name}.npy", array, allow_pickle=False)
        (staging / "classes.json").write_text(json.dumps(classes), encoding="utf-8")
        try:
            os.replace(staging, directory)
        except OSError:  # another process put its copy in place first: keep that one
            if not (directory / "classes.json").exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _read(directory: Path) -> tuple[dict[str, np.ndarray], list[str]]:
    tables = {name: np.load(directory / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in TABLES}
    return tables, json.loads((directory / "classes.json").read_text(encoding="utf-8"))


def load_tables(languages: Sequence[str]) -> tuple[dict[str, np.ndarray], list[str]]:
    """The cut tables, memory-mapped from the cache (written on first use), else loaded into memory."""
    directory = cache_dir(languages)
    try:
        return _read(directory)
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:  # a damaged copy (a disk filled up, a file edited): made again
        log.warning("language model cache %s is damaged (%s); writing it again", directory, exc)
        shutil.rmtree(directory, ignore_errors=True)
    tables, classes = _cut_tables(languages)
    try:
        _write(directory, tables, classes)
        return _read(directory)
    except (OSError, ValueError) as exc:
        log.info("language model kept in memory: its cache %s could not be written (%s)", directory, exc)
        return tables, classes


def load_identifier(languages: Sequence[str]):
    """A py3langid ``LanguageIdentifier`` over ``languages`` only, with normalised probabilities."""
    import py3langid.langid as langid

    tables, classes = load_tables(languages)
    return langid.LanguageIdentifier(tables["ptc"], tables["pc"], classes, tables["nextmove"], tables["out"],
                                     norm_probs=True, tk_row=tables["row"].tolist())
