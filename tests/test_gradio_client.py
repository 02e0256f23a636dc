"""The real server (``python app.py``) in a subprocess, driven through Gradio's own client:
the chat endpoint answers, keeps the conversation per session, and the queue cannot be bypassed."""

from __future__ import annotations

import re

import httpx
import pytest
from gradio_client import Client

from tests.web_fixtures import (
    ANSWERABLE,
    ANSWERABLE_FRAGMENT,
    FOLLOW_UP_FIRST,
    FOLLOW_UP_SECOND,
    RunningServer,
    running_server,
)

CHAT_ENDPOINT = "/chat"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> RunningServer:
    with running_server(tmp_path_factory.mktemp("gradio-client")) as running:
        print(f"\nserver ready in {running.seconds_to_ready:.1f} s (process start to /healthz 200)")
        yield running


def reply_text(message: dict) -> str:
    """The text of a chat message as Gradio's client returns it (string or content parts)."""
    content = message["content"]
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if isinstance(part, dict))


def ask(client: Client, question: str, messages: list | None = None) -> list[dict]:
    result = client.predict(question, messages or [], api_name=CHAT_ENDPOINT)
    chat = result[0] if isinstance(result, (list, tuple)) and result and isinstance(result[0], list) else result
    assert isinstance(chat, list), result
    return chat


def test_chat_endpoint_answers_with_a_citation(server):
    client = Client(server.url + "/", verbose=False)
    chat = ask(client, ANSWERABLE)
    assert [m["role"] for m in chat] == ["user", "assistant"]
    reply = reply_text(chat[1])
    assert ANSWERABLE_FRAGMENT in reply
    assert "[1]" in reply and "<mark" in reply and re.search(r"Paragraph \d+", reply)


def test_chat_endpoint_reads_follow_ups_in_the_session(server):
    client = Client(server.url + "/", verbose=False)
    chat = ask(client, FOLLOW_UP_FIRST)
    chat = ask(client, FOLLOW_UP_SECOND, chat)
    assert len(chat) == 4
    assert "Read as:" in reply_text(chat[3])


def test_sessions_do_not_share_a_conversation(server):
    first = Client(server.url + "/", verbose=False)
    ask(first, FOLLOW_UP_FIRST)
    second = Client(server.url + "/", verbose=False)
    chat = ask(second, FOLLOW_UP_SECOND)
    assert "Read as:" not in reply_text(chat[1])


def test_invalid_question_is_answered_not_raised(server):
    client = Client(server.url + "/", verbose=False)
    chat = ask(client, "why\x07 ?")
    assert "control characters" in reply_text(chat[1])


def test_chat_api_lists_only_the_chat_endpoint(server):
    client = Client(server.url + "/", verbose=False)
    info = client.view_api(print_info=False, return_format="dict")
    assert list(info["named_endpoints"]) == [CHAT_ENDPOINT]


def test_queue_bypass_is_closed(server):
    # queue(api_open=False): the direct REST route refuses queued events.
    response = httpx.post(f"{server.url}/gradio_api/api/chat", json={"data": [ANSWERABLE, []]}, timeout=10)
    assert response.status_code in (404, 405), response.text
    response = httpx.post(f"{server.url}/gradio_api/run/chat", json={"data": [ANSWERABLE, []]}, timeout=10)
    assert response.status_code in (404, 405), response.text


def test_server_serves_page_api_and_health_in_one_process(server):
    page = httpx.get(server.url + "/", timeout=10)
    assert page.status_code == 200 and "<gradio-app" in page.text
    assert httpx.get(server.url + "/healthz", timeout=10).json()["status"] == "ok"
    answer = httpx.post(server.url + "/api/ask", json={"question": ANSWERABLE}, timeout=30).json()
    assert ANSWERABLE_FRAGMENT in answer["answer"]
