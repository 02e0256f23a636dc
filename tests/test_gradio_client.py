"""The real server (``python app.py``) in a subprocess, driven as the chat page drives it:
Gradio's client finds no API to call, the direct routes are closed, and the page's own event
(the question box's text, through the queue) answers and keeps the conversation per session
on the server."""

from __future__ import annotations

import re
import secrets

import httpx
import pytest
from gradio_client import Client

from tests.web_fixtures import (
    ANSWERABLE,
    ANSWERABLE_FRAGMENT,
    FOLLOW_UP_FIRST,
    FOLLOW_UP_SECOND,
    RunningServer,
    component_id,
    event_index,
    page_config,
    queue_event,
    running_server,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> RunningServer:
    with running_server(tmp_path_factory.mktemp("gradio-client")) as running:
        print(f"\nserver ready in {running.seconds_to_ready:.1f} s (process start to /healthz 200)")
        yield running


@pytest.fixture(scope="module")
def submit(server):
    """ask(session, question) -> the chat messages, through the question box's submit event."""
    config = page_config(server.url)
    box = component_id(config, "colnato-question")
    fn_index = event_index(config, box, "submit")

    def ask(session: str, question: str) -> list[dict]:
        done = queue_event(server.url, session, fn_index, [question, None, None], trigger_id=box)
        assert done.get("success"), done
        return done["output"]["data"][0]

    return ask


def reply_text(message: dict) -> str:
    content = message["content"]
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if isinstance(part, dict))


def test_the_page_event_answers_with_a_citation(submit):
    chat = submit(secrets.token_hex(6), ANSWERABLE)
    assert [m["role"] for m in chat] == ["user", "assistant"]
    reply = reply_text(chat[1])
    assert ANSWERABLE_FRAGMENT in reply
    assert "[1]" in reply and "<mark" in reply and re.search(r"Paragraph \d+", reply)


def test_the_conversation_is_kept_on_the_server_per_session(submit):
    session = secrets.token_hex(6)
    submit(session, FOLLOW_UP_FIRST)
    chat = submit(session, FOLLOW_UP_SECOND)          # the client sends only the question
    assert len(chat) == 4
    assert "Read as:" in reply_text(chat[3])


def test_sessions_do_not_share_a_conversation(submit):
    submit(secrets.token_hex(6), FOLLOW_UP_FIRST)
    chat = submit(secrets.token_hex(6), FOLLOW_UP_SECOND)
    assert "Read as:" not in reply_text(chat[1])


def test_invalid_question_is_answered_not_raised(submit):
    chat = submit(secrets.token_hex(6), "why\x07 ?")
    assert "control characters" in reply_text(chat[1])


def test_gradio_client_finds_no_endpoint(server):
    client = Client(server.url + "/", verbose=False)
    info = client.view_api(print_info=False, return_format="dict")
    assert info["named_endpoints"] == {} and info["unnamed_endpoints"] == {}


@pytest.mark.parametrize("route", ["/gradio_api/api/chat", "/gradio_api/run/chat", "/gradio_api/call/chat",
                                   "/gradio_api/run/predict", "/gradio_api/call/respond"])
def test_direct_routes_are_closed(server, route):
    response = httpx.post(f"{server.url}{route}", json={"data": [ANSWERABLE, None]}, timeout=10)
    assert response.status_code == 404, response.text


def test_server_serves_page_api_and_health_in_one_process(server):
    page = httpx.get(server.url + "/", timeout=10)
    assert page.status_code == 200 and "<gradio-app" in page.text
    assert httpx.get(server.url + "/healthz", timeout=10).json()["status"] == "ok"
    answer = httpx.post(server.url + "/api/ask", json={"question": ANSWERABLE}, timeout=30).json()
    assert ANSWERABLE_FRAGMENT in answer["answer"]
