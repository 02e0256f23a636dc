"""The installed package answers on its own (issue #19): the sdist and the wheel built from it carry
the article and the config files; installed into a fresh virtual environment, ``colnato-qa ask``
and ``colnato-qa serve`` work from an empty folder and leave nothing in it (the index goes to the
user's cache directory).

The fresh environment gets the package from the wheel only; its dependencies (torch among them,
no network here) are borrowed from the test's own environment through a ``.pth`` line, which puts
that site-packages folder on ``sys.path`` after the new one without running its ``.pth`` files
(so the checkout's editable install is not seen)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import tarfile
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.web_fixtures import REPO_ROOT, free_port

# What the build needs from the checkout (MANIFEST.in and setup.py pick the files from these).
BUILD_INPUTS = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "src", "config", "corpus", "models")
BUNDLED = ("colnato_qa/_bundled/config/colnato_qa.json", "colnato_qa/_bundled/config/answerability.json",
           "colnato_qa/_bundled/config/query_adapter.npz", "colnato_qa/_bundled/config/suggestions.jsonl",
           "colnato_qa/_bundled/corpus/colombia-path-to-nato-partnership.md",
           "colnato_qa/_bundled/models/colnato-minilm-l6-qa/model.safetensors",
           "colnato_qa/_bundled/models/colnato-minilm-l6-qa/training.json",
           "colnato_qa/_bundled/models/colnato-minilm-l6-qa/1_Pooling/config.json",
           "colnato_qa/web/templates/starting.html", "colnato_qa/web/templates/chat.js",
           "colnato_qa/web/templates/chat.css", "colnato_qa/web/templates/chat.html")
BUILD = "from setuptools import build_meta as b; import sys; print(getattr(b, sys.argv[1])(sys.argv[2]))"


def run(args, cwd, env=None, timeout=600) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{args} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("package")
    source, dist = tmp / "source", tmp / "dist"
    source.mkdir()
    for name in BUILD_INPUTS:
        path = REPO_ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(path, source / name)
    sdist = dist / run([sys.executable, "-c", BUILD, "build_sdist", str(dist)], source).stdout.split()[-1]
    with tarfile.open(sdist) as tar:
        tar.extractall(tmp / "unpacked", filter="data")
    unpacked = next((tmp / "unpacked").iterdir())
    wheel = dist / run([sys.executable, "-c", BUILD, "build_wheel", str(dist)], unpacked).stdout.split()[-1]

    venv = tmp / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp)
    python = venv / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", "--no-index",
         str(wheel)], tmp)
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp).stdout.strip())
    borrowed = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "zz-borrowed-dependencies.pth").write_text("\n".join(sorted(borrowed)) + "\n", encoding="utf-8")
    home = tmp / "home"
    home.mkdir()
    return {"sdist": sdist, "wheel": wheel, "venv": venv, "home": home, "tmp": tmp}


def clean_env(home: Path) -> dict[str, str]:
    """No PYTHONPATH, no checkout: a user's shell with its own home."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}


def test_sdist_and_wheel_carry_the_article_and_the_config(installed):
    with tarfile.open(installed["sdist"]) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    assert {"config/colnato_qa.json", "config/answerability.json", "config/query_adapter.npz",
            "config/suggestions.jsonl", "corpus/colombia-path-to-nato-partnership.md", "setup.py"} <= names
    assert not any(name.startswith("corpus/gold/") for name in names)
    with zipfile.ZipFile(installed["wheel"]) as whl:
        assert set(BUNDLED) <= set(whl.namelist())


def test_the_installed_package_answers_from_an_empty_folder_and_leaves_it_empty(installed):
    empty = installed["tmp"] / "empty"
    empty.mkdir()
    env = clean_env(installed["home"])
    where = run([str(installed["venv"] / "bin" / "python"), "-c", "import colnato_qa; print(colnato_qa.__file__)"],
                empty, env).stdout.strip()
    assert where.startswith(str(installed["venv"])), where
    proc = run([str(installed["venv"] / "bin" / "colnato-qa"), "ask", "When was the ITPP signed?"], empty, env)
    assert "2021" in proc.stdout, proc.stdout
    assert "Traceback" not in proc.stderr
    assert list(empty.iterdir()) == []
    manifest = installed["home"] / ".cache" / "colnato-qa" / "index" / "manifest.json"
    assert manifest.is_file()


def test_the_installed_package_serves_from_an_empty_folder(installed):
    empty = installed["tmp"] / "empty-serve"
    empty.mkdir()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = installed["tmp"] / "serve.log"
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen([str(installed["venv"] / "bin" / "colnato-qa"), "serve", "--port", str(port),
                                 "--log-level", "warning"], cwd=empty, env=clean_env(installed["home"]),
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 240
        answered = page = None
        while time.monotonic() < deadline and page != 200:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                if answered is None:
                    r = httpx.post(f"{url}/api/ask", json={"question": "When was the ITPP signed?"}, timeout=30)
                    answered = r.json()["answer"] if r.status_code == 200 else None
                else:
                    page = httpx.get(f"{url}/", timeout=30).status_code
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        assert answered and "2021" in answered
        assert page == 200, log.read_text()[-3000:]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert list(empty.iterdir()) == []
    state = installed["home"] / ".local" / "state" / "colnato-qa"
    assert not state.exists() or all(p.name.startswith("feedback") for p in state.iterdir())
    assert "Traceback" not in log.read_text()
