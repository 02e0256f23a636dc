"""py3langid's model and wordfreq's word lists, cut to the languages told apart and kept as plain ``.npy`` files
that are memory-mapped.

py3langid ships its model LZMA-compressed (``model.npz.xz``): loading it decompresses ~40 MB and builds
Python lists and arrays of every table, ~100 MB at the peak and ~50 MB held for the life of a server.
The first load in a user account writes the tables the engine needs (the candidate languages' columns,
the byte automaton) to ``<user cache>/colnato-qa/languages/py3langid-<version>-<languages>/``; every later
process maps them read-only: only the pages a question touches are read, and replicas on one machine share them.
Where the cache cannot be written, the model is loaded into memory as before.

``load_identifier(languages) -> py3langid.langid.LanguageIdentifier`` (normalised probabilities).

wordfreq's lists (English's "large" one, down to about one word per hundred million, and the other languages'
"small" ones, down to one per million) load as Python dicts, tens of MB plus ~16 MB of imports.
``load_word_frequencies(languages) -> WordFrequencies`` keeps them as one sorted array of words and a table of
their Zipf frequencies per language, written once to
``<user cache>/colnato-qa/languages/wordfreq-<version>-en_large-small-<languages>/`` and memory-mapped: a word is
found by binary search, touching a few pages.
"""

from __future__ import annotations

import bisect
import json
import logging
import os
import shutil
import tempfile
import unicodedata
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

#: The files of a cut model (``classes.json`` beside them names the languages, in column order).
TABLES = ("ptc", "pc", "nextmove", "row", "out")


#: The files of the word-frequency table.
WORD_TABLES = ("words", "zipf")
WORD_LIST = "small"         # wordfreq's list: words down to about 1 per million ...
ENGLISH_WORD_LIST = "large" # ... and for English, down to about 1 per 100 million: a rare English word is English
_MAX_WORD_BYTES = 48        # longer words (UTF-8) are left out: none is a question word


def cache_dir(languages: Sequence[str], source: str = "py3langid") -> Path:
    from platformdirs import user_cache_path

    from ..settings import APP_NAME

    suffix = f"-en_{ENGLISH_WORD_LIST}-{WORD_LIST}" if source == "wordfreq" else ""
    return user_cache_path(APP_NAME) / "languages" / f"{source}-{version(source)}{suffix}-{'-'.join(languages)}"


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


def _read(directory: Path, names: Sequence[str] = TABLES) -> tuple[dict[str, np.ndarray], list[str]]:
    tables = {name: np.load(directory / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in names}
    return tables, json.loads((directory / "classes.json").read_text(encoding="utf-8"))


def _cached(directory: Path, names: Sequence[str], make) -> tuple[dict[str, np.ndarray], list[str]]:
    """Tables memory-mapped from ``directory`` (``make()`` writes them there on first use), else held in memory."""
    try:
        return _read(directory, names)
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:  # a damaged copy (a disk filled up, a file edited): made again
        log.warning("language model cache %s is damaged (%s); writing it again", directory, exc)
        shutil.rmtree(directory, ignore_errors=True)
    tables, classes = make()
    try:
        _write(directory, tables, classes)
        return _read(directory, names)
    except (OSError, ValueError) as exc:
        log.info("language model kept in memory: its cache %s could not be written (%s)", directory, exc)
        return tables, classes


def load_tables(languages: Sequence[str]) -> tuple[dict[str, np.ndarray], list[str]]:
    """The cut tables, memory-mapped from the cache (written on first use), else loaded into memory."""
    return _cached(cache_dir(languages), TABLES, lambda: _cut_tables(languages))


def load_identifier(languages: Sequence[str]):
    """A py3langid ``LanguageIdentifier`` over ``languages`` only, with normalised probabilities."""
    import py3langid.langid as langid

    tables, classes = load_tables(languages)
    return langid.LanguageIdentifier(tables["ptc"], tables["pc"], classes, tables["nextmove"], tables["out"],
                                     norm_probs=True, tk_row=tables["row"].tolist())


def word_key(word: str) -> str:
    """A word as the word lists hold it: lower case, composed accents."""
    return unicodedata.normalize("NFC", word.lower())


def _word_tables(languages: Sequence[str]) -> tuple[dict[str, np.ndarray], list[str]]:
    """wordfreq's lists for ``languages`` as (sorted UTF-8 words, Zipf x 100 per word and language)."""
    import math

    from wordfreq import get_frequency_dict

    lists = [get_frequency_dict(code, wordlist=ENGLISH_WORD_LIST if code == "en" else WORD_LIST) for code in languages]
    words = sorted({w for found in lists for w in found if len(w.encode("utf-8")) <= _MAX_WORD_BYTES})
    zipf = np.zeros((len(words), len(languages)), dtype=np.uint16)
    for column, found in enumerate(lists):
        for row, w in enumerate(words):
            frequency = found.get(w)
            if frequency:
                zipf[row, column] = max(0, round((math.log10(frequency) + 9) * 100))
    encoded = np.array([w.encode("utf-8") for w in words], dtype=f"S{_MAX_WORD_BYTES}")
    return {"words": encoded, "zipf": zipf}, list(languages)


class WordFrequencies:
    """``zipf(word) -> {language: Zipf frequency}``: log10 of the word's frequency per billion words, 0 when the
    word is too rare for the list (wordfreq's scale: "the" is about 7.7, a word once per million is 3)."""

    def __init__(self, tables: dict[str, np.ndarray], languages: Sequence[str]) -> None:
        self._words = tables["words"]
        self._zipf = tables["zipf"]
        self.languages = tuple(languages)

    def zipf(self, word: str) -> dict[str, float]:
        key = word_key(word).encode("utf-8")
        # A binary search over the mapped table: about 19 rows read.
        row = bisect.bisect_left(self._words, key)
        if row < len(self._words) and self._words[row] == key:
            return dict(zip(self.languages, (int(v) / 100 for v in self._zipf[row])))
        return dict.fromkeys(self.languages, 0.0)


def load_word_frequencies(languages: Sequence[str]) -> WordFrequencies:
    """wordfreq's lists for ``languages``, memory-mapped from the cache (written on first use)."""
    tables, classes = _cached(cache_dir(languages, "wordfreq"), WORD_TABLES, lambda: _word_tables(languages))
    return WordFrequencies(tables, classes)
