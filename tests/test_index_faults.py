"""Fault tests of the index store: damaged, stale, unwritable, concurrently built, half-written.

Every test works on private copies (``index_copy``, ``corpus_copy``) of the session index and
corpus, so the tests are independent of each other and of their order.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from colnato_qa import index_store
from colnato_qa.engine import QAEngine
from colnato_qa.errors import CorpusError, IndexStoreError

ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = ROOT / "corpus"
QUESTION = "When was the Individually Tailored Partnership Programme signed?"


# -- helpers ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fast_embedder(embedder):
    """The session's embedder, remembering every vector it computed.

    Rebuilding after damage re-embeds the whole corpus (the damaged index cannot lend its
    vectors); with the memo that costs milliseconds instead of seconds, and the vectors are
    the real model's all the same (same model, name and fingerprint, so no index notices).
    """
    import numpy as np

    class MemoEmbedder(type(embedder)):
        def __init__(self, base):
            self.__dict__.update(base.__dict__)
            self._memo: dict[str, np.ndarray] = {}

        def encode(self, texts, batch_size=None):
            missing = [t for t in dict.fromkeys(texts) if t not in self._memo]
            if missing:
                self._memo.update(zip(missing, super().encode(missing, batch_size=batch_size)))
            if not texts:
                return super().encode(texts)
            return np.stack([self._memo[t] for t in texts]).astype(np.float32, copy=False)

    return MemoEmbedder(embedder)


def live_generation(index_dir: Path) -> Path:
    manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
    return index_dir / manifest["generation"]


def warnings_of(caplog) -> list[logging.LogRecord]:
    """The warnings about the index (not the query adapter's, which warns for another encoder)."""
    return [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("colnato_qa")
            and not r.name.endswith("query_adapter")]


def check_answer(answer) -> None:
    """The invariants every answer keeps."""
    assert 0.0 <= answer.confidence <= 1.0
    if not answer.abstained:
        first = answer.citations[0]
        span = first.answer_span
        assert first.passage.text[span.start:span.end] == answer.answer


def check_answers_from(engine, documents_by_id) -> None:
    """Every cited passage's text is exactly the slice of the document it claims to come from."""
    answer = engine.ask(QUESTION)
    check_answer(answer)
    for c in answer.citations:
        doc = documents_by_id[c.passage.doc_id]
        assert doc.text[c.passage.span.start:c.passage.span.end] == c.passage.text


def flip_bytes(path: Path, where: float = 0.5, count: int = 8) -> None:
    data = bytearray(path.read_bytes())
    at = min(max(int(len(data) * where), 0), max(len(data) - count, 0))
    for i in range(at, min(at + count, len(data))):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def load_logged(caplog, corpus_dir: Path, index_dir: Path, embedder, **kwargs) -> QAEngine:
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="colnato_qa"):
        return QAEngine.load(corpus_dir, index_dir, embedder=embedder, **kwargs)


# -- damaged files ------------------------------------------------------------------------------
def test_intact_copy_loads_without_rebuild(caplog, index_copy, fast_embedder):
    before = json.loads((index_copy / "manifest.json").read_text(encoding="utf-8"))
    engine = load_logged(caplog, CORPUS_DIR, index_copy, fast_embedder)
    assert warnings_of(caplog) == []
    assert engine.manifest["generation"] == before["generation"]
    assert engine.manifest["built_at"] == before["built_at"]


def test_truncated_faiss_file_is_rebuilt(caplog, index_copy, fast_embedder):
    faiss_file = live_generation(index_copy) / "passages.faiss"
    old_generation = faiss_file.parent.name
    faiss_file.write_bytes(faiss_file.read_bytes()[: faiss_file.stat().st_size // 3])

    engine = load_logged(caplog, CORPUS_DIR, index_copy, fast_embedder)

    warned = warnings_of(caplog)
    assert len(warned) == 1, [r.getMessage() for r in warned]
    assert "passages.faiss" in warned[0].getMessage() and "rebuilding" in warned[0].getMessage()
    assert engine.manifest["generation"] != old_generation
    check_answers_from(engine, {d.doc_id: d for d in engine.documents})
    # The repaired index is on disk: the next load uses it as it is.
    again = load_logged(caplog, CORPUS_DIR, index_copy, fast_embedder)
    assert warnings_of(caplog) == []
    assert again.manifest["generation"] == engine.manifest["generation"]
    assert not (index_copy / old_generation).exists()


@pytest.mark.parametrize("name", ["passages.faiss", "passages.jsonl", "vectors.npz", "bm25/params.index.json"])
def test_flipped_bytes_are_detected_and_rebuilt(caplog, index_copy, fast_embedder, name):
    target = live_generation(index_copy) / name
    if not target.exists():
        pytest.skip(f"{name} is not part of this index layout")
    size = target.stat().st_size
    flip_bytes(target)
    assert target.stat().st_size == size  # same size: only the checksum can tell

    engine = load_logged(caplog, CORPUS_DIR, index_copy, fast_embedder)

    warned = warnings_of(caplog)
    assert len(warned) == 1, [r.getMessage() for r in warned]
    assert "corrupted" in warned[0].getMessage()
    check_answers_from(engine, {d.doc_id: d for d in engine.documents})
    assert index_store.load(index_copy, {}).manifest["generation"] == engine.manifest["generation"]


def test_unreadable_manifest_is_rebuilt(caplog, index_copy, fast_embedder):
    (index_copy / "manifest.json").write_text("{ not json", encoding="utf-8")
    engine = load_logged(caplog, CORPUS_DIR, index_copy, fast_embedder)
    warned = warnings_of(caplog)
    assert len(warned) == 1 and "manifest unreadable" in warned[0].getMessage()
    check_answers_from(engine, {d.doc_id: d for d in engine.documents})


def test_missing_generation_directory_is_rebuilt(caplog, index_copy, fast_embedder):
    import shutil

    shutil.rmtree(live_generation(index_copy))
    engine = load_logged(caplog, CORPUS_DIR, index_copy, fast_embedder)
    assert len(warnings_of(caplog)) == 1
    check_answers_from(engine, {d.doc_id: d for d in engine.documents})


@pytest.mark.parametrize("field, value", [("model", "some-other-model"), ("model_fingerprint", "0123456789abcdef"),
                                          ("encoder", {"backend": "another"})])
def test_index_of_another_model_is_rebuilt(caplog, index_copy, fast_embedder, field, value):
    path = index_copy / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest[field] = value
    path.write_text(json.dumps(manifest), encoding="utf-8")

    engine = load_logged(caplog, CORPUS_DIR, index_copy, fast_embedder)

    warned = warnings_of(caplog)
    assert len(warned) == 1 and field in warned[0].getMessage()
    assert engine.manifest["model"] == fast_embedder.model_name
    assert engine.manifest["model_fingerprint"] == fast_embedder.fingerprint()
    # Vectors of another model are never reused: everything was embedded again.
    counts = engine.manifest["counts"]
    assert counts["embedded_now"] >= counts["searchable_passages"] + counts["sentences"]
    check_answers_from(engine, {d.doc_id: d for d in engine.documents})


# -- corpus changes -----------------------------------------------------------------------------
def the_document(corpus_dir: Path) -> Path:
    return sorted(corpus_dir.glob("*.md"))[0]


def test_a_changed_corpus_byte_rebuilds_on_load(caplog, corpus_copy, index_copy, fast_embedder):
    engine = load_logged(caplog, corpus_copy, index_copy, fast_embedder)  # same text, other path: no rebuild
    assert warnings_of(caplog) == []
    old_hash = engine.manifest["corpus_hash"]

    doc = the_document(corpus_copy)
    text = doc.read_text(encoding="utf-8")
    assert "signed in 2021" in text
    doc.write_text(text.replace("signed in 2021", "signed in 2022", 1), encoding="utf-8")

    engine = load_logged(caplog, corpus_copy, index_copy, fast_embedder)
    warned = warnings_of(caplog)
    assert len(warned) == 1 and "corpus_hash" in warned[0].getMessage()
    assert engine.manifest["corpus_hash"] != old_hash
    assert not engine.fitted_artefacts["query_adapter"], "an adapter for another corpus is set aside"
    # Only the texts around the change were embedded again (the paragraph, the sentence and the
    # sentence windows that hold it), the rest reused from the old index.
    counts = engine.manifest["counts"]
    assert 0 < counts["embedded_now"] <= 6 < counts["sentences"]
    answer = engine.ask(QUESTION)
    check_answer(answer)
    assert all("signed in 2021" not in c.passage.text for c in answer.citations)
    assert any("signed in 2022" in c.passage.text for c in answer.citations)


def test_reload_if_changed_swaps_atomically_under_load(corpus_copy, index_copy, fast_embedder):
    from colnato_qa.corpus import load_corpus

    engine = QAEngine.load(corpus_copy, index_copy, embedder=fast_embedder)
    assert engine.reload_if_changed() is False  # nothing changed yet

    old_docs = {d.doc_id: d for d in load_corpus(corpus_copy)}
    doc = the_document(corpus_copy)
    text = doc.read_text(encoding="utf-8")
    # A new first paragraph: every passage's offsets and numbers shift, so a citation mixing
    # the old and the new snapshot could not match either document.
    marker = "The announcement in 2017"
    new_text = text.replace(marker, "A new opening paragraph, added while the engine runs.\n\n" + marker, 1)
    assert new_text != text

    questions = [QUESTION, "When was it announced that Colombia would become a NATO global partner?",
                 "Who led the official push for NATO collaboration?", "What is the ITPP?"]
    results: list[tuple[str, object]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def asker(offset: int) -> None:
        i = offset
        try:
            while not stop.is_set():
                results.append(("ask", engine.ask(questions[i % len(questions)])))
                i += 1
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=asker, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    doc.write_text(new_text, encoding="utf-8")
    swapped = engine.reload_if_changed()
    time.sleep(0.3)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    assert swapped is True

    new_docs = {d.doc_id: d for d in load_corpus(corpus_copy)}
    seen = {"old": 0, "new": 0}
    for _, answer in results:
        check_answer(answer)
        matches = []
        for name, docs in (("old", old_docs), ("new", new_docs)):
            if all(docs[c.passage.doc_id].text[c.passage.span.start:c.passage.span.end] == c.passage.text
                   for c in answer.citations):
                matches.append(name)
        assert matches, f"answer mixes snapshots: {answer}"
        seen[matches[0]] += 1
    assert seen["old"] > 0
    # After the swap (and despite the answer cache) answers come from the new snapshot.
    after = engine.ask(QUESTION)
    assert all(new_docs[c.passage.doc_id].text[c.passage.span.start:c.passage.span.end] == c.passage.text
               for c in after.citations)
    assert not all(old_docs[c.passage.doc_id].text[c.passage.span.start:c.passage.span.end] == c.passage.text
                   for c in after.citations)
    assert engine.reload_if_changed() is False  # the new corpus is now the loaded one


# -- unwritable index directory -----------------------------------------------------------------
class _FailingLock:
    def acquire(self, *a, **k):
        raise OSError(errno.EROFS, "Read-only file system")

    def release(self, *a, **k):  # pragma: no cover - never acquired
        pass


def test_unwritable_index_dir_builds_in_memory(caplog, tmp_path, monkeypatch, fast_embedder):
    index_dir = tmp_path / "ro-index"
    index_dir.mkdir()
    monkeypatch.setattr(index_store, "build_lock", lambda *a, **k: _FailingLock())
    monkeypatch.setattr(index_store, "save", lambda *a, **k: pytest.fail("save must not be called"))

    engine = load_logged(caplog, CORPUS_DIR, index_dir, fast_embedder)

    warned = warnings_of(caplog)
    assert len(warned) == 1 and "not writable" in warned[0].getMessage()
    assert "Read-only file system" in warned[0].getMessage()
    check_answers_from(engine, {d.doc_id: d for d in engine.documents})
    assert list(index_dir.iterdir()) == []


def test_uncreatable_index_dir_builds_in_memory(caplog, tmp_path, monkeypatch, fast_embedder):
    index_dir = tmp_path / "missing" / "index"
    real_mkdir = Path.mkdir

    def mkdir(self, *a, **k):
        if self == index_dir:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_mkdir(self, *a, **k)

    monkeypatch.setattr(Path, "mkdir", mkdir)
    engine = load_logged(caplog, CORPUS_DIR, index_dir, fast_embedder)
    warned = warnings_of(caplog)
    assert len(warned) == 1 and "not writable" in warned[0].getMessage()
    check_answers_from(engine, {d.doc_id: d for d in engine.documents})
    assert not index_dir.exists()


def test_failing_save_keeps_the_index_in_memory(caplog, corpus_copy, index_copy, monkeypatch, fast_embedder):
    before = (index_copy / "manifest.json").read_bytes()
    doc = the_document(corpus_copy)
    doc.write_text(doc.read_text(encoding="utf-8").replace("signed in 2021", "signed in 2020", 1), encoding="utf-8")

    def save(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(index_store, "save", save)
    engine = load_logged(caplog, corpus_copy, index_copy, fast_embedder)
    messages = [r.getMessage() for r in warnings_of(caplog)]
    assert len(messages) == 2, messages  # the stale index, then the failed write
    assert "corpus_hash" in messages[0] and "cannot write" in messages[1]
    check_answers_from(engine, {d.doc_id: d for d in engine.documents})
    assert (index_copy / "manifest.json").read_bytes() == before  # the old index left as it was


# -- concurrent and killed builds ---------------------------------------------------------------
BUILD_SCRIPT = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from colnato_qa import index_store
    from colnato_qa.engine import QAEngine

    corpus_dir, index_dir, marker = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    hang = os.environ.get("HANG_IN_SAVE")

    def hang_here():
        Path(marker).write_text("ready")
        time.sleep(120)

    if hang == "after-temp-files":        # every file of the new generation written, not yet renamed
        real_table = index_store._file_table
        def _file_table(gen_dir):
            table = real_table(gen_dir)
            hang_here()
            return table
        index_store._file_table = _file_table
    elif hang == "before-manifest":       # generation renamed into place, manifest not yet switched
        real_write = index_store.write_text_atomic
        def write_text_atomic(path, text):
            hang_here()
            return real_write(path, text)
        index_store.write_text_atomic = write_text_atomic

    engine = QAEngine.build(corpus_dir, index_dir, force=bool(hang))
    print("generation", engine.manifest["generation"], flush=True)
""")


def run_build(tmp_path: Path, corpus_dir: Path, index_dir: Path, hang: str | None = None, tag: str = "b"):
    script = tmp_path / "build_script.py"
    script.write_text(BUILD_SCRIPT, encoding="utf-8")
    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", OMP_NUM_THREADS="1")
    env.pop("HANG_IN_SAVE", None)
    if hang:
        env["HANG_IN_SAVE"] = hang
    marker = tmp_path / f"marker-{tag}"
    proc = subprocess.Popen([sys.executable, str(script), str(corpus_dir), str(index_dir), str(marker)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    return proc, marker


@pytest.mark.slow
def test_two_processes_building_at_once(tmp_path, fast_embedder, seed_export):
    index_dir = tmp_path / "fresh-index"
    seed_export(index_dir)
    procs = [run_build(tmp_path, CORPUS_DIR, index_dir, tag=str(n))[0] for n in range(2)]
    outs = [p.communicate(timeout=240) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-2000:]
        assert "Traceback" not in err
    generations = {out.split()[-1] for out, _ in outs}
    assert len(generations) == 1  # the second waited for the lock and loaded the first one's index

    manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["generation"] in generations
    children = sorted(p.name for p in index_dir.iterdir())
    assert not [c for c in children if c.startswith(".tmp") or (c.startswith(".manifest"))], children
    assert [c for c in children if c.startswith("g-")] == [manifest["generation"]]
    data = index_store.load(index_dir, {"corpus_hash": manifest["corpus_hash"]})  # checksums verified
    assert data.faiss_index.ntotal == len(data.searchable)
    engine = QAEngine.load(CORPUS_DIR, index_dir, embedder=fast_embedder)
    assert engine.manifest["generation"] == manifest["generation"]
    check_answers_from(engine, {d.doc_id: d for d in engine.documents})


@pytest.mark.slow
@pytest.mark.parametrize("hang", ["after-temp-files", "before-manifest"])
def test_build_killed_mid_save_leaves_the_old_index(caplog, tmp_path, index_copy, fast_embedder, seed_export, hang):
    seed_export(index_copy)
    before = (index_copy / "manifest.json").read_bytes()
    old_generation = json.loads(before)["generation"]
    proc, marker = run_build(tmp_path, CORPUS_DIR, index_copy, hang=hang)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None, proc.communicate()[1][-2000:]
            assert time.monotonic() < deadline, "the build never reached the save"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:  # pragma: no cover
            proc.kill()
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL

    assert (index_copy / "manifest.json").read_bytes() == before
    leftovers = [p.name for p in index_copy.iterdir() if p.is_dir() and "g-" in p.name and p.name != old_generation]
    assert len(leftovers) == 1  # the half-finished generation, never pointed at

    engine = load_logged(caplog, CORPUS_DIR, index_copy, fast_embedder)
    assert warnings_of(caplog) == []                     # loaded, not rebuilt
    assert engine.manifest["generation"] == old_generation
    check_answers_from(engine, {d.doc_id: d for d in engine.documents})


# -- bad paths ----------------------------------------------------------------------------------
def test_index_path_that_is_a_file(tmp_path, fast_embedder):
    not_a_dir = tmp_path / "index"
    not_a_dir.write_text("I am a file", encoding="utf-8")
    with pytest.raises(IndexStoreError, match="not a directory"):
        QAEngine.load(CORPUS_DIR, not_a_dir, embedder=fast_embedder)


def test_missing_corpus_dir(tmp_path, fast_embedder):
    with pytest.raises(CorpusError, match="does not exist"):
        QAEngine.load(tmp_path / "no-such-corpus", tmp_path / "index", embedder=fast_embedder)
    assert not (tmp_path / "index").exists()


def test_empty_corpus_dir(tmp_path, fast_embedder):
    empty = tmp_path / "corpus"
    empty.mkdir()
    (empty / "notes.json").write_text("{}", encoding="utf-8")
    with pytest.raises(CorpusError, match="holds no documents"):
        QAEngine.load(empty, tmp_path / "index", embedder=fast_embedder)


def test_corpus_document_without_paragraphs(tmp_path, fast_embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "empty.md").write_text("# Just a title\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="no paragraphs"):
        QAEngine.load(corpus, tmp_path / "index", embedder=fast_embedder)
