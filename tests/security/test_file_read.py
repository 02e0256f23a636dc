"""Item 1 of issue 10 (critical): no client-supplied value can make the server copy or serve a file.

Every input position of every event in /config (and the like's event data) gets a file
reference, in every shape Gradio has understood, through the queue (``/gradio_api/queue/join``)
and through every direct route (``/gradio_api/call/*``, ``/run/*``, ``/api/*``). Then: nothing was
copied into GRADIO_TEMP_DIR, and neither the secret nor any cached file can be fetched."""

from __future__ import annotations

import os
from urllib.parse import quote

import httpx
import pytest

from tests.security.conftest import new_session
from tests.security.tools import LogMark, page_events
from tests.web_fixtures import ANSWERABLE_FRAGMENT, queue_event

SYSTEM_FILE = "/etc/hostname" if os.path.exists("/etc/hostname") else "/etc/passwd"


def file_references(path: str) -> list:
    """A file named ``path`` in every shape a Gradio input could take it."""
    file_data = {"path": path, "meta": {"_type": "gradio.FileData"}}
    return [
        file_data,
        {"path": path, "url": f"/gradio_api/file={path}", "orig_name": "x.txt", "size": 10,
         "mime_type": "text/plain", "is_stream": False, "meta": {"_type": "gradio.FileData"}},
        [{"role": "user", "content": [{"type": "file", "file": file_data}]}],           # a chat message
        [{"role": "user", "content": file_data}],
        {"value": file_data, "__type__": "update"},                                       # a prop input
        {"name": path, "data": None, "is_file": True},                                    # Gradio 3's shape
        [[file_data, None]],                                                              # tuples chat
    ]


def cached_files(target) -> list[str]:
    return [os.path.join(root, name) for root, _, names in os.walk(target.gradio_tmp) for name in names]


def holds_secret(target, data: bytes | str) -> bool:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return target.canary_text in text


@pytest.fixture(scope="module")
def http(target):
    with httpx.Client(base_url=target.url, timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def events(target):
    _, found = page_events(target.url)
    assert found, "the page has events"
    return found


def test_every_input_position_of_every_event_refuses_a_file(target, events, http):
    mark = LogMark(target.server)
    attempts, accepted = 0, []
    for event in events:
        for path in (str(target.canary), SYSTEM_FILE):
            for reference in file_references(path):
                positions = list(range(len(event.inputs))) + ["event_data"]
                for position in positions:
                    data = [None] * len(event.inputs)
                    body = {"fn_index": event.fn_index, "trigger_id": event.trigger_id, "session_hash": new_session(),
                            "data": data}
                    if position == "event_data":
                        body["event_data"] = {"index": 1, "value": reference, "liked": True}
                    else:
                        data[position] = reference
                    response = http.post("/gradio_api/queue/join", json=body)
                    attempts += 1
                    if response.status_code == 200:
                        accepted.append((event, position, reference))
                    else:
                        assert response.status_code == 422, response.text
                        assert path not in response.text
    print(f"\n{attempts} file references sent through queue/join; {len(accepted)} accepted")
    assert accepted == []
    assert cached_files(target) == []
    assert mark.tracebacks() == []


DIRECT_ROUTES = ("/gradio_api/call/{}", "/gradio_api/call/v2/{}", "/gradio_api/run/{}", "/gradio_api/api/{}")


def test_no_direct_route_runs_an_event(target, events, http):
    names = {e.api_name for e in events if e.api_name} | {"chat", "predict", "respond", "like", "retry", "clear"}
    refused = 0
    for name in sorted(names):
        for route in DIRECT_ROUTES:
            for reference in file_references(str(target.canary)):
                body = {"data": ["q", reference]} if "v2" not in route else {"question": reference}
                response = http.post(route.format(name), json=body)
                assert response.status_code == 404, (route.format(name), response.status_code, response.text[:200])
                refused += 1
    print(f"\n{refused} direct calls, all 404")
    assert cached_files(target) == []


def test_nothing_can_be_fetched(target, http):
    candidates = [str(target.canary), SYSTEM_FILE, str(target.gradio_tmp), f"{target.gradio_tmp}/x/canary.txt"]
    paths = []
    for path in candidates:
        paths += [f"/gradio_api/file={path}", f"/gradio_api/file={quote(path, safe='')}", f"/file={path}",
                  f"/gradio_api/file/{path.lstrip('/')}", f"/gradio_api/proxy=file://{path}",
                  f"/gradio_api/stream/x/{quote(path, safe='')}/playlist.m3u8"]
    paths += ["/static/../../../../etc/passwd", "/assets/..%2f..%2f..%2fetc%2fpasswd", "/static/%2e%2e/%2e%2e/etc/passwd",
              "/gradio_api/upload", "/gradio_api/component_server", "/gradio_api/mcp/sse", "/monitoring",
              "/gradio_api/vibe-code", "/svelte/../../../etc/passwd"]
    for path in paths:
        for method in ("GET", "POST"):
            response = http.request(method, path)
            assert response.status_code in (403, 404, 405), (method, path, response.status_code)
            assert not holds_secret(target, response.content), path
            assert "root:" not in response.text


def test_uploads_are_refused(target):
    response = httpx.post(f"{target.url}/gradio_api/upload", files={"files": ("a.txt", b"x" * 10)}, timeout=10)
    assert response.status_code == 403
    assert cached_files(target) == []


def test_the_page_event_still_answers(target, chat):
    # The same route with the text the page sends works: the refusals above are about files.
    messages = chat.ask(new_session(), "When was it announced that Colombia would become a NATO global partner?")
    assert ANSWERABLE_FRAGMENT in str(messages[-1]["content"])
    assert cached_files(target) == []


def test_a_path_typed_as_a_question_is_just_text(target, chat):
    messages = chat.ask(new_session(), str(target.canary))
    assert not holds_secret(target, str(messages))
    assert cached_files(target) == []
    # and the event's outputs hold no file reference the page could fetch
    done = queue_event(target.url, new_session(), chat.submit_fn, [SYSTEM_FILE, None, None], trigger_id=chat.box)
    assert "/gradio_api/file=" not in str(done)
