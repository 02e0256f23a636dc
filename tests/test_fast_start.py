"""Fast start (issue #19): the API and /healthz answer before Gradio is imported; the chat page
mounts when it is built and answers 503 with Retry-After until then."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest
from fastapi.testclient import TestClient

from colnato_qa.web import server
from colnato_qa.web.chat_mount import STARTING_RETRY_AFTER_S
from tests.web_fixtures import ANSWERABLE, REPO_ROOT, web_engine  # noqa: F401  (web_engine is a fixture)

LOCAL = "http://localhost"


def wait_for(predicate, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_api_answers_while_the_chat_page_is_built_then_the_page_mounts(web_engine, tmp_path, monkeypatch):  # noqa: F811
    release = threading.Event()
    real_build = server.build_chat_app

    def slow_build(*args):
        assert release.wait(60), "the test never released the build"
        return real_build(*args)

    monkeypatch.setattr(server, "build_chat_app", slow_build)
    app = server.create_app(web_engine, allowed_origins=[], feedback_path=tmp_path / "f.jsonl", chat="background")
    with TestClient(app, base_url=LOCAL) as client:
        assert client.get("/healthz").json()["chat"] == "starting"
        page = client.get("/")
        assert page.status_code == 503
        assert page.headers["retry-after"] == str(STARTING_RETRY_AFTER_S)
        assert 'http-equiv="refresh"' in page.text and "starting" in page.text
        config = client.get("/config")
        assert config.status_code == 503 and "starting" in config.json()["detail"]
        assert config.headers["retry-after"] == str(STARTING_RETRY_AFTER_S)
        answer = client.post("/api/ask", json={"question": ANSWERABLE})
        assert answer.status_code == 200 and answer.json()["question"] == ANSWERABLE

        release.set()
        wait_for(lambda: client.get("/healthz").json()["chat"] == "ready")
        page = client.get("/")
        assert page.status_code == 200 and "retry-after" not in page.headers
        assert client.get("/config").status_code == 200


def test_a_chat_page_that_fails_to_build_leaves_the_api_answering(web_engine, tmp_path, monkeypatch):  # noqa: F811
    def broken_build(*args):
        raise RuntimeError("no page today")

    monkeypatch.setattr(server, "build_chat_app", broken_build)
    app = server.create_app(web_engine, allowed_origins=[], feedback_path=tmp_path / "f.jsonl", chat="background")
    with TestClient(app, base_url=LOCAL) as client:
        wait_for(lambda: client.get("/healthz").json()["chat"] == "failed")
        page = client.get("/")
        assert page.status_code == 503 and "server log" in page.json()["detail"]
        assert client.post("/api/ask", json={"question": ANSWERABLE}).status_code == 200


def test_chat_now_mounts_the_page_before_the_app_is_returned(web_engine, tmp_path):  # noqa: F811
    app = server.create_app(web_engine, allowed_origins=[], feedback_path=tmp_path / "f.jsonl")
    assert server.gradio_app(app) is app.state.chat.app
    with pytest.raises(ValueError, match="'now' or 'background'"):
        server.create_app(web_engine, allowed_origins=[], feedback_path=tmp_path / "f.jsonl", chat="later")


SERVE_WITHOUT_GRADIO = """
import json, sys
from fastapi.testclient import TestClient
from colnato_qa.web.server import create_app
app = create_app(chat="background", feedback_path=sys.argv[1])
client = TestClient(app, base_url="http://localhost")
answer = client.post("/api/ask", json={"question": sys.argv[2]})
health = client.get("/healthz")
print(json.dumps({"answer": answer.status_code, "health": health.json(), "chat": client.get("/").status_code,
                  "gradio": sorted(m for m in sys.modules if m.split(".")[0] == "gradio"),
                  "torch": "torch" in sys.modules}))
"""


def test_serving_the_api_imports_neither_gradio_nor_torch(tmp_path):
    # A fresh process: what `colnato-qa serve` creates answers /api/ask and /healthz with Gradio not
    # imported (its lifespan, which builds the page in the background, is not run here).
    proc = subprocess.run([sys.executable, "-c", SERVE_WITHOUT_GRADIO, str(tmp_path / "f.jsonl"), ANSWERABLE],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["answer"] == 200 and out["health"]["status"] == "ok" and out["health"]["chat"] == "starting"
    assert out["chat"] == 503
    assert out["gradio"] == [] and out["torch"] is False


def test_the_cli_imports_no_evaluation_code():
    # `colnato-qa serve` starts through the CLI: the evaluation commands (scikit-learn, ~1 s) load when run.
    code = "import sys, colnato_qa.cli; print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn' " \
           "or m.startswith('colnato_qa.evaluation')))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]"
