"""Items 6 and 7 of issue 10: hand-edited manifests mean "rebuild", never a crash; ``build`` does
not claim a success it did not have; killed builds' temp files go away; and the API's error
messages say what is actually wrong."""

from __future__ import annotations

import errno
import gzip
import json
import logging
import os
import subprocess
import sys

import httpx
import pytest
from click.testing import CliRunner

from colnato_qa import index_store
from colnato_qa.cli import main as cli
from colnato_qa.engine import QAEngine
from tests.test_index_faults import CORPUS_DIR, check_answers_from, fast_embedder, live_generation  # noqa: F401
from tests.web_fixtures import REPO_ROOT


def edit_manifest(index_dir, change) -> None:
    path = index_dir / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    change(manifest)
    path.write_text(json.dumps(manifest), encoding="utf-8")


def truncate_half(path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def set_file(name, value):
    return lambda m: m["files"].__setitem__(name, value)


# The three manifests, and their neighbours.
EDITS = {
    "vectors entry is a string": (set_file("vectors.npz", "x"), None),
    "no files, vectors truncated": (lambda m: m.__setitem__("files", {}),
                                    lambda gen: truncate_half(gen / "vectors.npz")),
    "no files, a list appended to passages": (lambda m: m.__setitem__("files", {}),
                                              lambda gen: (gen / "passages.jsonl").open("a").write("[1,2,3]\n")),
    "files is a list": (lambda m: m.__setitem__("files", ["passages.faiss"]), None),
    "bytes is text": (lambda m: m["files"]["passages.faiss"].__setitem__("bytes", "many"), None),
    "generation escapes the directory": (lambda m: m.__setitem__("generation", "../../etc"), None),
    "file name escapes the generation": (lambda m: m["files"].__setitem__("../../manifest.json",
                                                                         m["files"]["vectors.npz"]), None),
    "counts are text": (lambda m: m.__setitem__("counts", {"passages": "21"}), None),
    "no format version": (lambda m: m.pop("format_version"), None),
}


@pytest.mark.parametrize("edit", list(EDITS), ids=list(EDITS))
def test_a_hand_edited_manifest_is_rebuilt(caplog, index_copy, fast_embedder, edit):  # noqa: F811
    change_manifest, damage = EDITS[edit]
    generation = live_generation(index_copy)
    if damage:
        damage(generation)
    edit_manifest(index_copy, change_manifest)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="colnato_qa"):
        engine = QAEngine.load(CORPUS_DIR, index_copy, embedder=fast_embedder)
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("rebuilding" in w for w in warned), warned
    check_answers_from(engine, {d.doc_id: d for d in engine.documents})
    index_store.validate_manifest(json.loads((index_copy / "manifest.json").read_text(encoding="utf-8")))
    again = QAEngine.load(CORPUS_DIR, index_copy, embedder=fast_embedder)       # the repaired index is used
    assert again.manifest["generation"] == engine.manifest["generation"]


@pytest.mark.slow
def test_ask_after_a_hand_edited_manifest_answers(index_copy):
    edit_manifest(index_copy, set_file("vectors.npz", "x"))
    done = subprocess.run([sys.executable, "-c", "from colnato_qa.cli import main; main()", "ask",
                           "Who wrote the article?", "--index", str(index_copy)], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "Ferdinand Miracle" in done.stdout
    assert "rebuilding" in done.stderr
    index_store.validate_manifest(json.loads((index_copy / "manifest.json").read_text(encoding="utf-8")))


# -- build on a directory it cannot write -------------------------------------------------------------
class _ReadOnlyLock:
    def acquire(self, *a, **k):
        raise OSError(errno.EROFS, "Read-only file system")

    def release(self, *a, **k):  # pragma: no cover - never acquired
        pass


def _read_only_save(*a, **k):
    raise OSError(errno.EROFS, "Read-only file system")


@pytest.mark.parametrize("how", ["lock", "save"])
def test_build_force_on_a_read_only_index_fails_and_says_so(index_copy, monkeypatch, fast_embedder, how):  # noqa: F811
    before = {p: p.read_bytes() for p in index_copy.rglob("*") if p.is_file()}
    if how == "lock":
        monkeypatch.setattr(index_store, "build_lock", lambda *a, **k: _ReadOnlyLock())
    else:
        monkeypatch.setattr(index_store, "save", _read_only_save)
    monkeypatch.setattr("colnato_qa.engine.make_encoder", lambda *a, **k: fast_embedder)
    result = CliRunner().invoke(cli, ["build", "--force", "--corpus", str(CORPUS_DIR), "--index", str(index_copy)])
    assert result.exit_code == 1, result.output
    assert "could not be written" in result.output and "built 20" not in result.output
    assert "Traceback" not in result.output
    assert {p: p.read_bytes() for p in index_copy.rglob("*") if p.is_file()} == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_build_force_on_a_chmod_read_only_directory(index_copy, monkeypatch, fast_embedder):  # noqa: F811
    monkeypatch.setattr("colnato_qa.engine.make_encoder", lambda *a, **k: fast_embedder)
    os.chmod(index_copy, 0o555)
    try:
        result = CliRunner().invoke(cli, ["build", "--force", "--corpus", str(CORPUS_DIR), "--index", str(index_copy)])
    finally:
        os.chmod(index_copy, 0o755)
    assert result.exit_code == 1 and "could not be written" in result.output


def test_a_killed_builds_manifest_temp_files_are_removed(index_copy, fast_embedder):  # noqa: F811
    for suffix in ("abc123", "k1ll3d"):
        (index_copy / f".manifest.json.{suffix}").write_text("{", encoding="utf-8")
    QAEngine.build(CORPUS_DIR, index_copy, force=True, embedder=fast_embedder)
    assert sorted(p.name for p in index_copy.glob(".manifest.json.*")) == []


# -- the API's messages, from the running server ----------------------------------------------------------
def post(target, body: bytes, **headers) -> httpx.Response:
    return httpx.post(f"{target.url}/api/ask", content=body, headers=headers, timeout=10)


def test_a_json_body_sent_as_text_plain_is_told_about_the_content_type(target):
    response = post(target, b'{"question": "Who wrote the article?"}', **{"Content-Type": "text/plain"})
    assert response.status_code == 422
    assert "Content-Type: application/json" in response.json()["detail"] and "text/plain" in response.json()["detail"]


def test_a_gzip_body_is_told_it_is_compressed(target):
    body = gzip.compress(b'{"question": "Who wrote the article?"}')
    response = post(target, body, **{"Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert response.status_code == 415 and "compressed" in response.json()["detail"].lower()
    response = post(target, body, **{"Content-Type": "application/json"})       # no header: the bytes say it
    assert response.status_code == 422 and "gzip" in response.json()["detail"]


@pytest.mark.parametrize("body", [b"[" * 30_000, b'{"question": ' + b"[" * 20_000 + b"]" * 20_000 + b"}"])
def test_deep_nesting_is_a_422_as_documented(target, body):
    response = post(target, body, **{"Content-Type": "application/json"})
    assert response.status_code == 422
    assert "nested too deeply" in response.json()["detail"]
