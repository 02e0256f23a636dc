"""The evaluation report in headless Chromium, opened from file:// (issue 9, item 9): failures
come first, a column header sorts the table (again: reversed), the filters narrow it, with no
network and no script error. Needs /usr/bin/chromium; Playwright's own browsers are never used.
"""

from __future__ import annotations

import pytest

from colnato_qa.evaluation.metrics import compute_metrics
from colnato_qa.evaluation.report import write_outputs
from colnato_qa.evaluation.runner import EvalRun
from tests.test_report import CASES, MISSES, results
from tests.web_fixtures import ARTIFACTS_DIR, CHROMIUM_MISSING, chromium


pytestmark = [
    pytest.mark.browser,
    CHROMIUM_MISSING,
]

ROWS = "#questions tbody tr"


@pytest.fixture(scope="module")
def report_url(tmp_path_factory):
    rs = results()
    out = tmp_path_factory.mktemp("report")
    paths = write_outputs(out, [EvalRun("hybrid (default)", rs, compute_metrics(rs))],
                          [item for item, _ in CASES.values()], threshold=0.3)
    return paths["report"].as_uri()


@pytest.fixture(scope="module")
def page(report_url):
    with chromium() as browser:
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.set_default_timeout(15_000)
        page.errors, page.requests = [], []
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
        page.on("request", lambda r: page.requests.append(r.url))
        page.goto(report_url)
        yield page


def visible(page) -> list[dict]:
    """The visible rows of the question table, top to bottom."""
    return page.eval_on_selector_all(ROWS, """rows => rows.filter(r => !r.hidden).map(r => ({
        id: r.cells[0].textContent, result: r.dataset.result,
        confidence: parseFloat(r.querySelector('td[data-label="confidence"]').textContent)}))""")


def click_header(page, name: str) -> None:
    page.locator("#questions thead th button", has_text=name).first.click()


def test_failures_come_first_and_the_page_loads_nothing(page, report_url):
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS_DIR / "eval-report.png"), full_page=True)
    failures = page.locator("#failures")
    assert failures.bounding_box()["y"] < page.locator("#metrics").bounding_box()["y"]
    shown = visible(page)
    assert [r["result"] for r in shown[:len(MISSES)]] == ["miss"] * len(MISSES)
    assert page.locator("#table-controls").is_visible(), "the script shows its controls"
    assert page.errors == []
    assert all(url == report_url for url in page.requests), page.requests


def test_a_header_sorts_and_sorts_back(page):
    click_header(page, "confidence")
    up = [r["confidence"] for r in visible(page)]
    assert up == sorted(up) and len(up) == len(CASES)
    assert page.locator("#questions th[aria-sort=ascending]").inner_text().startswith("confidence")
    click_header(page, "confidence")
    down = [r["confidence"] for r in visible(page)]
    assert down == sorted(down, reverse=True)
    click_header(page, "outcome")
    assert {r["id"] for r in visible(page)[:len(MISSES)]} == MISSES, "sorting by outcome: failures first"
    assert page.errors == []


def test_filters_narrow_the_table(page):
    page.select_option("#filter-result", "miss")
    assert {r["id"] for r in visible(page)} == MISSES
    assert page.locator("#filter-count").inner_text().startswith(f"{len(MISSES)} of {len(CASES)}")
    page.select_option("#filter-result", "all")
    page.fill("#filter-text", "world cup")
    assert [r["id"] for r in visible(page)] == ["u1"]
    page.fill("#filter-text", "")
    assert len(visible(page)) == len(CASES)
    assert page.errors == []


def test_the_report_reads_on_a_phone_without_clipping(page, report_url):
    if True:
        context = page.context.browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                      device_scale_factor=2)
        phone = context.new_page()
        phone.goto(report_url)
        outside = phone.evaluate("""() => {
            const width = document.documentElement.clientWidth;
            const cut = [];
            document.querySelectorAll('#questions td, #failure-table td, #metrics-table td, h1, h2, p, svg').forEach(el => {
                const r = el.getBoundingClientRect();
                if (r.width && (r.right > width + 1 || r.left < -1)) cut.push(el.tagName + ' ' + (el.dataset.label || '') + ' ' + Math.round(r.right));
            });
            return {scroll: document.documentElement.scrollWidth, width: width, cut: cut.slice(0, 8)};
        }""")
        ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=str(ARTIFACTS_DIR / "eval-report-phone.png"), full_page=False)
        context.close()
    assert outside["scroll"] <= outside["width"] and outside["cut"] == [], outside
