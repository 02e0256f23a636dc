"""Fixtures of the security suite (docs/security.md): a real server (``python app.py``) on
127.0.0.1 with its own Gradio temp dir, feedback log (small rotation size) and server log,
shared by the whole suite; plus a canary file, a secret outside every directory the server
may serve."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.web_fixtures import RunningServer, component_id, event_index, page_config, queue_event, running_server

FEEDBACK_MAX_BYTES = 16 * 1024
FEEDBACK_BACKUPS = 2


@dataclass
class Target:
    """The server under attack and what the attack must not reach."""

    server: RunningServer
    gradio_tmp: Path          # GRADIO_TEMP_DIR: Gradio's file cache
    feedback: Path            # the feedback log
    canary: Path              # a secret file the server must never copy or serve
    canary_text: str

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def port(self) -> int:
        return self.server.port


@pytest.fixture(scope="session")
def target(tmp_path_factory) -> Target:
    tmp = tmp_path_factory.mktemp("security")
    secret_dir = tmp_path_factory.mktemp("secret")
    canary_text = f"canary {secrets.token_hex(16)}"
    canary = secret_dir / "canary.txt"
    canary.write_text(canary_text, encoding="utf-8")
    env = {
        "GRADIO_TEMP_DIR": str(tmp / "gradio"),
        "COLNATO_QA_FEEDBACK": str(tmp / "feedback" / "feedback.jsonl"),
        "COLNATO_QA_FEEDBACK_MAX_BYTES": str(FEEDBACK_MAX_BYTES),
        "COLNATO_QA_FEEDBACK_BACKUPS": str(FEEDBACK_BACKUPS),
    }
    (tmp / "gradio").mkdir()
    with running_server(tmp, env) as server:
        yield Target(server, tmp / "gradio", tmp / "feedback" / "feedback.jsonl", canary, canary_text)


CONFIGURED_HOSTS = "chat.news.example, *.cdn.example, 127.0.0.1"   # 127.0.0.1: the tests' own requests
CONFIGURED_PUBLIC_URL = "https://chat.news.example/qa"


@dataclass
class Configured:
    """A server started with the settings' other values: a Host allow-list, a public URL, and no
    feedback path (so the default one, under ``state_home``)."""

    server: RunningServer
    state_home: Path


@pytest.fixture(scope="session")
def configured(tmp_path_factory) -> Configured:
    tmp = tmp_path_factory.mktemp("configured")
    env = {"COLNATO_QA_ALLOWED_HOSTS": CONFIGURED_HOSTS, "COLNATO_QA_PUBLIC_URL": CONFIGURED_PUBLIC_URL,
           "COLNATO_QA_FEEDBACK": "",
           "XDG_STATE_HOME": str(tmp / "state"), "HOME": str(tmp / "home")}
    with running_server(tmp, env) as server:
        yield Configured(server, tmp / "state")


@dataclass
class Chat:
    """The page's own events, spoken through the queue as the page speaks them."""

    url: str
    box: int
    chatbot: int
    submit_fn: int
    like_fn: int
    client: httpx.Client

    def ask(self, session: str, question: str) -> list[dict]:
        done = queue_event(self.url, session, self.submit_fn, [question, None, None], trigger_id=self.box,
                           client=self.client)
        assert done.get("success"), done
        return done["output"]["data"][0]

    def like(self, session: str, index: int, liked: bool = True, value=None) -> dict:
        event_data = {"index": index, "liked": liked, "value": value}   # as the page sends it
        return queue_event(self.url, session, self.like_fn, [None, None], trigger_id=self.chatbot, event_data=event_data,
                           client=self.client)


@pytest.fixture(scope="session")
def chat(target) -> Chat:
    config = page_config(target.url)
    box = component_id(config, "colnato-question")
    chatbot = component_id(config, "colnato-chat")
    with httpx.Client(timeout=60) as client:
        yield Chat(target.url, box, chatbot, event_index(config, box, "submit"), event_index(config, chatbot, "like"),
                   client)


def new_session() -> str:
    return secrets.token_hex(8)
