"""examples/embed.html from another origin, in headless Chromium (issue 9, item 8; issue 20,
item 7): when the chatbot server does not allow the page's origin, the page names the fix (the
origin to add to COLNATO_QA_ALLOWED_ORIGINS) once, and each of the three ways of embedding
(iframe, fetch() form, web component) points to it; when it does, all three work, the frame
fits the documented 760 px, the chat's theme is the page's choice (?theme=light|dark|auto), and
the web component keeps the host page's styles out (axe-core in both themes).

The page is served from a second 127.0.0.1 port (another origin); two chatbot servers run, one
started with that origin allowed and one without. Needs /usr/bin/chromium; Playwright drives it
(its own browser downloads are never used). Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import re
import socket
import time
from urllib.parse import urlsplit

import pytest

from tests.web_fixtures import (
    ARTIFACTS_DIR,
    CHROMIUM_MISSING,
    EXAMPLES_DIR,
    REPO_ROOT,
    chromium,
    running_server,
    static_server,
)

UI_TIMEOUT_MS = 30_000
SETTING = "COLNATO_QA_ALLOWED_ORIGINS"
QUESTION_BOX = "#colnato-question textarea"
REPLY = ".colnato-reply"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.server,
    CHROMIUM_MISSING,
]


# -- fixtures ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def page_origin():
    """The embedding site: examples/ on its own 127.0.0.1 port."""
    with static_server(EXAMPLES_DIR) as origin:
        yield origin


@pytest.fixture(scope="module")
def allowing(page_origin, tmp_path_factory):
    """A chatbot server with the page's origin in its allow-list."""
    tmp = tmp_path_factory.mktemp("allowing")
    with running_server(tmp, {SETTING: page_origin}) as server:
        yield server


@pytest.fixture(scope="module")
def refusing(tmp_path_factory):
    """A chatbot server that allows another site only."""
    tmp = tmp_path_factory.mktemp("refusing")
    with running_server(tmp, {SETTING: "https://news.example"}) as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(UI_TIMEOUT_MS)
    foreign: list[str] = []
    context.on("request", lambda r: foreign.append(r.url) if urlsplit(r.url).hostname not in (None, "127.0.0.1")
               and urlsplit(r.url).scheme in ("http", "https", "ws", "wss") else None)
    yield context
    context.close()
    assert foreign == [], "the page asks nothing of other hosts"


def open_embed_page(context, page_origin: str, server_url: str):
    page = context.new_page()
    page.goto(f"{page_origin}/embed.html?server={server_url}")
    return page


def artifact(name: str) -> str:
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return str(ARTIFACTS_DIR / name)


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]       # closed again when the socket is: nothing listens there


def assert_points_to_the_fix(problem) -> None:
    """A refusal explained at the top of the page: this place says what failed and links there."""
    assert "at the top of the page" in problem.inner_text()
    assert problem.locator("a[href='#embed-status']").count() == 1
    assert SETTING not in problem.inner_text(), "the fix is told once, at the top"


def assert_names_the_fix(text: str, page_origin: str) -> None:
    assert page_origin in text, text
    assert SETTING in text, text
    assert f"{SETTING}={page_origin}" in text, text
    assert "Failed to fetch" not in text


# -- refused ------------------------------------------------------------------------------------------
def test_refused_origin_frame_shows_the_fix_instead_of_an_error_page(context, page_origin, refusing):
    page = open_embed_page(context, page_origin, refusing.url)
    problem = page.locator("#frame-problem .problem")
    problem.wait_for()
    assert_points_to_the_fix(problem)
    assert_names_the_fix(page.locator("#embed-status").inner_text(), page_origin)
    frame = page.locator("#chat-frame")
    assert frame.is_hidden() and frame.get_attribute("src") is None, "no frame the browser would refuse"
    assert all(not f.url.startswith("chrome-error://") for f in page.frames)
    page.screenshot(path=artifact("embed-refused-origin.png"), full_page=True)


def test_refused_origin_form_names_the_fix_instead_of_failed_to_fetch(context, page_origin, refusing):
    page = open_embed_page(context, page_origin, refusing.url)
    page.fill("#question", "Who wrote the article?")
    page.click("#ask-button")
    problem = page.locator("#answer .problem")
    problem.wait_for()
    assert_points_to_the_fix(problem)
    assert_names_the_fix(page.locator("#embed-status").inner_text(), page_origin)
    assert page.locator("#answer .answer").count() == 0
    assert page.locator("#ask-button").is_enabled()


def test_refused_origin_web_component_button_names_the_fix(context, page_origin, refusing):
    page = open_embed_page(context, page_origin, refusing.url)
    page.click("#wc-button")
    problem = page.locator("#wc-host .problem")
    problem.wait_for()
    assert_points_to_the_fix(problem)
    assert page.locator("gradio-app").count() == 0
    assert page.locator("#wc-button").is_enabled(), "the owner can try again once the server is fixed"


def test_refused_origin_gets_one_message(context, page_origin, refusing):
    page = open_embed_page(context, page_origin, refusing.url)
    page.locator("#frame-problem .problem").wait_for()
    page.fill("#question", "Who wrote the article?")
    page.click("#ask-button")
    page.locator("#answer .problem").wait_for()
    page.click("#wc-button")
    page.locator("#wc-host .problem").wait_for()
    text = page.locator("body").inner_text()
    assert text.count(f"{SETTING}={page_origin}") == 1, text
    assert text.count("is not in " + SETTING) == 1, text


def test_refused_origin_is_still_refused_by_the_browser(context, page_origin, refusing):
    """The explanation opens nothing: the API's answers and the framed chat stay out of reach."""
    page = open_embed_page(context, page_origin, refusing.url)
    page.locator("#embed-status .problem").wait_for()
    outcome = page.evaluate("""async (server) => {
        try {
            const r = await fetch(server + "/api/ask", {method: "POST", headers: {"Content-Type": "application/json"},
                                                        body: JSON.stringify({question: "Who wrote the article?"})});
            return "read: " + (await r.text());
        } catch (err) { return "refused: " + err.name; }
    }""", refusing.url)
    assert outcome == "refused: TypeError", outcome
    page.evaluate("""(server) => {
        const frame = document.getElementById("chat-frame");
        frame.hidden = false;
        frame.src = server + "/";
    }""", refusing.url)
    deadline = time.monotonic() + 10
    while not any(f.url.startswith("chrome-error://") for f in page.frames) and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert any(f.url.startswith("chrome-error://") for f in page.frames), "frame-ancestors keeps the chat out"


def test_a_server_that_is_not_running_is_told_apart(context, page_origin):
    page = open_embed_page(context, page_origin, f"http://127.0.0.1:{closed_port()}")
    status = page.locator("#embed-status .problem")
    status.wait_for()
    text = status.inner_text()
    assert "Could not reach" in text and "is it running" in text
    assert SETTING not in text, "not an origin problem: the server is not there"


def test_a_server_that_answers_without_cors_names_both_allow_lists(context, page_origin):
    # A plain static server on a third port stands in for a chatbot that answers without letting
    # this page read the answer (its host name not served, or no /api/embed-check).
    with static_server(EXAMPLES_DIR) as other:
        page = open_embed_page(context, page_origin, other)
        status = page.locator("#embed-status .problem")
        status.wait_for()
        text = status.inner_text()
    assert "answers, but not to this page" in text
    assert page_origin in text and SETTING in text and "COLNATO_QA_ALLOWED_HOSTS" in text


# -- allowed ------------------------------------------------------------------------------------------
def test_allowed_origin_still_gets_all_three(context, page_origin, allowing):
    page = open_embed_page(context, page_origin, allowing.url)
    frame = page.frame_locator("#chat-frame")
    frame.locator(QUESTION_BOX).wait_for()
    assert page.locator(".problem").count() == 0
    assert page_origin in page.locator("#embed-status").inner_text()

    page.fill("#question", "What agreement did Colombia sign in 2013?")
    page.click("#ask-button")
    page.locator("#answer .answer").wait_for()
    assert "Agreement on Cooperation and Security of Information" in page.locator("#answer").inner_text()

    page.click("#wc-button")
    box = page.locator(f"gradio-app {QUESTION_BOX}")
    box.wait_for()
    box.fill("Who wrote the article?")
    box.press("Enter")
    reply = page.locator(f"gradio-app {REPLY}").first
    reply.wait_for()
    assert "Ferdinand Miracle" in reply.inner_text()
    assert page.locator(".problem").count() == 0


# -- the README's snippets, as a site owner would paste them ----------------------------------------------
def readme_snippets() -> list[str]:
    """The README's ```html blocks that script against the server (they hold a <script>)."""
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```html\n(.*?)```", text, flags=re.S)
    return [b for b in blocks if "<script>" in b and "/api/embed-check" in b]


@pytest.fixture(scope="module")
def snippet_pages(tmp_path_factory, refusing):
    """Each README snippet in a page of its own (HOST:7860 -> the refusing server), served from a
    second 127.0.0.1 port; yields (origin, {kind: file name})."""
    root = tmp_path_factory.mktemp("snippets")
    pages = {}
    for block in readme_snippets():
        kind = "form" if "ask-form" in block else "frame"
        html = block.replace("http://HOST:7860", refusing.url)
        (root / f"{kind}.html").write_text(f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{kind}"
                                           f"</title></head><body>{html}</body></html>", encoding="utf-8")
        pages[kind] = f"{kind}.html"
    assert set(pages) == {"form", "frame"}, "the README shows the checked iframe and the fetch form"
    with static_server(root) as origin:
        yield origin, pages


def test_readme_snippets_name_the_fix_for_a_refused_origin(context, snippet_pages):
    origin, pages = snippet_pages
    page = context.new_page()
    page.goto(f"{origin}/{pages['frame']}")
    problem = page.locator("#chat-problem")
    problem.wait_for()
    assert_names_the_fix(problem.inner_text(), origin)
    assert page.locator("iframe").is_hidden()

    page.goto(f"{origin}/{pages['form']}")
    page.fill("#question", "Who wrote the article?")
    page.click("#ask-form button")
    answer = page.locator("#answer")
    page.wait_for_function("() => document.getElementById('answer').textContent.trim().length > 0")
    assert_names_the_fix(answer.inner_text(), origin)


# -- fit, theme and isolation (issue 20, item 7) ---------------------------------------------------------
FRAME_HEIGHT = 760          # the height README.md and examples/embed.html give the iframe
MAX_SIDE_MARGIN_PX = 24

CONTRAST_JS = """(el) => {
  function rgba(s) { const m = s.match(/rgba?\\(([^)]+)\\)/); if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; }
  function lum(c) { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; }
  let bg = [255, 255, 255, 1];
  for (let e = el; e; e = e.parentElement) { const c = rgba(getComputedStyle(e).backgroundColor); if (c[3] > 0.5) { bg = c; break; } }
  const x = lum(rgba(getComputedStyle(el).color)), y = lum(bg);
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
}"""


# How light what is drawn behind an element is (0 black, 1 white): its first opaque background.
LUMINANCE_BEHIND_JS = """(el) => {
  for (let e = el; e; e = e.parentElement) {
    const m = getComputedStyle(e).backgroundColor.match(/[\\d.]+/g);
    if (m && (m.length < 4 || +m[3] > 0.5)) return (0.2126 * m[0] + 0.7152 * m[1] + 0.0722 * m[2]) / 255;
  }
  return 1;
}"""


def test_the_frame_fits_its_content_at_the_documented_size(context, page_origin, allowing):
    page = open_embed_page(context, page_origin, allowing.url)
    frame_el = page.locator("#chat-frame")
    frame = page.frame_locator("#chat-frame")
    frame.locator(QUESTION_BOX).wait_for()
    assert round(frame_el.bounding_box()["height"]) == FRAME_HEIGHT + 2      # 760 px and its 1 px border
    inner = frame.locator("body").evaluate("""() => {
        const box = document.querySelector('#colnato-question textarea').getBoundingClientRect();
        const ask = document.querySelector('#colnato-ask').getBoundingClientRect();
        const chat = document.querySelector('#colnato-chat').getBoundingClientRect();
        const article = document.querySelector('#colnato-article').getBoundingClientRect();
        return {boxBottom: Math.max(box.bottom, ask.bottom), view: window.innerHeight, scrollY: window.scrollY,
                left: chat.left, right: document.documentElement.clientWidth - article.right};
    }""")
    assert inner["scrollY"] == 0 and inner["boxBottom"] <= inner["view"], inner
    assert inner["left"] <= MAX_SIDE_MARGIN_PX and inner["right"] <= MAX_SIDE_MARGIN_PX, inner
    page.screenshot(path=artifact("embed-frame-fit.png"))


@pytest.mark.parametrize("theme, system, dark", [("light", "dark", False), ("dark", "light", True),
                                                  ("auto", "dark", True), ("auto", "light", False)])
def test_the_embedding_page_chooses_the_chats_theme(browser, page_origin, allowing, theme, system, dark):
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, color_scheme=system)
    try:
        page = context.new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        page.goto(f"{page_origin}/embed.html?server={allowing.url}&theme={theme}")
        frame = page.frame_locator("#chat-frame")
        frame.locator(QUESTION_BOX).wait_for()
        page.wait_for_timeout(300)
        luminance = frame.locator("#colnato-chat").evaluate(LUMINANCE_BEHIND_JS)
        assert (luminance < 0.3) is dark, luminance
        page.click("#wc-button")
        page.locator(f"gradio-app {QUESTION_BOX}").wait_for()
        page.wait_for_timeout(300)
        wc = page.locator("gradio-app #colnato-chat").evaluate(LUMINANCE_BEHIND_JS)
        assert (wc < 0.3) is dark, wc
    finally:
        context.close()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_web_component_keeps_the_host_pages_styles_out(browser, page_origin, allowing, theme):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    try:
        page = context.new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        page.goto(f"{page_origin}/embed.html?server={allowing.url}&theme={theme}")
        page.click("#wc-button")
        box = page.locator(f"gradio-app {QUESTION_BOX}")
        box.wait_for()
        paragraphs = page.locator("gradio-app section.colnato-para")
        assert paragraphs.count() > 5
        backgrounds = {paragraphs.nth(i).evaluate("e => getComputedStyle(e).backgroundColor") for i in range(3)}
        assert backgrounds <= {"rgba(0, 0, 0, 0)", "transparent"}, "the host's section{background:#fff} stays out"
        low = [i for i in range(paragraphs.count())
               if paragraphs.nth(i).locator("p").evaluate(CONTRAST_JS) < 4.5]
        assert low == [], low
        box.fill("Who wrote the article?")
        box.press("Enter")
        reply = page.locator("gradio-app .colnato-reply:not(.colnato-pending)").first
        reply.wait_for()
        reply.locator("a.colnato-ref").first.click()
        marked = page.locator("gradio-app #colnato-article .colnato-marked").first
        marked.wait_for()
        page.wait_for_timeout(600)
        texts = marked.locator("h2, p, span").all() or [marked]
        assert min(t.evaluate(CONTRAST_JS) for t in texts) >= 4.5, "the title highlight stays readable"
        from tests.test_browser import axe_problems
        assert axe_problems(page) == []
        page.screenshot(path=artifact(f"embed-web-component-{theme}.png"), full_page=True)
    finally:
        context.close()
