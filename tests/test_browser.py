"""End to end in headless Chromium: the chat page, its citations (to the quoted sentence, on a
laptop, a phone and inside the web component) and follow-ups, sources and related passages,
small talk, confidence in words, the waiting state, the kept draft, Clear / Retry, feedback,
accessibility (names, label, target and text sizes, axe-core in light and dark mode and on
examples/embed.html), the script payload, phone width, no third-party requests, and embedding
from other origins (allowed: iframe, fetch() and web component work; refused: tests/test_browser_embed.py).

Needs /usr/bin/chromium (``apt-get install -y chromium``); Playwright drives it, its own browser
downloads are never used. axe-core comes from node_modules (``make install`` runs ``npm ci``)
and is put into the page from disk. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import contextlib
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
REPLY = "#colnato-chat .colnato-reply:not(.colnato-pending)"
AXE_JS = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
MIN_TARGET_PX = 24          # WCAG 2.2, 2.5.8 Target Size (Minimum)
MIN_TEXT_PX = 14


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


@contextlib.contextmanager
def chat_at(browser, server, viewport: dict):
    """A fresh page on the chat at ``viewport`` (a phone's: touch, mobile, 2x pixels)."""
    phone = viewport is PHONE
    context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone,
                                  device_scale_factor=2 if phone else 1)
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    try:
        page.goto(server.url + "/")
        page.wait_for_selector(QUESTION_BOX)
        yield page
    finally:
        context.close()


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
    assert reply.locator(".colnato-refs a.colnato-ref").first.inner_text() == "[1]"
    assert reply.locator(".colnato-sources details.colnato-cite").count() >= 1
    assert re.search(r"Paragraph \d+", reply.locator("details.colnato-cite summary").first.inner_text())
    page.screenshot(path=artifact("chat-desktop-1280x800.png"))


def marked_sentence_in_view(page) -> dict:
    """Where the marked sentences of the article panel are, against the panel and the window."""
    return page.evaluate("""() => {
        const marked = Array.from(document.querySelectorAll('#colnato-article .colnato-marked'));
        const panel = document.getElementById('colnato-article').getBoundingClientRect();
        const first = marked.length ? marked[0].getBoundingClientRect() : null;
        return {count: marked.length, text: marked.map(m => m.textContent).join(' '),
                inPanel: !!first && first.top >= panel.top - 1 && first.bottom <= panel.bottom + 1,
                inWindow: !!first && first.top >= 0 && first.bottom <= window.innerHeight,
                sheet: document.getElementById('colnato-article').classList.contains('colnato-sheet')};
    }""")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["laptop", "phone"])
def test_citation_marks_the_quoted_sentence_in_the_article_without_moving_the_page(browser, server, viewport):
    phone = viewport is PHONE
    with chat_at(browser, server, viewport) as page:
        reply = ask_in_ui(page, FOLLOW_UP_FIRST)
        quote = reply.locator("details.colnato-cite mark").first.text_content()
        bold = reply.locator(".colnato-answer strong:not(.colnato-verdict)")
        if bold.count():    # the short answer, when the engine is confident of it (hand-made answers: test_web_render)
            short = bold.first.text_content()
            assert short and short in reply.locator(".colnato-answer").first.text_content() and short in quote
            assert reply.locator("details.colnato-cite mark strong").first.text_content() == short
        ref = reply.locator("a.colnato-ref").first
        ref.scroll_into_view_if_needed()
        before = page.evaluate("({y: scrollY, url: location.href})")
        ref.click()                                    # one click: the [1] after the answer
        page.wait_for_function("document.querySelectorAll('#colnato-article .colnato-marked').length > 0")
        deadline = time.monotonic() + 5
        where = marked_sentence_in_view(page)
        while not (where["inPanel"] and where["inWindow"]) and time.monotonic() < deadline:
            time.sleep(0.1)                            # the panel scrolls smoothly
            where = marked_sentence_in_view(page)
        assert where["inPanel"] and where["inWindow"], where
        assert quote.strip() in where["text"], "the marked sentences are the quote"
        assert "2013" in where["text"] and where["count"] <= 2
        after = page.evaluate("({y: scrollY, url: location.href})")
        assert after == before, "the page does not move and the URL is not rewritten"
        assert where["sheet"] is phone, "a phone shows the article as a sheet over the chat"
        page.screenshot(path=artifact(f"chat-citation-{viewport['width']}x{viewport['height']}.png"))
        if phone:
            page.get_by_role("button", name="Back to the chat").click()
            assert marked_sentence_in_view(page)["sheet"] is False
            assert page.evaluate("scrollY") == before["y"]
        # the source's own link goes to the same sentence
        reply.locator("details.colnato-cite summary").first.click()
        page.evaluate("document.querySelectorAll('.colnato-marked').forEach(m => m.classList.remove('colnato-marked'))")
        reply.locator("a.colnato-jump").first.click()
        page.wait_for_function("document.querySelectorAll('#colnato-article .colnato-marked').length > 0")
        assert quote.strip() in marked_sentence_in_view(page)["text"]


def test_sources_are_apart_from_related_passages(watched, server):
    page = watched.page
    open_chat(watched, server)
    reply = ask_in_ui(page, FOLLOW_UP_FIRST)
    sources = reply.locator(".colnato-sources details.colnato-cite")
    assert sources.count() >= 1
    assert sources.locator("mark").count() == sources.count(), "every source holds the marked answer"
    related = reply.locator("details.colnato-related")
    if related.count():
        assert related.locator("mark, .colnato-cite-n").count() == 0, "related passages are unnumbered and unmarked"
        assert "Related" in related.locator("summary").inner_text()
    off = ask_in_ui(page, OFF_TOPIC)
    assert off.locator(".colnato-answer").inner_text() == "The article doesn't say."
    assert off.locator(".colnato-sources, details.colnato-cite").count() == 0, "an abstention has no sources"


def test_small_talk_gets_a_short_reply_with_questions_to_ask(watched, server):
    page = watched.page
    open_chat(watched, server)
    reply = ask_in_ui(page, "hi there!")
    assert "colnato-smalltalk" in reply.get_attribute("class")
    text = reply.inner_text()
    assert "doesn't say" not in text and "Paragraph" not in text
    suggestions = reply.locator("a.colnato-suggest")
    assert suggestions.count() >= 2
    row = page.locator("#colnato-chat .message-row").last
    assert row.get_by_role("button", name="Like", exact=True).count() == 0 or \
        not row.get_by_role("button", name="Like", exact=True).is_visible(), "small talk takes no thumbs"
    asked = suggestions.first.inner_text()
    before = page.locator(REPLY).count()
    suggestions.first.click()                          # a suggestion asks itself
    page.wait_for_function(f"document.querySelectorAll({json.dumps(REPLY)}).length > {before}")
    assert asked in page.locator("#colnato-chat [data-testid='user']").last.inner_text()
    assert page.locator(REPLY).last.locator(".colnato-answer").count() == 1


def test_confidence_is_words_not_a_number(watched, server):
    page = watched.page
    open_chat(watched, server)
    for question in (ANSWERABLE, "Is Colombia a member of NATO?", OFF_TOPIC):
        text = ask_in_ui(page, question).inner_text()
        assert "Confidence" not in text and not re.search(r"\d+\s*%", text)
    notes = page.locator("#colnato-chat .colnato-uncertain")
    for i in range(notes.count()):
        assert "not sure" in notes.nth(i).inner_text().lower()


def test_the_question_shows_at_once_with_a_typing_indicator_and_ask_off(watched, server):
    page = watched.page
    open_chat(watched, server)
    page.evaluate("""() => {
        window.__states = [];
        const chat = document.getElementById('colnato-chat');
        new MutationObserver(() => window.__states.push({
            users: chat.querySelectorAll('[data-testid="user"]').length,
            pending: chat.querySelectorAll('.colnato-pending').length,
            replies: chat.querySelectorAll('.colnato-reply:not(.colnato-pending)').length,
            askDisabled: document.getElementById('colnato-ask').disabled,
        })).observe(document.body, {subtree: true, childList: true, attributes: true});
    }""")
    question = "Which partnership programme did Colombia join, according to the article?"
    ask_in_ui(page, question)
    states = page.evaluate("window.__states")
    waiting = [s for s in states if s["users"] == 1 and s["replies"] == 0]
    assert any(s["pending"] == 1 for s in waiting), "the question and a typing indicator show before the answer"
    assert any(s["askDisabled"] for s in waiting), "Ask is off while the question is answered"
    page.wait_for_function("!document.getElementById('colnato-ask').disabled")
    assert page.locator("#colnato-chat .colnato-pending").count() == 0
    assert page.input_value(QUESTION_BOX) == ""


def test_a_refused_question_keeps_the_draft_and_gets_no_thumbs_or_retry(watched, server):
    page = watched.page
    open_chat(watched, server)
    assert page.eval_on_selector(QUESTION_BOX, "b => b.maxLength") == -1, "the box cuts nothing (issue 20)"
    draft = "Why " * 300
    page.fill(QUESTION_BOX, draft)
    page.press(QUESTION_BOX, "Enter")
    page.wait_for_selector("#colnato-chat .colnato-error")
    assert "1000" in page.locator("#colnato-chat .colnato-error").inner_text()
    assert page.input_value(QUESTION_BOX) == draft, "the refused question stays in the box"
    row = page.locator("#colnato-chat .message-row").last
    for name in ("Like", "Dislike", "Retry"):
        button = row.get_by_role("button", name=name, exact=True)
        assert button.count() == 0 or not button.is_visible(), f"no {name} on an error"
    assert not page.locator("#colnato-retry").is_visible()


def test_characters_left_show_near_the_limit(watched, server):
    page = watched.page
    open_chat(watched, server)
    counter = page.locator("#colnato-counter .colnato-counter")
    page.fill(QUESTION_BOX, "a" * 100)
    assert counter.inner_text().strip() == ""
    page.fill(QUESTION_BOX, "a" * 950)
    expect_text(counter, "50 characters left")
    page.fill(QUESTION_BOX, "a" * 1200)                # the box keeps it all and says how much is over
    assert len(page.input_value(QUESTION_BOX)) == 1200
    expect_text(counter, "200 characters over the limit of 1000")


def expect_text(locator, text: str) -> None:
    deadline = time.monotonic() + 5
    while text not in locator.inner_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert text in locator.inner_text()


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


def test_examples_are_in_the_empty_chat_and_asked_on_click(watched, server):
    page = watched.page
    open_chat(watched, server)
    example = page.locator("#colnato-chat a.colnato-suggest", has_text="Who wrote the article?")
    box = example.bounding_box()
    assert box and box["y"] + box["height"] <= DESKTOP["height"], "the examples are above the fold"
    example.click()
    page.wait_for_selector(REPLY)
    assert "Ferdinand Miracle" in page.locator(REPLY).first.inner_text()
    assert page.locator("#colnato-chat a.colnato-suggest").count() == 0 or \
        page.locator("#colnato-chat .colnato-welcome").count() == 0, "the examples leave with the first question"


def test_one_clear_and_no_pointless_retry(watched, server):
    page = watched.page
    open_chat(watched, server)
    ask_in_ui(page, ANSWERABLE)
    visible = [b for b in page.get_by_role("button", name=re.compile(r"^(Clear|New conversation|Retry)$")).all()
               if b.is_visible()]
    assert [b.inner_text().strip() or b.get_attribute("aria-label") for b in visible] == ["New conversation"], \
        "one New conversation; Retry only after a failure (asking again gives the same answer)"
    page.click("#colnato-clear")
    page.wait_for_function(f"document.querySelectorAll({json.dumps(REPLY)}).length === 0")
    # after clearing, the conversation starts afresh: no follow-up reading
    reply = ask_in_ui(page, FOLLOW_UP_SECOND)
    assert reply.locator(".colnato-interpreted").count() == 0


def read_feedback(server, until) -> list[dict]:
    deadline = time.monotonic() + 10
    records: list[dict] = []
    while time.monotonic() < deadline:
        if server.feedback_path.exists():
            lines = server.feedback_path.read_text(encoding="utf-8").splitlines()
            records = [json.loads(line) for line in lines]
            if until(records):
                break
        time.sleep(0.2)
    return records


def test_thumbs_are_recorded_acknowledged_and_a_thumbs_down_asks_why(watched, server):
    page = watched.page
    open_chat(watched, server)
    question = "Who was Juan Manuel Santos?"
    ask_in_ui(page, question)
    page.get_by_role("button", name="Like", exact=True).last.click()
    expect_text(page.locator("#colnato-feedback"), "Thanks")
    assert not page.locator("#colnato-reasons").is_visible()
    ask_in_ui(page, OFF_TOPIC)
    page.get_by_role("button", name="Dislike", exact=True).last.click()
    expect_text(page.locator("#colnato-feedback"), "What was wrong")
    reasons = page.locator("#colnato-reasons button")
    assert reasons.count() >= 3
    reason = "The article does answer this"
    page.locator("#colnato-reasons").get_by_role("button", name=reason).click()
    expect_text(page.locator("#colnato-feedback"), "noted")
    records = read_feedback(server, lambda rs: any(r.get("reason") == reason for r in rs))
    liked = [r for r in records if r["question"] == question]
    disliked = [r for r in records if r["question"] == OFF_TOPIC]
    assert liked and liked[-1]["liked"] is True and "Santos" in liked[-1]["answer"]
    assert disliked and disliked[0]["liked"] is False and disliked[0]["abstained"] is True
    assert disliked[-1]["reason"] == reason and disliked[-1]["liked"] is False
    assert all({"timestamp", "question", "answer", "liked"} <= set(r) for r in records)


def test_messages_have_readable_names_and_the_box_a_label(watched, server):
    page = watched.page
    open_chat(watched, server)
    assert page.get_by_role("textbox", name="Your question about the article").count() == 1
    ask_in_ui(page, ANSWERABLE)
    page.wait_for_function("""() => { const b = document.querySelector('#colnato-chat [data-testid="bot"]');
        return b && b.getAttribute('aria-label').startsWith('Answer:'); }""")
    bot = page.locator("#colnato-chat [data-testid='bot']").last.get_attribute("aria-label")
    user = page.locator("#colnato-chat [data-testid='user']").last.get_attribute("aria-label")
    assert "<" not in bot and "class=" not in bot and ANSWERABLE_FRAGMENT in bot
    assert user == f"You asked: {ANSWERABLE}"


def test_touch_targets_and_text_are_big_enough_on_a_phone(browser, server):
    with chat_at(browser, server, PHONE) as page:
        reply = ask_in_ui(page, FOLLOW_UP_FIRST)
        targets = page.locator("#colnato-chat .message-buttons button, #colnato-chat a.colnato-ref, "
                               "#colnato-chat details summary, #colnato-ask, #colnato-clear")
        sizes = [t.bounding_box() for t in targets.all() if t.is_visible()]
        assert len(sizes) >= 5
        small = [s for s in sizes if s["width"] < MIN_TARGET_PX or s["height"] < MIN_TARGET_PX]
        assert small == [], f"targets under {MIN_TARGET_PX}px: {small}"
        fonts = page.evaluate("""() => Array.from(document.querySelectorAll(
            '.colnato-refs, .colnato-ref, .colnato-sources-label, .colnato-cite summary, .colnato-related summary, '
            + '.colnato-para-n, .colnato-counter, .colnato-interpreted, .colnato-uncertain'))
            .map(e => [e.className, parseFloat(getComputedStyle(e).fontSize)])""")
        assert fonts and all(size >= MIN_TEXT_PX for _, size in fonts), fonts
        assert reply.is_visible()


def test_phone_width_layout(browser, server):
    with chat_at(browser, server, PHONE) as page:
        examples = page.locator("#colnato-chat a.colnato-suggest").first.bounding_box()
        assert examples["y"] < PHONE["height"], "the examples show on the first screen"
        reply = ask_in_ui(page, FOLLOW_UP_FIRST)
        reply.locator("details.colnato-cite summary").first.click()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scrolling"
        box = page.locator("#colnato-chat").bounding_box()
        assert box["width"] >= PHONE["width"] - 40, "the chat uses the phone's width"
        article = page.locator("#colnato-article").bounding_box()
        assert article["y"] > box["y"], "the article stacks below the chat"
        page.screenshot(path=artifact("chat-phone-390x844.png"))


# -- axe-core ----------------------------------------------------------------------------------------------
def axe_problems(page) -> list[str]:
    """axe-core's serious and critical violations on the page (axe-core from node_modules, put in the page)."""
    assert AXE_JS.is_file(), f"{AXE_JS} is missing: run `make install` (it runs `npm ci`)"
    # Colours are judged as they settle: a marked sentence fades its background in (0.4 s), and axe run mid-fade
    # measures a colour the reader only glimpses.
    page.wait_for_function("document.getAnimations().every(a => !(a instanceof CSSTransition))", timeout=5000)
    page.add_script_tag(path=str(AXE_JS))
    violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
        .violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))""")
    return [f"{v['impact']} {v['id']}: {v['nodes'][:3]}" for v in violations if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_axe_finds_no_serious_problem_on_the_chat_page(watched, server, theme):
    page = watched.page
    watched.page.goto(server.url + ("/?__theme=dark" if theme == "dark" else "/"))
    page.wait_for_selector(QUESTION_BOX)
    assert axe_problems(page) == [], "the empty chat"
    for question in (FOLLOW_UP_FIRST, "hello", OFF_TOPIC):
        ask_in_ui(page, question)
    page.locator("#colnato-chat details summary").first.click()
    page.locator("#colnato-chat a.colnato-ref").first.click()
    page.get_by_role("button", name="Dislike", exact=True).first.click()
    page.locator("#colnato-reasons button").first.wait_for()
    assert axe_problems(page) == [], "a conversation, a citation opened, the feedback question"
    page.screenshot(path=artifact(f"chat-axe-{theme}.png"))


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
        reply = page.locator("gradio-app .colnato-reply:not(.colnato-pending)").first
        reply.wait_for()
        assert "Ferdinand Miracle" in reply.inner_text()
        # a citation marks the quote in the component's article panel and leaves the host page's URL alone
        url = page.url
        reply.locator("a.colnato-ref").first.click()
        page.locator("gradio-app #colnato-article .colnato-marked").first.wait_for()
        assert "Ferdinand Miracle" in page.locator("gradio-app #colnato-article .colnato-marked").first.inner_text()
        assert page.url == url and "#" not in page.url
        assert w.foreign_requests == []
    finally:
        context.close()


def test_axe_finds_no_serious_problem_on_the_embed_example(browser, server, origins):
    context, w = open_embed_page(browser, origins["allowed"], server)
    page = w.page
    try:
        page.frame_locator("#chat-frame").locator(QUESTION_BOX).wait_for()
        ask_with_fetch(page, FOLLOW_UP_FIRST)
        page.click("#wc-button")
        page.locator(f"gradio-app {QUESTION_BOX}").wait_for()
        assert axe_problems(page) == []
    finally:
        context.close()


# A refused origin (each way says why and names the fix): tests/test_browser_embed.py.


# -- README screenshots ------------------------------------------------------------------------------------
@pytest.mark.slow
def test_the_screenshot_script_takes_the_laptop_and_phone_pictures(tmp_path):
    import struct
    import subprocess
    import sys

    done = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "screenshots.py"), "--out", str(tmp_path)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    sizes = {}
    for name in ("chat-laptop.png", "chat-phone.png"):
        head = (tmp_path / name).read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n"
        sizes[name] = struct.unpack(">II", head[16:24])
    assert sizes == {"chat-laptop.png": (1280, 800), "chat-phone.png": (390, 844)}
    for name in sizes:      # the README shows these pictures
        assert f"docs/images/{name}" in (REPO_ROOT / "README.md").read_text(encoding="utf-8")
