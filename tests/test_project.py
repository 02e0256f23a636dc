"""The project as a whole: a clone that stands on its own, a library that leaves the process
environment alone, and the Makefile's index clean-up."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from colnato_qa.offline import OFFLINE_ENVIRONMENT, QUIET_ENVIRONMENT

from .conftest import ROOT

OUTSIDE = re.compile(r"\.\.[/\\]shared\b")   # the development machines' shared folder, beside the clone


def tracked_files() -> list[str]:
    if shutil.which("git") and (ROOT / ".git").exists():
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
        return [f for f in out.decode("utf-8").split("\0") if f]
    pytest.skip("not a git checkout: the tracked files are not known")


def test_no_tracked_file_refers_to_the_shared_folder_outside_the_clone():
    offenders = []
    for name in tracked_files():
        try:
            text = (ROOT / name).read_text(encoding="utf-8", errors="ignore")
        except (IsADirectoryError, FileNotFoundError):
            continue
        offenders += [f"{name}:{n}" for n, line in enumerate(text.splitlines(), 1) if OUTSIDE.search(line)]
    assert not offenders, "files that read outside the repository: " + ", ".join(offenders)


CORE_MODULES = ("colnato_qa", "colnato_qa.engine", "colnato_qa.index_store", "colnato_qa.cli",
                "colnato_qa.evaluation", "colnato_qa.settings", "colnato_qa.web", "colnato_qa.web.api")


def environment_changes(modules: tuple[str, ...]) -> dict:
    """What importing ``modules`` in a fresh interpreter (without the offline variables) changes in os.environ."""
    env = {k: v for k, v in os.environ.items() if k not in OFFLINE_ENVIRONMENT and k not in QUIET_ENVIRONMENT}
    code = (
        "import importlib, json, os, sys\n"
        "before = dict(os.environ)\n"
        "for name in sys.argv[1:]: importlib.import_module(name)\n"
        "print(json.dumps({k: [before.get(k), os.environ.get(k)] for k in set(before) | set(os.environ)"
        " if before.get(k) != os.environ.get(k)}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, *modules], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_the_library_leaves_the_environment_alone():
    """Only the entry points (the CLI, app.py, the tests) set the offline environment (offline.py)."""
    assert environment_changes(CORE_MODULES) == {}


@pytest.mark.slow
def test_importing_the_web_server_leaves_the_environment_alone():
    assert environment_changes(("colnato_qa.web.server",)) == {}


def test_the_cli_sets_the_offline_environment(monkeypatch):
    from click.testing import CliRunner

    from colnato_qa.cli import main

    for name in OFFLINE_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    assert CliRunner().invoke(main, ["ask", "--help"]).exit_code == 0
    assert all(os.environ.get(k) == v for k, v in OFFLINE_ENVIRONMENT.items())


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_clean_index_removes_generations_and_manifest(tmp_path):
    index = tmp_path / "index"
    for d in ("g-1234abcd-x1", "g-5678efgh-y2", ".tmp-g-9-z3"):
        (index / d / "bm25").mkdir(parents=True)
        (index / d / "passages.jsonl").write_text("{}\n", encoding="utf-8")
    (index / "manifest.json").write_text("{}", encoding="utf-8")
    (index / ".build.lock").write_text("", encoding="utf-8")
    (index / "README.md").write_text("kept", encoding="utf-8")
    out = subprocess.run(["make", "-s", "clean-index", f"INDEX={index}"], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in index.iterdir()) == ["README.md"]


def make_plan(target: str) -> str:
    """The commands ``make TARGET`` would run from scratch (``-n -B``: printed, none run)."""
    out = subprocess.run(["make", "-n", "-B", target], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_installs_only_what_serving_needs():
    # A machine without npm (or the test tools) can start the chatbot: `make run` sets up the package
    # and builds the index; npm and the test and bench extras come with `make test`.
    run = make_plan("run")
    assert "pip install --quiet -e ." in run and "colnato-qa serve" in run
    assert "npm" not in run and "[test" not in run and "bench]" not in run
    test = make_plan("test")
    assert "npm ci" in test and "-e '.[test,bench]'" in test and "pytest" in test


def test_make_eval_reports_the_article_worded_and_the_natural_test_sets():
    from colnato_qa.evaluation.gold import read_gold_sets

    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    specs = re.search(r"^EVAL_GOLD \?= (.+)$", makefile, re.M).group(1).split()
    assert "corpus/gold/colnato_gold.jsonl:test" in specs and "corpus/gold/natural/test.jsonl" in specs
    recipe = makefile[makefile.index("\neval: "):makefile.index("\neval-baseline:")]
    assert "$(EVAL_GOLD)" in recipe and "--out" in recipe
    for gold_set in read_gold_sets([str(ROOT / s) for s in specs]):
        assert gold_set.items and {it.split for it in gold_set.items} == {"test"}


def test_the_docs_name_no_removed_class():
    for doc in ("ARCHITECTURE.md", "scaling.md"):
        text = (ROOT / "docs" / doc).read_text(encoding="utf-8")
        assert "Embedder" not in text and "Retriever(Protocol)" not in text and "`Retriever`" not in text, doc


def test_the_encoders_do_not_import_each_other():
    """onnx.py uses onnx_export.py; onnx_export.py (and onnx_runtime.py) never import onnx.py."""
    import ast

    enc = ROOT / "src" / "colnato_qa" / "encoders"

    def imports(name):
        tree = ast.parse((enc / f"{name}.py").read_text(encoding="utf-8"))
        return {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 1}

    assert "onnx_export" in imports("onnx")
    assert "onnx" not in imports("onnx_export") and "onnx" not in imports("onnx_runtime")
    assert "onnx_export" not in imports("onnx_runtime")


def test_english_word_lists_live_in_the_lexicon_and_no_private_name_is_imported():
    """The function words, prepositions and kind labels are public names of lexicon.py; no module of the
    package imports another module's private (underscore) name."""
    import ast

    from colnato_qa import lexicon

    assert {"a", "the", "article"} <= lexicon.STOPWORDS and {"what", "thing"} <= lexicon.FUNCTION_WORDS
    assert "beneath" in lexicon.PREPOSITIONS and "toward" in lexicon.QUESTION_PREPOSITIONS
    assert lexicon.KIND_LABELS["year"] == {"DATE", "TIME"} and "ORDINAL" in lexicon.SPAN_KIND_LABELS["number"]
    package = ROOT / "src" / "colnato_qa"
    offenders = []
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("colnato_qa")):
                offenders += [f"{path.relative_to(package)}: {a.name}" for a in node.names
                              if a.name.startswith("_") and not a.name.startswith("__")]
            if isinstance(node, ast.Assign) and path.name != "lexicon.py":
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
                if any(n in ("STOPWORDS", "FUNCTION_WORDS", "_FUNCTION_WORDS", "KIND_LABELS", "_PREPOSITIONS_SET")
                       for n in names):
                    offenders.append(f"{path.relative_to(package)}: defines {names}")
    assert offenders == []
