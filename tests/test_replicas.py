"""Replicas behind nginx (issue #19; deploy/, docs/scaling.md): three ``colnato-qa serve`` processes
on one shared index with nginx in front, started by ``deploy/replicas.py`` and driven like an
operator would. Loopback only; every load is bounded in requests and seconds.

The tests run in order on one set of replicas: the routes of one process; the chat's queue kept on
one replica per browser; a chat conversation going on after its replica is killed; a load of concurrent clients spread over the three; ``kill -9`` of one
replica under load (nginx retries the read-only /api/ask elsewhere: no failed request); its
restart (it serves again); a rolling index update under load (no failed request, one generation
everywhere at the end)."""

from __future__ import annotations

import json
import re
import secrets
import shutil
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.web_fixtures import (
    ANSWERABLE,
    FOLLOW_UP_FIRST,
    FOLLOW_UP_SECOND,
    REPO_ROOT,
    component_id,
    event_index,
    free_port,
    page_config,
    queue_event,
)

pytestmark = pytest.mark.skipif(shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(),
                                reason="needs nginx: apt-get install -y nginx")

SCRIPT = REPO_ROOT / "deploy" / "replicas.py"
REPLICAS = 3
QUESTIONS = [ANSWERABLE, "What is the ITPP?", "Who was Juan Manuel Santos?", "What agreement did Colombia sign in 2013?",
             "What is the capital of France?", "When was the ITPP signed?"]
ACCESS_LINE = re.compile(r'"(?P<method>\S+) (?P<path>\S+) [^"]*" (?P<status>\d+) \d+ upstream=(?P<upstream>.*?) '
                         r'upstream_status=(?P<upstream_status>.*?) rt=\S+ sticky=(?P<sticky>\S*)')


@dataclass
class Deployment:
    run_dir: Path
    url: str
    ports: list[int]

    def cli(self, *args: str, timeout: float = 300) -> dict:
        out = subprocess.run([sys.executable, str(SCRIPT), "--run-dir", str(self.run_dir), *args],
                             capture_output=True, text=True, timeout=timeout)
        assert out.returncode == 0, f"replicas.py {' '.join(args)} failed:\n{out.stderr[-3000:]}"
        return json.loads(out.stdout)

    def status(self) -> dict:
        return self.cli("status")

    def access_mark(self) -> int:
        path = self.run_dir / "nginx-access.log"
        return path.stat().st_size if path.exists() else 0

    def access_since(self, mark: int) -> list[dict[str, str]]:
        with (self.run_dir / "nginx-access.log").open("rb") as log:
            log.seek(mark)
            text = log.read().decode("utf-8", errors="replace")
        return [m.groupdict() for m in map(ACCESS_LINE.search, text.splitlines()) if m]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, session_index_dir, seed_export) -> Deployment:
    tmp = tmp_path_factory.mktemp("replicas")
    index = tmp / "index"
    shutil.copytree(session_index_dir, index)
    seed_export(index)          # the ONNX export the index was built with: no torch export in the replicas
    ports = [free_port() for _ in range(REPLICAS)]
    listen_port = free_port()
    d = Deployment(tmp / "run", f"http://127.0.0.1:{listen_port}", ports)
    d.run_dir.mkdir()
    started = time.perf_counter()
    status = d.cli("up", "--replicas", str(REPLICAS), "--listen", f"127.0.0.1:{listen_port}",
                   "--ports", ",".join(map(str, ports)), "--index", str(index))
    print(f"\n{REPLICAS} replicas and nginx up in {time.perf_counter() - started:.1f} s")
    assert status["nginx"] and all(r["chat"] == "ready" for r in status["replicas"])
    try:
        yield d
    finally:
        subprocess.run([sys.executable, str(SCRIPT), "--run-dir", str(d.run_dir), "down"], timeout=120,
                       capture_output=True)


# -- a bounded load ------------------------------------------------------------------------------
@dataclass
class Load:
    """``clients`` threads asking /api/ask in a closed loop until stopped, at most ``max_requests``
    in all and ``max_seconds`` long. ``failures`` holds every answer that was not a 200 answer."""

    url: str
    clients: int = 6
    max_requests: int = 3000
    max_seconds: float = 90.0
    done: int = 0
    failures: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._client, args=(i,), daemon=True) for i in range(self.clients)]

    def _client(self, number: int) -> None:
        deadline = time.monotonic() + self.max_seconds
        with httpx.Client(timeout=30) as client:
            i = 0
            while not self._stop.is_set() and time.monotonic() < deadline:
                with self._lock:
                    if self.done >= self.max_requests:
                        return
                    self.done += 1
                question = f"{QUESTIONS[(number + i) % len(QUESTIONS)]} ({number}-{i})"
                i += 1
                try:
                    r = client.post(f"{self.url}/api/ask", json={"question": question})
                    if r.status_code != 200 or "answer" not in r.json():
                        with self._lock:
                            self.failures.append(f"{r.status_code} {r.text[:200]}")
                except httpx.HTTPError as exc:
                    with self._lock:
                        self.failures.append(f"{type(exc).__name__}: {exc}")

    def __enter__(self) -> Load:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=60)


def upstream_ports(lines: list[dict[str, str]], path: str) -> Counter:
    """How many answers each replica (port) gave for ``path``: the last upstream of each line."""
    ports: Counter = Counter()
    for line in lines:
        if line["path"] == path and line["status"] == "200":
            ports[int(line["upstream"].split(",")[-1].strip().rsplit(":", 1)[1])] += 1
    return ports


# -- the tests, in order --------------------------------------------------------------------------
def test_nginx_serves_the_routes_of_one_process(deployment):
    url = deployment.url
    answer = httpx.post(f"{url}/api/ask", json={"question": "When was the ITPP signed?"}, timeout=30)
    assert answer.status_code == 200 and "2021" in answer.json()["answer"]
    assert httpx.post(f"{url}/api/ask", json={"question": ""}, timeout=30).status_code == 422
    assert httpx.get(f"{url}/api/ask", timeout=30).status_code == 405
    health = httpx.get(f"{url}/healthz", timeout=30).json()
    assert health["status"] == "ok" and health["chat"] == "ready"
    assert "/api/ask" in httpx.get(f"{url}/openapi.json", timeout=30).json()["paths"]
    for path in ("/", "/config", "/theme.css", "/embed/gradio.js", "/api/embed-check"):
        assert httpx.get(f"{url}{path}", timeout=30).status_code == 200, path
    assert httpx.post(f"{url}/gradio_api/upload", timeout=30).status_code == 403
    assert httpx.get(f"{url}/gradio_api/call/anything", timeout=30).status_code == 404


def chat_ask(url: str, browser: httpx.Client, session: str, question: str, conversation: str) -> dict:
    """Ask ``question`` in the chat as the page does: the question box's submit event, with the
    conversation the browser keeps; returns the reply's text and the conversation to keep."""
    config = page_config(url)
    box = component_id(config, "colnato-question")
    done = queue_event(url, session, event_index(config, box, "submit"), [question, conversation, None],
                       trigger_id=box, client=browser)
    assert done.get("success"), done
    messages, _, kept = done["output"]["data"][:3]
    content = messages[-1]["content"]
    text = content if isinstance(content, str) else "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return {"messages": messages, "reply": text, "conversation": kept}


def test_a_browser_s_chat_queue_stays_on_one_replica(deployment):
    mark = deployment.access_mark()
    cookies = []
    for _ in range(10):         # ten browsers, each with its own cookie jar
        with httpx.Client(timeout=60) as browser:
            assert browser.get(f"{deployment.url}/").status_code == 200
            cookie = browser.cookies.get("colnato_replica")
            assert cookie, "nginx sets the sticky cookie on the page"
            cookies.append(cookie)
            session = secrets.token_hex(6)
            first = chat_ask(deployment.url, browser, session, FOLLOW_UP_FIRST, "[]")
            second = chat_ask(deployment.url, browser, session, FOLLOW_UP_SECOND, first["conversation"])
            assert "Read as:" in second["reply"]
    lines = [line for line in deployment.access_since(mark) if line["path"].startswith("/gradio_api/queue/")]
    by_browser: dict[str, set[str]] = {}
    for line in lines:
        by_browser.setdefault(line["sticky"], set()).add(line["upstream"])
    assert set(by_browser) == set(cookies)
    assert all(len(upstreams) == 1 for upstreams in by_browser.values()), by_browser   # join and stream: one replica
    assert len({next(iter(u)) for u in by_browser.values()}) > 1, "ten browsers all went to one replica"


def test_a_chat_conversation_survives_its_replica_s_death(deployment):
    # The conversation is kept in the browser and sent with each question: when the replica that
    # answered dies, the next question (a follow-up) is answered by another one, in context.
    with httpx.Client(timeout=60) as browser:
        browser.get(f"{deployment.url}/").raise_for_status()
        cookie = browser.cookies["colnato_replica"]
        session = secrets.token_hex(6)
        mark = deployment.access_mark()
        first = chat_ask(deployment.url, browser, session, FOLLOW_UP_FIRST, "[]")
        served = {line["upstream"] for line in deployment.access_since(mark)
                  if line["path"].startswith("/gradio_api/queue/") and line["sticky"] == cookie}
        assert len(served) == 1, served
        port = int(served.pop().rsplit(":", 1)[1])
        victim = next(r for r in deployment.status()["replicas"] if r["port"] == port)
        os.kill(victim["pid"], signal.SIGKILL)
        mark = deployment.access_mark()
        second = chat_ask(deployment.url, browser, session, FOLLOW_UP_SECOND, first["conversation"])
        after = {line["upstream"].split(",")[-1].strip() for line in deployment.access_since(mark)
                 if line["path"].startswith("/gradio_api/queue/") and line["status"] == "200"}
    assert after and f"127.0.0.1:{port}" not in after, after      # another replica answered
    assert len(second["messages"]) == 4                            # both turns, rebuilt there
    assert "Read as:" in second["reply"], second["reply"]           # the follow-up read in context
    assert json.loads(second["conversation"]) == [{"role": "user", "content": FOLLOW_UP_FIRST},
                                                  {"role": "user", "content": FOLLOW_UP_SECOND}]
    assert deployment.cli("restart", str(victim["number"]))["chat"] == "ready"


def test_three_replicas_share_a_load_of_concurrent_clients(deployment):
    mark = deployment.access_mark()
    started = time.perf_counter()
    with Load(deployment.url, clients=8, max_requests=600, max_seconds=60) as load:
        while load.done < load.max_requests and time.perf_counter() - started < 60:
            time.sleep(0.2)
    seconds = time.perf_counter() - started
    served = upstream_ports(deployment.access_since(mark), "/api/ask")
    print(f"\n{load.done} requests from 8 clients in {seconds:.1f} s ({load.done / seconds:.0f}/s): by replica {dict(served)}")
    assert not load.failures, load.failures[:5]
    assert set(served) == set(deployment.ports)


def test_kill_9_of_a_replica_under_load_fails_no_request(deployment):
    victim = deployment.status()["replicas"][1]
    mark = deployment.access_mark()
    with Load(deployment.url, clients=6, max_requests=2000, max_seconds=60) as load:
        time.sleep(3)
        before = load.done
        os.kill(victim["pid"], signal.SIGKILL)
        time.sleep(5)
        after = load.done
    lines = deployment.access_since(mark)
    retried = [line for line in lines if line["path"] == "/api/ask" and "," in line["upstream"]]
    print(f"\n{load.done} requests, {before} before the kill, {after - before} in the 5 s after it; "
          f"{len(retried)} retried on another replica by nginx: {[line['upstream'] for line in retried[:3]]}")
    assert not load.failures, load.failures[:5]
    assert after - before > 0, "no request was answered after the kill"
    status = deployment.status()
    assert not status["replicas"][1]["alive"]
    assert all(r["alive"] for i, r in enumerate(status["replicas"]) if i != 1)


def test_a_restarted_replica_rejoins(deployment):
    victim = deployment.status()["replicas"][1]
    assert not victim["alive"]
    health = deployment.cli("restart", str(victim["number"]))
    assert health["chat"] == "ready"
    mark = deployment.access_mark()
    time.sleep(2.5)             # past nginx's fail_timeout for the replica it saw die
    with Load(deployment.url, clients=6, max_requests=150, max_seconds=60) as load:
        while load.done < load.max_requests:
            time.sleep(0.1)
    served = upstream_ports(deployment.access_since(mark), "/api/ask")
    assert not load.failures, load.failures[:5]
    assert served[victim["port"]] > 0, f"the restarted replica served nothing: {dict(served)}"


def test_a_rolling_index_update_fails_no_request(deployment):
    before = {r["generation"] for r in deployment.status()["replicas"]}
    assert len(before) == 1
    started = time.perf_counter()
    with Load(deployment.url, clients=4, max_requests=20_000, max_seconds=240) as load:
        rolled = deployment.cli("roll", "--rebuild", timeout=400)
    seconds = time.perf_counter() - started
    generations = {r["generation"] for r in deployment.status()["replicas"]}
    print(f"\nrolled to {rolled['generation']} in {seconds:.1f} s under load: {load.done} requests, "
          f"{len(load.failures)} failed")
    assert not load.failures, load.failures[:5]
    assert generations == {rolled["generation"]} and generations != before
    assert httpx.get(f"{deployment.url}/healthz", timeout=30).json()["generation"] == rolled["generation"]
