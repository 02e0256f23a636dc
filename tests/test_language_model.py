"""The language identifier's tables: cut to the candidate languages, cached once, then memory-mapped."""

from __future__ import annotations

import numpy as np
import pytest

from colnato_qa.components import language_model
from colnato_qa.components.language import CANDIDATES

SAMPLES = [
    "When did the partnership begin?",
    "¿Cuándo empezó la asociación con la alianza?",
    "Quando começou a parceria com a aliança?",
    "Quand le partenariat a-t-il commencé ?",
    "Wann hat die Partnerschaft begonnen?",
    "Quando è iniziata la collaborazione?",
    "Wanneer begon het partnerschap?",
    "ok",
    "",
]


def _mapped(array) -> bool:
    return isinstance(array, np.memmap)


@pytest.fixture()
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path


def _reference():
    import py3langid.langid as langid

    full = langid.LanguageIdentifier.from_modelpath(langid.MODEL_DIR / langid.MODEL_FILE, norm_probs=True)
    full.set_languages(list(CANDIDATES))
    return full


def test_cached_tables_rank_as_py3langid_does(cache_home):
    reference = _reference()
    first = language_model.load_identifier(CANDIDATES)     # cuts and writes the tables
    again = language_model.load_identifier(CANDIDATES)     # maps them
    assert language_model.cache_dir(CANDIDATES).is_relative_to(cache_home)
    assert _mapped(again.tk_nextmove) and _mapped(again.nb_ptc)
    for text in SAMPLES:
        expected = reference.rank(text)
        for got in (first.rank(text), again.rank(text)):
            assert [c for c, _ in got] == [c for c, _ in expected]
            assert np.allclose([p for _, p in got], [p for _, p in expected], atol=1e-6)


def test_an_unwritable_cache_keeps_the_model_in_memory(cache_home, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(language_model, "_write", refuse)
    identifier = language_model.load_identifier(CANDIDATES)
    assert not _mapped(identifier.tk_nextmove)
    assert identifier.rank("Wann hat die Partnerschaft begonnen?")[0][0] == "de"
    assert not language_model.cache_dir(CANDIDATES).exists()


def test_a_damaged_cache_is_written_again(cache_home):
    language_model.load_identifier(CANDIDATES)
    (language_model.cache_dir(CANDIDATES) / "nextmove.npy").write_bytes(b"not an array")
    identifier = language_model.load_identifier(CANDIDATES)
    assert _mapped(identifier.tk_nextmove)
    assert identifier.rank("¿Cuándo empezó la asociación con la alianza?")[0][0] == "es"


def test_unknown_languages_are_named():
    with pytest.raises(ValueError, match="does not know"):
        language_model.load_identifier(("en", "xx"))


@pytest.mark.parametrize("word", ["the", "la", "Rôle", "definition", "Partnerschaft", "qwzx"])
def test_cached_word_frequencies_are_wordfreqs(cache_home, word):
    from wordfreq import zipf_frequency

    first = language_model.load_word_frequencies(CANDIDATES)     # builds and writes the table
    again = language_model.load_word_frequencies(CANDIDATES)     # maps it
    assert language_model.cache_dir(CANDIDATES, "wordfreq").is_relative_to(cache_home)
    assert _mapped(again._words) and _mapped(again._zipf)
    expected = {code: zipf_frequency(word, code, wordlist=language_model.ENGLISH_WORD_LIST if code == "en"
                                     else language_model.WORD_LIST) for code in CANDIDATES}
    assert first.zipf(word) == pytest.approx(expected, abs=0.006) == again.zipf(word)
