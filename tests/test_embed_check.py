"""``GET /api/embed-check`` (issue 9, item 8): a page on another origin learns whether its origin
is allowed and, if not, the fix; the answer is readable from any origin, tells nothing but the
verdict on the caller's own origin, and opens CORS for nothing else. In process (TestClient)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from colnato_qa.web.embed import EMBED_CHECK_PATH, embed_check
from colnato_qa.web.security import ALLOWED_ORIGINS_ENV
from colnato_qa.web.server import create_app
from tests.web_fixtures import web_engine  # noqa: F401  (a fixture)

ALLOWED = "https://news.example"
OTHER_ALLOWED = "https://secret-partner.example"
DENIED = "http://127.0.0.1:8001"
LOCAL = "http://localhost"


@pytest.fixture(scope="module")
def client(web_engine, tmp_path_factory):  # noqa: F811
    app = create_app(web_engine, allowed_origins=[ALLOWED, OTHER_ALLOWED],
                     feedback_path=tmp_path_factory.mktemp("feedback") / "feedback.jsonl")
    with TestClient(app, base_url=LOCAL) as test_client:
        yield test_client


def check(client: TestClient, origin: str | None) -> dict:
    response = client.get(EMBED_CHECK_PATH, headers={} if origin is None else {"Origin": origin})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    if origin is not None:   # the browser lets the page read it, whatever the origin
        assert response.headers["access-control-allow-origin"] in ("*", origin)
    return response.json()


def test_an_allowed_origin_is_told_so(client):
    body = check(client, ALLOWED)
    assert body["allowed"] is True and body["origin"] == ALLOWED
    assert body["setting"] == ALLOWED_ORIGINS_ENV


@pytest.mark.parametrize("origin", [DENIED, "http://localhost:8000", "https://news.example:444",
                                    "http://news.example"])
def test_a_refused_origin_is_named_with_the_fix(client, origin):
    body = check(client, origin)
    assert body["allowed"] is False and body["origin"] == origin
    assert origin in body["detail"] and ALLOWED_ORIGINS_ENV in body["detail"]
    assert f"{ALLOWED_ORIGINS_ENV}={origin}" in body["detail"], "the fix, ready to paste"


def test_the_answer_reveals_no_other_origin(client):
    for origin in (DENIED, "null", ALLOWED, None):
        text = client.get(EMBED_CHECK_PATH, headers={"Origin": origin} if origin else {}).text
        assert OTHER_ALLOWED not in text
        if origin != ALLOWED:
            assert ALLOWED not in text


def test_a_file_page_is_told_to_use_a_web_server(client):
    body = check(client, "null")
    assert body["allowed"] is False
    assert "web server" in body["detail"] and ALLOWED_ORIGINS_ENV in body["detail"]


def test_without_an_origin_there_is_nothing_to_refuse(client):
    body = check(client, None)
    assert body == {**body, "origin": None, "allowed": True}


def test_an_over_long_origin_is_cut_when_echoed(client):
    body = check(client, "https://" + "a" * 5000 + ".example")
    assert body["allowed"] is False and len(body["origin"]) <= 200


def test_cors_stays_closed_everywhere_else(client):
    for method, path in (("POST", "/api/ask"), ("GET", "/healthz"), ("GET", "/config"), ("GET", "/embed/gradio.js")):
        kwargs = {"json": {"question": "Who wrote the article?"}} if method == "POST" else {}
        response = client.request(method, path, headers={"Origin": DENIED}, **kwargs)
        assert "access-control-allow-origin" not in response.headers, path
    preflight = client.options(EMBED_CHECK_PATH, headers={"Origin": DENIED, "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers


def test_the_host_check_comes_first(client):
    response = client.get(EMBED_CHECK_PATH, headers={"Host": "evil.example", "Origin": DENIED})
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


def test_other_methods_are_not_answered(client):
    for method in ("POST", "PUT", "DELETE"):
        response = client.request(method, EMBED_CHECK_PATH, headers={"Origin": DENIED})
        assert response.status_code in (404, 405), method
        assert "allowed" not in response.text


def test_it_is_in_the_api_schema(client):
    spec = client.get("/openapi.json").json()
    operation = spec["paths"][EMBED_CHECK_PATH]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/EmbedCheckModel")
    assert set(spec["components"]["schemas"]["EmbedCheckModel"]["properties"]) == {"origin", "allowed", "setting", "detail"}


@pytest.mark.parametrize("origins, origin, allowed", [
    ([], ALLOWED, False),
    (["*"], DENIED, True),
    (["*"], "null", True),
    ([ALLOWED], ALLOWED.upper(), False),     # as CORS: browsers send origins lower-cased; exact match
    ([ALLOWED], ALLOWED + "/", False),
])
def test_the_verdict_is_the_cors_rule(origins, origin, allowed):
    assert embed_check(origin, origins).allowed is allowed
