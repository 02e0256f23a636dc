"""The HTTP API (/api/ask, /healthz, /openapi.json) and its security headers, in process with
FastAPI's TestClient over the real engine."""

from __future__ import annotations

import json
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from colnato_qa.errors import ConfigError
from colnato_qa.request import DEFAULT_MAX_HISTORY_TURNS
from colnato_qa.settings import Settings, default_of
from colnato_qa.web import server
from colnato_qa.web.security import (
    OriginError,
    frame_ancestors_policy,
    normalize_origin,
    parse_allowed_origins,
)
from colnato_qa.web.gradio_gate import GradioGate
from colnato_qa.web.server import create_app, gradio_app
from tests.web_fixtures import (  # noqa: F401  (web_engine is a fixture)
    ANSWERABLE,
    ANSWERABLE_FRAGMENT,
    FOLLOW_UP_FIRST,
    FOLLOW_UP_SECOND,
    OFF_TOPIC,
    REPO_ROOT,
    check_answer_invariant,
    web_engine,
)

ALLOWED_ORIGIN = "https://news.example"
DENIED_ORIGIN = "https://evil.example"
CONCURRENT_CLIENTS = 32
LOCAL = "http://localhost"   # an allowed Host (the default allow-list: localhost names)


@pytest.fixture(scope="module")
def client(web_engine, tmp_path_factory):  # noqa: F811
    app = create_app(web_engine, allowed_origins=[ALLOWED_ORIGIN],
                     feedback_path=tmp_path_factory.mktemp("feedback") / "feedback.jsonl")
    with TestClient(app, base_url=LOCAL) as test_client:
        yield test_client


def gold_questions(n: int) -> list[str]:
    path = REPO_ROOT / "corpus" / "gold" / "colnato_gold.jsonl"
    questions = [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return (questions * (n // max(len(questions), 1) + 1))[:n]


# -- answers -------------------------------------------------------------------------------------
ANSWER_KEYS = {"question", "answer", "short_answer", "abstained", "confidence", "citations", "interpreted_as",
               "verdict", "language", "reason", "reply", "suggestions"}
CITATION_KEYS = {"passage_id", "doc_id", "title", "paragraph", "text", "score", "answer_start", "answer_end"}


def test_good_question_is_answered_with_a_quote(client):
    response = client.post("/api/ask", json={"question": ANSWERABLE})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == ANSWER_KEYS
    assert body["abstained"] is False
    assert ANSWERABLE_FRAGMENT in body["answer"]
    assert 0.0 <= body["confidence"] <= 1.0
    assert body["citations"], "an answer cites at least one passage"
    for citation in body["citations"]:
        assert set(citation) == CITATION_KEYS
        assert isinstance(citation["paragraph"], int)
    check_answer_invariant(body)


def test_off_topic_question_abstains_with_related_passages(client):
    response = client.post("/api/ask", json={"question": OFF_TOPIC})
    assert response.status_code == 200
    body = response.json()
    assert body["abstained"] is True
    assert body["answer"] is None
    assert body["citations"], "an abstention still shows the closest passages"
    assert all(c["answer_start"] is None for c in body["citations"])


@pytest.mark.parametrize("history", [
    [FOLLOW_UP_FIRST],
    [{"role": "user", "content": FOLLOW_UP_FIRST}],
    [{"role": "user", "content": FOLLOW_UP_FIRST}, {"role": "assistant", "content": "The Agreement on Cooperation."}],
])
def test_follow_up_is_read_with_the_history(client, history):
    response = client.post("/api/ask", json={"question": FOLLOW_UP_SECOND, "history": history})
    assert response.status_code == 200
    body = response.json()
    assert body["interpreted_as"], "a follow-up says how it was read"
    assert body["interpreted_as"] != FOLLOW_UP_SECOND
    check_answer_invariant(body)


def test_null_history_is_no_history(client):
    response = client.post("/api/ask", json={"question": ANSWERABLE, "history": None})
    assert response.status_code == 200


# -- bad bodies ----------------------------------------------------------------------------------
BAD_BODIES = [
    # (id, raw body, expected status, fragment of the message)
    ("empty question", {"question": ""}, 422, "empty"),
    ("whitespace question", {"question": "   \n\t "}, 422, "empty"),
    ("over-long question", {"question": "why " * 300}, 422, "limit is 1000"),
    ("control characters", {"question": "what\x00 is this"}, 422, "control characters"),
    ("question is an int", {"question": 42}, 422, "question"),
    ("question is a list", {"question": ["what"]}, 422, "question"),
    ("question is null", {"question": None}, 422, "question"),
    ("question missing", {}, 422, "'question' is missing"),
    ("unknown field", {"question": "x", "session": 1}, 422, "Unknown field 'session'"),
    ("body is a list", [], 422, "JSON object"),
    ("malformed JSON", '{"question": "x"', 422, "not valid JSON"),
    ("not UTF-8", b'{"question": "caf\xe9"}', 422, "not UTF-8"),
    ("binary garbage", b"\x18\xff>\xd6\x81\x03", 422, "not valid JSON"),
    ("empty body", "", 422, "missing"),
    ("history is a string", {"question": "x", "history": "earlier"}, 422, "history must be a list"),
    ("history is an object", {"question": "x", "history": {"role": "user"}}, 422, "history must be a list"),
    ("history item is a number", {"question": "x", "history": [1]}, 422, "history[0] must be a string or an object"),
    ("history item lacks content", {"question": "x", "history": [{"role": "user"}]}, 422, "history[0] must have"),
    ("history item bad role", {"question": "x", "history": [{"role": "bot", "content": "y"}]}, 422,
     "history[0].role"),
    ("history content not a string", {"question": "x", "history": ["ok", {"role": "user", "content": 3}]}, 422,
     "history[1].content must be a string"),
    ("history too long", {"question": "x", "history": ["q"] * (DEFAULT_MAX_HISTORY_TURNS + 1)}, 422,
     "history"),
]


@pytest.mark.parametrize("body, status, fragment", [b[1:] for b in BAD_BODIES], ids=[b[0] for b in BAD_BODIES])
def test_bad_body_gets_4xx_saying_what_is_wrong(client, body, status, fragment):
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    response = client.post("/api/ask", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    assert fragment.lower() in detail.lower(), detail


def test_non_json_content_type_is_refused(client):
    response = client.post("/api/ask", content="question=hello", headers={"Content-Type": "text/plain"})
    assert response.status_code == 422
    assert "JSON object" in response.json()["detail"]


def test_oversized_body_is_refused_before_parsing(client):
    body = json.dumps({"question": "x" * (default_of("max_body_bytes") + 10)})
    response = client.post("/api/ask", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]


def test_wrong_method_is_405(client):
    assert client.get("/api/ask").status_code == 405


# -- health and schema ---------------------------------------------------------------------------
def test_healthz_answers_head_for_monitors(client):
    response = client.head("/healthz")
    assert response.status_code == 200 and response.content == b""


def test_healthz_reports_the_index(client, web_engine):  # noqa: F811
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["passages"] == web_engine.manifest["counts"]["passages"] > 0
    assert body["documents"] == 1
    assert body["model"] == str(web_engine.manifest["model"])
    assert body["built_at"] == web_engine.manifest["built_at"]


def test_openapi_spells_out_the_answer_schema(client):
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert set(schemas["AnswerModel"]["properties"]) == ANSWER_KEYS
    assert set(schemas["CitationModel"]["properties"]) == CITATION_KEYS
    assert set(schemas["AskRequest"]["properties"]) == {"question", "history"}
    ask = spec["paths"]["/api/ask"]["post"]
    ok = ask["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["$ref"].endswith("/AnswerModel")
    assert {"422", "503"} <= set(ask["responses"])
    assert "/healthz" in spec["paths"]


def test_no_cdn_docs_pages(client):
    # Swagger UI / ReDoc would load scripts from a CDN; only the JSON spec is served.
    for path in ("/docs", "/redoc"):
        assert "swagger" not in client.get(path).text.lower()
        assert "redoc" not in client.get(path).text.lower()


# -- CORS and framing ----------------------------------------------------------------------------
def test_cors_allows_the_listed_origin(client):
    preflight = client.options("/api/ask", headers={
        "Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    response = client.post("/api/ask", json={"question": ANSWERABLE}, headers={"Origin": ALLOWED_ORIGIN})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN


def test_cors_refuses_other_origins(client):
    preflight = client.options("/api/ask", headers={
        "Origin": DENIED_ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code >= 400
    assert "access-control-allow-origin" not in preflight.headers
    response = client.post("/api/ask", json={"question": ANSWERABLE}, headers={"Origin": DENIED_ORIGIN})
    assert "access-control-allow-origin" not in response.headers


def test_cors_governs_the_mounted_chat_too(client):
    # Gradio defers to the app's CORSMiddleware: a denied origin gets no CORS header from it either.
    response = client.get("/config", headers={"Origin": DENIED_ORIGIN})
    assert "access-control-allow-origin" not in response.headers
    response = client.get("/config", headers={"Origin": ALLOWED_ORIGIN})
    assert response.headers.get("access-control-allow-origin") == ALLOWED_ORIGIN


def test_chat_page_may_be_framed_only_by_self_and_allowed_origins(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == f"frame-ancestors 'self' {ALLOWED_ORIGIN}"
    assert "x-frame-options" not in response.headers
    assert client.get("/healthz").headers.get("content-security-policy") is None  # JSON: not needed


def test_default_policy_is_same_origin_only(web_engine, tmp_path):  # noqa: F811
    app = create_app(web_engine, allowed_origins="", feedback_path=tmp_path / "f.jsonl")
    with TestClient(app, base_url=LOCAL) as c:
        assert c.get("/").headers["content-security-policy"] == "frame-ancestors 'self'"
        preflight = c.options("/api/ask", headers={
            "Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST"})
        assert "access-control-allow-origin" not in preflight.headers


def test_embed_script_points_at_the_served_bundle(client):
    script = client.get("/embed/gradio.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    target = script.text.split('"')[1]
    assert target.startswith("../assets/index-")
    bundle = client.get("/embed/" + target)   # resolved against /embed/gradio.js
    assert bundle.status_code == 200
    assert "gradio-app" in bundle.text


@pytest.mark.parametrize("raw, expected", [
    (None, []),
    ("", []),
    ("https://News.Example/", ["https://news.example"]),
    ("http://localhost:8000, https://a.example ,http://localhost:8000", ["http://localhost:8000", "https://a.example"]),
    ("*", ["*"]),
])
def test_parse_allowed_origins(raw, expected):
    assert parse_allowed_origins(raw) == expected


@pytest.mark.parametrize("raw", ["news.example", "ftp://news.example", "https://news.example/path", "https://"])
def test_bad_origin_is_refused_with_a_reason(raw):
    with pytest.raises(OriginError, match="origin"):
        normalize_origin(raw)


def test_frame_ancestors_policy():
    assert frame_ancestors_policy([]) == "frame-ancestors 'self'"
    assert frame_ancestors_policy(["https://a.example", "http://b:1"]) == "frame-ancestors 'self' https://a.example http://b:1"
    assert frame_ancestors_policy(["*"]) == "frame-ancestors *"


# -- concurrency ---------------------------------------------------------------------------------
def test_32_concurrent_clients_all_get_answers(client):
    questions = gold_questions(CONCURRENT_CLIENTS)
    barrier = threading.Barrier(CONCURRENT_CLIENTS)

    def ask(question: str):
        barrier.wait(timeout=30)
        started = time.perf_counter()
        response = client.post("/api/ask", json={"question": question})
        return response, time.perf_counter() - started

    with ThreadPoolExecutor(max_workers=CONCURRENT_CLIENTS) as pool:
        results = list(pool.map(ask, questions))
    statuses = [r.status_code for r, _ in results]
    assert statuses == [200] * CONCURRENT_CLIENTS, [r.text for r, _ in results if r.status_code != 200][:3]
    for (response, _), question in zip(results, questions, strict=True):
        body = response.json()
        assert body["question"] == " ".join(question.split())
        check_answer_invariant(body)
    latencies = sorted(t for _, t in results)
    print(f"\n/api/ask with {CONCURRENT_CLIENTS} concurrent clients: "
          f"median {statistics.median(latencies) * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")


class SlowEngine:
    """The real engine, each answer delayed: to fill the API's capacity on purpose."""

    def __init__(self, engine, delay_s: float):
        self._engine = engine
        self._delay_s = delay_s

    def __getattr__(self, name):
        return getattr(self._engine, name)

    def ask(self, question, history=None):
        time.sleep(self._delay_s)
        return self._engine.ask(question, history=history)


def test_over_capacity_gets_503_with_retry_after(web_engine, tmp_path, monkeypatch):  # noqa: F811
    # The gate's bounds are settings, here from the environment (create_app reads it: load_settings()).
    monkeypatch.setenv("COLNATO_QA_API_MAX_CONCURRENT", "1")
    monkeypatch.setenv("COLNATO_QA_API_MAX_WAITING", "1")
    monkeypatch.setenv("COLNATO_QA_API_WAIT_TIMEOUT_S", "5")
    monkeypatch.setenv("COLNATO_QA_API_RETRY_AFTER_S", "7")
    app = create_app(SlowEngine(web_engine, 1.0), allowed_origins=[], feedback_path=tmp_path / "f.jsonl")
    with TestClient(app, base_url=LOCAL) as c, ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(lambda q: c.post("/api/ask", json={"question": q}), [ANSWERABLE] * 4))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) >= 2, statuses       # one running, one waiting
    refused = [r for r in responses if r.status_code == 503]
    assert refused, statuses
    assert all(r.headers["retry-after"] == "7" for r in refused)
    assert all("try again" in r.json()["detail"] for r in refused)


# -- the server's limits are settings (one place for a replica's configuration) -----------------------
SERVER_LIMITS = {
    "chat_concurrency_limit": 4, "chat_queue_max_size": 64, "api_max_concurrent": 4, "api_max_waiting": 64,
    "api_wait_timeout_s": 10.0, "api_retry_after_s": 2, "max_body_bytes": 65536, "body_read_timeout_s": 10.0,
    "chat_max_turns": 20, "chat_conversation_max_bytes": 24576, "chat_max_sessions": 1000,
    "chat_max_unread_events": 8, "chat_unread_deadline_s": 30.0, "chat_unread_sweep_s": 5.0,
    "chat_max_streams_per_client": 100, "chat_max_streams": 2048, "server_limit_concurrency": 4096,
    "server_keep_alive_s": 5, "server_header_timeout_s": 10.0, "server_max_header_bytes": 16384,
    "server_backlog": 2048,
}


def test_every_server_limit_is_a_described_setting_and_no_module_holds_one():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    security = (REPO_ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    for name, value in SERVER_LIMITS.items():
        assert default_of(name) == value, name
        assert Settings.model_fields[name].description, name
        assert f"`{name}`" in readme and f"`{name}`" in security, f"{name} is not in the docs' settings tables"
    with pytest.raises(ImportError):
        import colnato_qa.web.limits  # noqa: F401


@pytest.mark.parametrize("values, message", [
    ({"api_max_concurrent": 0}, "api_max_concurrent must be >= 1, got 0"),
    ({"api_max_waiting": -1}, "api_max_waiting must be >= 0, got -1"),
    ({"chat_max_turns": 0}, "chat_max_turns must be >= 1, got 0"),
    ({"body_read_timeout_s": 0}, "body_read_timeout_s must be >= 0.1, got 0"),
    ({"chat_unread_deadline_s": float("nan")}, "chat_unread_deadline_s must be a finite number >= 1.0"),
    ({"server_max_header_bytes": 100}, "server_max_header_bytes must be >= 1024, got 100"),
    ({"max_body_bytes": 4096}, "max_body_bytes (4096) must be at least twice chat_conversation_max_bytes (24576)"),
])
def test_a_bad_limit_is_refused_naming_the_setting_and_its_range(values, message):
    with pytest.raises(ConfigError) as caught:
        Settings(**values)
    assert message in str(caught.value)


def test_the_body_limits_are_settings(web_engine, tmp_path):  # noqa: F811
    settings = Settings(max_body_bytes=2048, chat_conversation_max_bytes=1024, feedback=tmp_path / "f.jsonl")
    app = create_app(web_engine, allowed_origins=[], settings=settings)

    def chunks(size):
        yield b'{"question": "'
        yield b"x" * size
        yield b'"}'

    with TestClient(app, base_url=LOCAL) as c:
        under = c.post("/api/ask", content=json.dumps({"question": "x" * 1500}),
                       headers={"Content-Type": "application/json"})
        declared = c.post("/api/ask", content=json.dumps({"question": "x" * 2100}),
                          headers={"Content-Type": "application/json"})
        chunked = c.post("/api/ask", content=chunks(2100), headers={"Content-Type": "application/json"})
    assert under.status_code == 422 and "the limit is 1000" in under.json()["detail"]   # read, then checked
    for refused in (declared, chunked):
        assert refused.status_code == 413 and "larger than 2048 bytes" in refused.json()["detail"], refused.text


def test_the_chat_page_and_its_gate_get_their_limits_from_the_settings(web_engine, tmp_path):  # noqa: F811
    settings = Settings(chat_max_turns=3, chat_conversation_max_bytes=512, chat_max_sessions=7,
                        chat_queue_max_size=5, chat_concurrency_limit=2, chat_max_unread_events=3,
                        chat_unread_deadline_s=12, chat_unread_sweep_s=1.5, chat_max_streams_per_client=9,
                        chat_max_streams=99, feedback=tmp_path / "f.jsonl")
    app = create_app(web_engine, allowed_origins=[], settings=settings)
    gate = next(m.kwargs for m in gradio_app(app).user_middleware if m.cls is GradioGate)
    assert {k: v for k, v in gate.items() if k != "blocks"} == {
        "max_unread_events": 3, "unread_deadline_s": 12, "unread_sweep_s": 1.5, "max_streams_per_client": 9,
        "max_streams": 99}
    blocks = gate["blocks"]
    assert blocks.state_session_capacity == 7
    assert (blocks._queue.max_size, blocks._queue.default_concurrency_limit) == (5, 2)


def test_serve_runs_uvicorn_with_the_server_limits_of_the_settings(monkeypatch):
    from fastapi import FastAPI

    ran = {}
    monkeypatch.setattr(server.uvicorn, "run", lambda app, **kwargs: ran.update(kwargs))
    app = FastAPI()
    app.state.settings = Settings(server_limit_concurrency=300, server_keep_alive_s=3, server_header_timeout_s=2.5,
                                  server_max_header_bytes=4096, server_backlog=50)
    server.serve(app, "127.0.0.1", 8000, "warning")
    assert (ran["limit_concurrency"], ran["timeout_keep_alive"], ran["h11_max_incomplete_event_size"],
            ran["backlog"]) == (300, 3, 4096, 50)
    assert (ran["http"].header_timeout_s, ran["http"].max_head_bytes) == (2.5, 4096)
    given = Settings(server_backlog=60)        # settings passed in win over the app's
    server.serve(app, "127.0.0.1", 8000, "warning", given)
    assert ran["backlog"] == 60 and ran["http"].max_head_bytes == default_of("server_max_header_bytes")


def test_single_request_latency(client):
    client.post("/api/ask", json={"question": "Who was Juan Manuel Santos?"})  # warm
    timings = []
    for i, question in enumerate(gold_questions(20)):
        started = time.perf_counter()
        response = client.post("/api/ask", json={"question": f"{question} ({i})"})  # defeat the cache
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200
    print(f"\n/api/ask single client, uncached: median {statistics.median(timings) * 1000:.0f} ms, "
          f"max {max(timings) * 1000:.0f} ms")
    assert statistics.median(timings) < 2.0


def test_api_is_stateless(client):
    # No per-client state: the same body gets the same answer, whoever asks and whenever.
    a = client.post("/api/ask", json={"question": ANSWERABLE}).json()
    b = client.post("/api/ask", json={"question": ANSWERABLE}).json()
    assert a == b


NO_NETWORK_SCRIPT = r"""
import sys
calls = []
sys.addaudithook(lambda event, args: calls.append(repr(args)[:200]) if event == "socket.connect" else None)
from colnato_qa.web.gradio_gate import GradioGate
from colnato_qa.web.server import create_app, gradio_app
from fastapi.testclient import TestClient
app = create_app(feedback_path=sys.argv[1])
with TestClient(app, base_url="http://localhost") as client:
    assert client.get("/").status_code == 200
    assert client.get("/config").status_code == 200
    assert client.post("/api/ask", json={"question": "Who wrote the article?"}).status_code == 200
print("CONNECTS", calls)
"""


@pytest.mark.slow
def test_start_and_answers_make_no_network_connections(tmp_path):
    # No analytics, hub, CDN or font requests from the server while starting or answering.
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", NO_NETWORK_SCRIPT, str(tmp_path / "f.jsonl")], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "CONNECTS []" in done.stdout, done.stdout[-2000:]


def test_file_uploads_are_closed(client):
    response = client.post("/gradio_api/upload", files={"files": ("a.txt", b"x" * 10)})
    assert response.status_code == 403
    assert "no file uploads" in response.json()["detail"]


def test_chunked_oversized_body_is_refused(client):
    def chunks():
        yield b'{"question": "'
        for _ in range(default_of("max_body_bytes") // 1000 + 2):
            yield b"x" * 1000
        yield b'"}'

    response = client.post("/api/ask", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
