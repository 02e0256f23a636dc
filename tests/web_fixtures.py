"""Fixtures and helpers shared by the web tests (import them into a test module to use them).

* ``web_engine``: the real ``QAEngine``, loaded once per test session.
* ``running_server(...)``: ``python app.py`` in a subprocess on a free port, ready when
  ``/healthz`` answers with the chat page mounted (``"chat": "ready"``: the API answers
  before); always terminated on exit.
* ``static_server(...)``: a plain ``http.server`` serving a directory on a free port (a
  "third-party" origin for the embedding tests).
* ``chromium()``: Debian's /usr/bin/chromium, headless, driven by Playwright (whose own browser
  downloads are never used); ``CHROMIUM_MISSING`` skips a browser test module without it.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
APP_PY = REPO_ROOT / "app.py"
EXAMPLES_DIR = REPO_ROOT / "examples"
ARTIFACTS_DIR = REPO_ROOT / "tests" / "artifacts"
SERVER_START_TIMEOUT_S = 180.0
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
CHROMIUM_MISSING = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium: apt-get install -y chromium")

ANSWERABLE = "When was it announced that Colombia would become a NATO global partner?"
ANSWERABLE_FRAGMENT = "2017"
OFF_TOPIC = "What is the capital of France?"
FOLLOW_UP_FIRST = "What agreement did Colombia sign in 2013?"
FOLLOW_UP_SECOND = "When was it signed?"
XSS_PAYLOAD = "<img src=x onerror=alert(1)><script>alert(2)</script>"


@pytest.fixture(scope="session")
def web_engine(request):
    """The real engine: the session's shared ``engine`` fixture when conftest.py has one (one
    model load per session), else the project's engine."""
    try:
        return request.getfixturevalue("engine")
    except pytest.FixtureLookupError:
        from colnato_qa.engine import QAEngine

        return QAEngine.load()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RunningServer:
    url: str                 # http://127.0.0.1:PORT (no trailing slash)
    port: int
    process: subprocess.Popen
    log_path: Path
    seconds_to_ready: float

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextlib.contextmanager
def running_server(tmp_dir: Path, env: dict[str, str] | None = None,
                   max_open_files: int | None = None) -> Iterator[RunningServer]:
    """Start ``python app.py --port N`` and wait until ``/healthz`` reports the chat page ready; stop it on exit.
    ``max_open_files`` lowers the server process's file-descriptor limit (RLIMIT_NOFILE)."""
    port = free_port()
    log_path = tmp_dir / f"server-{port}.log"
    child_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    child_env.setdefault("COLNATO_QA_FEEDBACK", str(tmp_dir / "feedback.jsonl"))
    started = time.perf_counter()
    with log_path.open("w", encoding="utf-8") as log_file:
        process = subprocess.Popen(
            [sys.executable, str(APP_PY), "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            cwd=REPO_ROOT, env=child_env, stdout=log_file, stderr=subprocess.STDOUT,
            preexec_fn=None if max_open_files is None else functools.partial(_limit_open_files, max_open_files),
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, log_path)
        yield RunningServer(url, port, process, log_path, time.perf_counter() - started)
    finally:
        _stop(process)


def _limit_open_files(limit: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))


def _wait_ready(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log_path.read_text()[-4000:]}")
        try:
            health = httpx.get(f"{url}/healthz", timeout=2.0)
            if health.status_code == 200 and health.json().get("chat") == "ready":
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"server not ready after {SERVER_START_TIMEOUT_S}s:\n{log_path.read_text()[-4000:]}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 (stdlib signature)
        pass


@contextlib.contextmanager
def static_server(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1:<free port>; yields the origin (http://127.0.0.1:PORT)."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextlib.contextmanager
def chromium():
    """A headless Chromium (Playwright ``Browser``), closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def check_answer_invariant(answer: dict) -> None:
    """When answered, the first citation's text holds the answer at [answer_start, answer_end)."""
    if answer["abstained"]:
        assert answer["answer"] is None
        return
    first = answer["citations"][0]
    assert first["text"][first["answer_start"]:first["answer_end"]] == answer["answer"]


# -- the chat page's queue, spoken as the page speaks it --------------------------------------------
QUEUE_TIMEOUT_S = 60.0


def page_config(url: str) -> dict:
    """The Gradio config of the chat page (components and events)."""
    response = httpx.get(f"{url}/config", timeout=10)
    response.raise_for_status()
    return response.json()


def component_id(config: dict, elem_id: str) -> int:
    return next(c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == elem_id)


def event_index(config: dict, target_id: int, event: str) -> int:
    """fn_index of the event ``event`` of component ``target_id`` (e.g. the question box's submit)."""
    return next(d["id"] for d in config["dependencies"] if [target_id, event] in [list(t) for t in d["targets"]])


def queue_event(url: str, session_hash: str, fn_index: int, data: list, trigger_id: int | None = None,
                event_data: dict | None = None, timeout_s: float = QUEUE_TIMEOUT_S,
                client: httpx.Client | None = None) -> dict:
    """Join the queue like the page does and read the event's stream until it completes;
    returns the ``process_completed`` message (``["output"]["data"]`` holds the outputs).
    ``client``: an open client for ``url`` to reuse (one is made for the call otherwise)."""
    body = {"data": data, "fn_index": fn_index, "session_hash": session_hash}
    if trigger_id is not None:
        body["trigger_id"] = trigger_id
    if event_data is not None:
        body["event_data"] = event_data
    with contextlib.nullcontext(client) if client is not None else httpx.Client(timeout=timeout_s) as client:
        joined = client.post(f"{url}/gradio_api/queue/join", json=body)
        joined.raise_for_status()
        event_id = joined.json()["event_id"]
        deadline = time.monotonic() + timeout_s
        with client.stream("GET", f"{url}/gradio_api/queue/data", params={"session_hash": session_hash}) as stream:
            for line in stream.iter_lines():
                if time.monotonic() > deadline:
                    break
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[len("data:"):])
                if message.get("event_id") == event_id and message.get("msg") == "process_completed":
                    return message
                if message.get("msg") == "unexpected_error":
                    return message
    raise TimeoutError(f"event {event_id} did not complete within {timeout_s} s")
