"""The chat page as a reader on a phone, in dark mode or at the keyboard meets it (issue 20), in
headless Chromium: each new question and its answer scrolled into view; marked text readable
in every state, light and dark; the thumbs-down prompt in view beside the thumbs; the
conversation kept across a reload, and "New conversation"; an over-long paste kept and measured;
next questions and a copy link after an answer; the latest answer's [1] within three Tabs of the
question box and a visible focus ring; the page saying it reads English; axe-core after each of
those interactions, light and dark.

Needs /usr/bin/chromium (Playwright drives it; its own browser downloads are never used) and
axe-core from node_modules. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import contextlib
import json
import time

import pytest

from tests.test_browser import AXE_JS, QUESTION_BOX, REPLY, ask_in_ui, axe_problems
from tests.web_fixtures import (
    ANSWERABLE,
    ARTIFACTS_DIR,
    CHROMIUM_MISSING,
    FOLLOW_UP_FIRST,
    FOLLOW_UP_SECOND,
    OFF_TOPIC,
    chromium,
    running_server,
)

pytestmark = [pytest.mark.browser, CHROMIUM_MISSING]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
UI_TIMEOUT_MS = 30_000
MIN_TEXT_CONTRAST = 4.5      # WCAG 1.4.3
MIN_FOCUS_CONTRAST = 3.0     # WCAG 1.4.11
LIMIT = 1000

# The contrast of an element's text against what is drawn behind it (the first opaque background
# up its ancestors), as WCAG computes it.
CONTRAST_JS = """
(() => {
  function rgba(s) { const m = s.match(/rgba?\\(([^)]+)\\)/); if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; }
  function lum(c) { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; }
  function behind(el) {
    for (let e = el; e; e = e.parentElement) { const c = rgba(getComputedStyle(e).backgroundColor); if (c[3] > 0.5) return c; }
    return [255, 255, 255, 1];
  }
  function ratio(a, b) { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); }
  window.__contrast = (el) => ratio(rgba(getComputedStyle(el).color), behind(el));
  window.__ratio = ratio; window.__rgba = rgba; window.__behind = behind;
})();
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reader")
    with running_server(tmp, {"COLNATO_QA_FEEDBACK": str(tmp / "feedback.jsonl")}) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@contextlib.contextmanager
def chat(browser, server, viewport=DESKTOP, theme: str = "light", context=None):
    """A fresh page (a fresh browser profile unless ``context`` is given) on the chat."""
    phone = viewport is PHONE
    own = context is None
    if own:
        context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone,
                                      device_scale_factor=2 if phone else 1, color_scheme=theme,
                                      reduced_motion="reduce")
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    try:
        page.goto(server.url + "/" + ("?__theme=dark" if theme == "dark" else "?__theme=light"))
        page.wait_for_selector(QUESTION_BOX)
        page.add_init_script(CONTRAST_JS)
        page.evaluate(CONTRAST_JS)
        yield page
    finally:
        page.close()
        if own:
            context.close()


def artifact(name: str) -> str:
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return str(ARTIFACTS_DIR / name)


def settle(page, ms: int = 400) -> None:
    page.wait_for_timeout(ms)


def low_contrast(page, selector: str) -> list[tuple[str, float]]:
    """(text, contrast) of each text-bearing element under ``selector`` below 4.5:1."""
    return page.evaluate("""(sel) => {
        const out = [];
        document.querySelectorAll(sel).forEach(root => {
            [root, ...root.querySelectorAll('*')].forEach(el => {
                const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
                if (!own || !el.getClientRects().length) return;
                const c = window.__contrast(el);
                if (c < 4.5) out.push([el.textContent.trim().slice(0, 40), Math.round(c * 100) / 100]);
            });
        });
        return out;
    }""", selector)


# -- 1. scrolling ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "laptop"])
def test_each_new_question_and_the_start_of_its_answer_are_in_view(browser, server, viewport):
    with chat(browser, server, viewport) as page:
        for question in (FOLLOW_UP_FIRST, ANSWERABLE, "Who was Juan Manuel Santos?"):
            reply = ask_in_ui(page, question)
            settle(page)
            where = page.evaluate("""() => {
                const users = document.querySelectorAll('#colnato-chat [data-testid="user"]');
                const q = users[users.length - 1].getBoundingClientRect();
                const replies = document.querySelectorAll('#colnato-chat .colnato-reply:not(.colnato-pending)');
                const a = replies[replies.length - 1].getBoundingClientRect();
                return {qTop: q.top, qBottom: q.bottom, aTop: a.top, view: window.innerHeight};
            }""")
            assert 0 <= where["qTop"] and where["qBottom"] <= where["view"], (question, where)
            assert where["aTop"] + 40 <= where["view"], ("the answer's start is in view", question, where)
        page.screenshot(path=artifact(f"reader-scroll-{viewport['width']}.png"))


# -- 2. contrast ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_marked_text_keeps_its_contrast_everywhere(browser, server, theme):
    with chat(browser, server, DESKTOP, theme) as page:
        reply = ask_in_ui(page, FOLLOW_UP_FIRST)
        reply.locator("details.colnato-cite summary").first.click()          # the source, its quote marked
        assert low_contrast(page, "#colnato-chat .colnato-passage") == []
        reply.locator("a.colnato-ref").first.click()                          # the quote marked in the article
        page.locator("#colnato-article .colnato-marked").first.wait_for()
        settle(page)
        assert low_contrast(page, "#colnato-article .colnato-marked") == []
        reply.locator("details.colnato-related summary").click()             # a related paragraph marked
        reply.locator("details.colnato-related a.colnato-jump").first.click()
        page.wait_for_function("document.querySelector('#colnato-article section.colnato-marked') !== null")
        settle(page)
        assert low_contrast(page, "#colnato-article .colnato-marked") == []
        page.screenshot(path=artifact(f"reader-related-marked-{theme}.png"))
    with chat(browser, server, PHONE, theme) as page:                        # the phone sheet
        reply = ask_in_ui(page, FOLLOW_UP_FIRST)
        reply.locator("a.colnato-ref").first.click()
        page.locator("#colnato-article.colnato-sheet .colnato-marked").first.wait_for()
        settle(page)
        assert low_contrast(page, "#colnato-article .colnato-marked") == []


# -- 3. feedback ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["laptop", "phone"])
def test_the_thumbs_down_prompt_opens_in_view_beside_the_thumbs(browser, server, viewport):
    with chat(browser, server, viewport) as page:
        ask_in_ui(page, FOLLOW_UP_FIRST)
        ask_in_ui(page, OFF_TOPIC)
        settle(page)
        row = page.locator("#colnato-chat .message-row").last
        like = row.get_by_role("button", name="Like", exact=True)
        dislike = row.get_by_role("button", name="Dislike", exact=True)
        assert like.bounding_box()["x"] < dislike.bounding_box()["x"], "Like comes first, then Dislike"
        dislike.click()
        page.locator("#colnato-reasons button").first.wait_for()
        settle(page)
        thumbs = max((b.bounding_box() for b in row.locator(".message-buttons button").all()), key=lambda b: b["x"])
        prompt = page.locator("#colnato-feedback").bounding_box()
        reasons = [b.bounding_box() for b in page.locator("#colnato-reasons button").all()]
        view = viewport["height"]
        for box in [thumbs, prompt, *reasons]:
            assert 0 <= box["y"] and box["y"] + box["height"] <= view, ("in view", box)
        assert prompt["y"] - (thumbs["y"] + thumbs["height"]) < 200, "the prompt is next to the thumbs"
        assert len({round(b["height"]) for b in reasons}) == 1, [b["height"] for b in reasons]
        assert "What was wrong" in page.locator("#colnato-feedback").inner_text()
        page.screenshot(path=artifact(f"reader-feedback-{viewport['width']}.png"))


# -- 4. reloads ---------------------------------------------------------------------------------------
def test_a_reload_keeps_the_conversation_and_new_conversation_clears_it(browser, server):
    context = browser.new_context(viewport=DESKTOP)
    try:
        with chat(browser, server, context=context) as page:
            first = ask_in_ui(page, FOLLOW_UP_FIRST).inner_text()
            page.reload()
            page.wait_for_selector(REPLY)
            assert page.locator("#colnato-chat [data-testid='user']").all_inner_texts() == [FOLLOW_UP_FIRST]
            assert page.locator(REPLY).first.inner_text() == first, "the reply is the one first given"
            follow = ask_in_ui(page, FOLLOW_UP_SECOND)
            assert "Read as" in follow.inner_text(), "the reloaded conversation is the follow-up's history"
        with chat(browser, server, context=context) as page:                # a second tab of the same browser
            page.wait_for_function("document.querySelectorAll('#colnato-chat [data-testid=\"user\"]').length === 2")
            page.get_by_role("button", name="New conversation", exact=True).click()
            page.wait_for_function(f"document.querySelectorAll({json.dumps(REPLY)}).length === 0")
            page.reload()
            page.wait_for_selector(QUESTION_BOX)
            settle(page, 1500)
            assert page.locator(REPLY).count() == 0, "a new conversation stays new after a reload"
            assert "Read as" not in ask_in_ui(page, FOLLOW_UP_SECOND).inner_text()
    finally:
        context.close()


def test_the_conversation_is_in_the_browser_not_the_server(browser, server):
    """The same browser storage on a page whose server session is new (as after a replica's death)
    still holds the conversation: the server rebuilds it from what the browser sends."""
    context = browser.new_context(viewport=DESKTOP)
    try:
        with chat(browser, server, context=context) as page:
            ask_in_ui(page, FOLLOW_UP_FIRST)
            stored = page.evaluate("Object.keys(localStorage)")
            assert any("colnato-qa-conversation" in key for key in stored), stored
        other = browser.new_context(viewport=DESKTOP, storage_state=context.storage_state())
        try:
            with chat(browser, server, context=other) as page:
                page.wait_for_selector(REPLY)
                assert "Read as" in ask_in_ui(page, FOLLOW_UP_SECOND).inner_text()
        finally:
            other.close()
    finally:
        context.close()


# -- 5. long pastes -----------------------------------------------------------------------------------
def test_an_over_long_paste_is_kept_whole_and_says_how_much_is_over(browser, server):
    with chat(browser, server) as page:
        paste = ("Colombia " * 334)[:2990] + " When was the ITPP signed?"
        assert len(paste) == 3016
        page.locator(QUESTION_BOX).focus()
        page.evaluate("""(text) => {
            const box = document.querySelector('#colnato-question textarea');
            const data = new DataTransfer(); data.setData('text/plain', text);
            box.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));
        }""", paste)
        if page.input_value(QUESTION_BOX) != paste:          # Chromium does not insert a synthetic paste
            page.keyboard.insert_text(paste)
        assert page.input_value(QUESTION_BOX) == paste, "nothing is cut"
        counter = page.locator("#colnato-counter .colnato-counter")
        over = len(" ".join(paste.split())) - LIMIT
        page.wait_for_function("document.querySelector('#colnato-counter .colnato-counter').textContent.includes('over')")
        assert f"{over} characters over the limit of {LIMIT}" in counter.inner_text()
        page.press(QUESTION_BOX, "Enter")
        page.wait_for_selector("#colnato-chat .colnato-error")
        assert str(LIMIT) in page.locator("#colnato-chat .colnato-error").inner_text()
        assert page.input_value(QUESTION_BOX) == paste, "the text stays to be shortened"


# -- 6. next questions and copy --------------------------------------------------------------------------
def test_an_answer_offers_next_questions_that_the_article_answers(browser, server):
    with chat(browser, server) as page:
        reply = ask_in_ui(page, FOLLOW_UP_FIRST)
        nexts = reply.locator(".colnato-next a.colnato-suggest")
        assert 2 <= nexts.count() <= 3
        asked = nexts.first.inner_text()
        before = page.locator(REPLY).count()
        nexts.first.click()
        page.wait_for_function(f"document.querySelectorAll({json.dumps(REPLY)}).length > {before}")
        answer = page.locator(REPLY).last
        assert asked in page.locator("#colnato-chat [data-testid='user']").last.inner_text()
        assert answer.locator(".colnato-answer:not(.colnato-abstained)").count() == 1, "the article answers it"
        assert ask_in_ui(page, OFF_TOPIC).locator(".colnato-next").count() == 0


def test_the_copy_link_copies_the_quote_with_its_citation(browser, server):
    context = browser.new_context(viewport=DESKTOP, permissions=["clipboard-read", "clipboard-write"])
    try:
        with chat(browser, server, context=context) as page:
            reply = ask_in_ui(page, FOLLOW_UP_FIRST)
            copy = reply.get_by_role("button", name="Copy the quote")
            copy.click()
            page.wait_for_function("() => document.querySelector('.colnato-copied').textContent === 'Copied'")
            copied = page.evaluate("navigator.clipboard.readText()")
            quote = reply.locator(".colnato-answer").inner_text().replace("[1]", "").strip()
            assert copied.startswith("“" + quote) and "Paragraph 4" in copied and "Colombia" in copied, copied
            assert "<" not in copied
    finally:
        context.close()


# -- 8. keyboard --------------------------------------------------------------------------------------------
def test_the_latest_answers_first_source_is_within_three_tabs_of_the_box(browser, server):
    with chat(browser, server) as page:
        ask_in_ui(page, FOLLOW_UP_FIRST)
        ask_in_ui(page, ANSWERABLE)
        page.locator(QUESTION_BOX).focus()
        for tabs in range(1, 4):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.classList.contains('colnato-skip')"):
                break
        else:
            pytest.fail("no skip link within 3 Tabs of the question box")
        assert page.evaluate("document.activeElement.getBoundingClientRect().width") > 10, "visible when focused"
        page.keyboard.press("Enter")
        focused = page.evaluate("""() => ({text: document.activeElement.textContent,
            cls: document.activeElement.className,
            inLast: [...document.querySelectorAll('#colnato-chat .colnato-reply')].pop().contains(document.activeElement)})""")
        assert focused == {"text": "[1]", "cls": "colnato-ref", "inLast": True}, focused


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_question_box_focus_ring_stands_out(browser, server, theme):
    with chat(browser, server, DESKTOP, theme) as page:
        page.locator("#colnato-ask").focus()
        page.keyboard.press("Shift+Tab")                     # keyboard focus: :focus-visible
        ring = page.evaluate("""() => {
            const box = document.querySelector('#colnato-question textarea');
            const s = getComputedStyle(box);
            const around = window.__behind(box.parentElement.parentElement);
            return {active: document.activeElement === box, width: parseFloat(s.outlineWidth), style: s.outlineStyle,
                    contrast: window.__ratio(window.__rgba(s.outlineColor), around)};
        }""")
        assert ring["active"] and ring["style"] != "none" and ring["width"] >= 2, ring
        assert ring["contrast"] >= MIN_FOCUS_CONTRAST, ring


# -- 9. language ----------------------------------------------------------------------------------------------
def test_the_page_says_it_reads_english(browser, server):
    with chat(browser, server) as page:
        assert "questions in English" in page.locator("#colnato-header").inner_text()


# -- axe-core after each interaction, light and dark ---------------------------------------------------------
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_axe_finds_no_serious_problem_after_each_interaction(browser, server, theme):
    assert AXE_JS.is_file()
    problems: dict[str, list[str]] = {}
    with chat(browser, server, DESKTOP, theme) as page:
        reply = ask_in_ui(page, FOLLOW_UP_FIRST)
        reply.locator("details.colnato-cite summary").first.click()
        reply.locator("a.colnato-ref").first.click()
        page.locator("#colnato-article .colnato-marked").first.wait_for()
        settle(page)
        problems["a citation opened"] = axe_problems(page)
        reply.locator("details.colnato-related summary").click()
        reply.locator("details.colnato-related a.colnato-jump").first.click()
        settle(page)
        problems["a related passage opened"] = axe_problems(page)
        page.locator("#colnato-chat .message-row").last.get_by_role("button", name="Dislike", exact=True).click()
        page.locator("#colnato-reasons button").first.wait_for()
        settle(page)
        problems["the thumbs-down prompt open"] = axe_problems(page)
        page.screenshot(path=artifact(f"reader-axe-{theme}.png"))
    with chat(browser, server, PHONE, theme) as page:
        reply = ask_in_ui(page, FOLLOW_UP_FIRST)
        reply.locator("a.colnato-ref").first.click()
        page.locator("#colnato-article.colnato-sheet").wait_for()
        settle(page)
        problems["the phone sheet open"] = axe_problems(page)
    assert {k: v for k, v in problems.items() if v} == {}
