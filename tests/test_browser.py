"""End to end in headless Chromium: the chat page, its citations and follow-ups, the script
payload, feedback, phone width, no third-party requests, and embedding from other origins
(allowed: iframe, fetch() and web component work; refused: tests/test_browser_embed.py).

Needs /usr/bin/chromium (``apt-get install -y chromium``); Playwright drives it, its own browser
downloads are never used. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import json
import re
import time
from urllib.parse import urlsplit

import pytest

from colnato_qa.corpus import load_corpus
from tests.web_fixtures import (
    ANSWERABLE,
    ANSWERABLE_FRAGMENT,
    ARTIFACTS_DIR,
    CHROMIUM_MISSING,
    EXAMPLES_DIR,
    FOLLOW_UP_FIRST,
    FOLLOW_UP_SECOND,
    OFF_TOPIC,
    REPO_ROOT,
    XSS_PAYLOAD,
    chromium,
    running_server,
    static_server,
)

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
UI_TIMEOUT_MS = 30_000

pytestmark = [
    pytest.mark.browser,
    CHROMIUM_MISSING,
]

QUESTION_BOX = "#colnato-question textarea"
REPLY = "#colnato-chat .colnato-reply"


# -- fixtures ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def origins():
    """Two third-party origins serving examples/: the first is allowed, the second is not."""
    with static_server(EXAMPLES_DIR) as allowed, static_server(EXAMPLES_DIR) as denied:
        yield {"allowed": allowed, "denied": denied}


@pytest.fixture(scope="module")
def server(origins, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    env = {"COLNATO_QA_ALLOWED_ORIGINS": origins["allowed"], "COLNATO_QA_FEEDBACK": str(tmp / "feedback.jsonl")}
    with running_server(tmp, env) as running:
        running.feedback_path = tmp / "feedback.jsonl"
        yield running


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


class Watched:
    """A page with what it did on the side: dialogs opened, requests to other hosts, console errors."""

    def __init__(self, page, allowed_hosts: set[str]):
        self.page = page
        self.dialogs: list[str] = []
        self.foreign_requests: list[str] = []
        self.console_errors: list[str] = []
        page.on("dialog", self._on_dialog)
        page.on("request", lambda r: self._on_request(r.url, allowed_hosts))
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)

    def _on_dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _on_request(self, url: str, allowed_hosts: set[str]) -> None:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in allowed_hosts:
            self.foreign_requests.append(url)


@pytest.fixture
def watched(browser, request):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    w = Watched(page, {"127.0.0.1"})
    yield w
    context.close()
    assert w.foreign_requests == [], "the page must make no requests to other hosts (CDN, fonts, hub)"


def open_chat(w: Watched, server) -> None:
    w.page.goto(server.url + "/")
    w.page.wait_for_selector(QUESTION_BOX)


def ask_in_ui(page, question: str):
    """Type and send a question; return the locator of the new reply."""
    before = page.locator(REPLY).count()
    page.fill(QUESTION_BOX, question)
    page.press(QUESTION_BOX, "Enter")
    page.wait_for_function(f"document.querySelectorAll({json.dumps(REPLY)}).length > {before}")
    return page.locator(REPLY).nth(before)


def artifact(name: str) -> str:
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return str(ARTIFACTS_DIR / name)


# -- the chat page ---------------------------------------------------------------------------------------
def test_question_gets_an_answer_with_a_citation(watched, server):
    page = watched.page
    open_chat(watched, server)
    header = page.locator("#colnato-header").inner_text()
    doc = load_corpus(REPO_ROOT / "corpus")[0]
    assert doc.author in header and doc.publisher in header and "one article" in header
    reply = ask_in_ui(page, ANSWERABLE)
    assert ANSWERABLE_FRAGMENT in reply.locator(".colnato-answer").inner_text()
    assert "[1]" in reply.locator(".colnato-refs").inner_text()
    assert reply.locator("details.colnato-cite").count() >= 1
    assert re.search(r"Paragraph \d+", reply.locator("details.colnato-cite summary").first.inner_text())
    page.screenshot(path=artifact("chat-desktop-1280x800.png"))


def test_citation_opens_the_paragraph_with_the_answer_marked_and_jumps_to_it(watched, server):
    page = watched.page
    open_chat(watched, server)
    reply = ask_in_ui(page, FOLLOW_UP_FIRST)
    cite = reply.locator("details.colnato-cite").first
    assert not cite.locator("mark").is_visible()
    cite.locator("summary").click()
    mark = cite.locator("mark")
    mark.wait_for(state="visible")
    marked = mark.inner_text()
    assert "2013" in marked
    n = re.search(r"Paragraph (\d+)", cite.locator("summary").inner_text()).group(1)
    cite.locator("a.colnato-jump").click()
    page.wait_for_function(f"location.hash === '#para-{n}'")
    paragraph = page.locator(f"#para-{n}")
    page.wait_for_function(f"""() => {{ const p = document.getElementById('para-{n}').getBoundingClientRect();
        const a = document.getElementById('colnato-article').getBoundingClientRect();
        return p.top >= a.top - 1 && p.top < a.bottom; }}""")
    assert marked in paragraph.inner_text()            # the article's paragraph holds the marked answer
    assert paragraph.locator(".colnato-para-n").inner_text() == n
    page.screenshot(path=artifact("chat-citation-opened.png"))


def test_follow_up_shows_how_it_was_read(watched, server):
    page = watched.page
    open_chat(watched, server)
    ask_in_ui(page, FOLLOW_UP_FIRST)
    reply = ask_in_ui(page, FOLLOW_UP_SECOND)
    reading = reply.locator(".colnato-interpreted")
    assert reading.count() == 1
    assert "Read as:" in reading.inner_text() and "2013" not in FOLLOW_UP_SECOND
    assert "Agreement on Cooperation" in reply.locator(".colnato-answer").inner_text()


def test_off_topic_question_says_the_article_doesnt_say(watched, server):
    page = watched.page
    open_chat(watched, server)
    reply = ask_in_ui(page, OFF_TOPIC)
    assert reply.locator(".colnato-answer").inner_text() == "The article doesn't say."
    assert reply.locator("details.colnato-cite").count() >= 1


def test_script_payload_is_shown_as_text_and_runs_nothing(watched, server):
    page = watched.page
    open_chat(watched, server)
    page.evaluate("window.__colnato_pwned = false")
    ask_in_ui(page, XSS_PAYLOAD)
    page.wait_for_timeout(1000)        # give an injected handler time to fire
    assert watched.dialogs == []
    chat = page.locator("#colnato-chat")
    assert chat.locator("img[src='x']").count() == 0
    assert chat.locator(".message-content script").count() == 0
    assert XSS_PAYLOAD in chat.inner_text()


def test_example_question_is_asked_on_click(watched, server):
    page = watched.page
    open_chat(watched, server)
    page.get_by_text("Who wrote the article?", exact=True).click()
    page.wait_for_selector(REPLY)
    assert "Ferdinand Miracle" in page.locator(REPLY).first.inner_text()


def test_retry_and_clear(watched, server):
    page = watched.page
    open_chat(watched, server)
    ask_in_ui(page, ANSWERABLE)
    page.click("#colnato-retry")
    page.wait_for_timeout(1500)
    assert page.locator(REPLY).count() == 1
    assert ANSWERABLE_FRAGMENT in page.locator(REPLY).first.inner_text()
    page.click("#colnato-clear")
    page.wait_for_function(f"document.querySelectorAll({json.dumps(REPLY)}).length === 0")
    # after clearing, the conversation starts afresh: no follow-up reading
    reply = ask_in_ui(page, FOLLOW_UP_SECOND)
    assert reply.locator(".colnato-interpreted").count() == 0


def test_thumbs_up_and_down_are_recorded(watched, server):
    page = watched.page
    open_chat(watched, server)
    question = "Who was Juan Manuel Santos?"
    ask_in_ui(page, question)
    page.get_by_role("button", name="Like", exact=True).last.click()
    ask_in_ui(page, OFF_TOPIC)
    page.get_by_role("button", name="Dislike", exact=True).last.click()
    deadline = time.monotonic() + 10
    records: list[dict] = []
    while time.monotonic() < deadline:
        if server.feedback_path.exists():
            lines = server.feedback_path.read_text(encoding="utf-8").splitlines()
            records = [json.loads(line) for line in lines]
            if any(r["question"] == OFF_TOPIC for r in records):
                break
        time.sleep(0.2)
    liked = [r for r in records if r["question"] == question]
    disliked = [r for r in records if r["question"] == OFF_TOPIC]
    assert liked and liked[-1]["liked"] is True and "Santos" in liked[-1]["answer"]
    assert disliked and disliked[-1]["liked"] is False and disliked[-1]["abstained"] is True
    assert all({"timestamp", "question", "answer", "liked"} <= set(r) for r in records)


def test_phone_width_layout(browser, server):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    try:
        page.goto(server.url + "/")
        page.wait_for_selector(QUESTION_BOX)
        reply = ask_in_ui(page, FOLLOW_UP_FIRST)
        reply.locator("details.colnato-cite summary").first.click()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scrolling"
        box = page.locator("#colnato-chat").bounding_box()
        assert box["width"] >= PHONE["width"] - 40, "the chat uses the phone's width"
        article = page.locator("#colnato-article").bounding_box()
        assert article["y"] > box["y"], "the article stacks below the chat"
        page.screenshot(path=artifact("chat-phone-390x844.png"))
    finally:
        context.close()


# -- embedding in other pages --------------------------------------------------------------------------------
def open_embed_page(browser, origin: str, server):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    watched = Watched(page, {"127.0.0.1"})
    page.goto(f"{origin}/embed.html?server={server.url}")
    return context, watched


def ask_with_fetch(page, question: str) -> str:
    page.fill("#question", question)
    page.click("#ask-button")
    page.wait_for_selector("#answer .answer, #answer .error")
    return page.locator("#answer").inner_text()


def test_allowed_origin_embeds_the_chat_and_calls_the_api(browser, server, origins):
    context, w = open_embed_page(browser, origins["allowed"], server)
    page = w.page
    try:
        frame = page.frame_locator("#chat-frame")
        frame.locator(QUESTION_BOX).fill(ANSWERABLE)
        frame.locator(QUESTION_BOX).press("Enter")
        frame.locator(REPLY).first.wait_for()
        assert ANSWERABLE_FRAGMENT in frame.locator(REPLY).first.inner_text()

        text = ask_with_fetch(page, FOLLOW_UP_FIRST)
        assert "Agreement on Cooperation and Security of Information" in text
        assert page.locator("#answer mark").count() == 1
        text = ask_with_fetch(page, FOLLOW_UP_SECOND)   # the page keeps the history
        assert "Read as:" in text

        text = ask_with_fetch(page, XSS_PAYLOAD)
        assert page.locator("#answer img, #answer script").count() == 0
        assert w.dialogs == []
        page.screenshot(path=artifact("embed-allowed-origin.png"), full_page=True)
    finally:
        context.close()


def test_allowed_origin_can_use_the_web_component(browser, server, origins):
    context, w = open_embed_page(browser, origins["allowed"], server)
    page = w.page
    try:
        page.click("#wc-button")
        box = page.locator(f"gradio-app {QUESTION_BOX}")
        box.wait_for()
        box.fill("Who wrote the article?")
        box.press("Enter")
        reply = page.locator("gradio-app .colnato-reply").first
        reply.wait_for()
        assert "Ferdinand Miracle" in reply.inner_text()
        assert w.foreign_requests == []
    finally:
        context.close()


# A refused origin (each way says why and names the fix): tests/test_browser_embed.py.
