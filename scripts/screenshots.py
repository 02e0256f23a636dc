"""Take the README's screenshots from the real chat page: a laptop (1280x800) with a question
answered and its citation marked in the article panel, and a phone (390x844) with the answer.

    .venv/bin/python scripts/screenshots.py [--out docs/images] [--chromium /usr/bin/chromium]

Serves the app (the project's corpus and index, built if missing) on a free 127.0.0.1 port in
this process, drives Debian's Chromium with Playwright (never ``playwright install``), writes
OUT/chat-laptop.png and OUT/chat-phone.png, and stops the server.
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "docs" / "images"
DEFAULT_CHROMIUM = Path("/usr/bin/chromium")
QUESTION = "What agreement did Colombia sign in 2013?"
SHOTS = {   # name: (viewport, open the citation in the article)
    "chat-laptop.png": ({"width": 1280, "height": 800}, True),
    "chat-phone.png": ({"width": 390, "height": 844}, False),
}
READY_TIMEOUT_S = 120.0
UI_TIMEOUT_MS = 60_000


@contextlib.contextmanager
def serving() -> Iterator[str]:
    """The app on a free 127.0.0.1 port in a thread of this process; yields its URL."""
    from colnato_qa.offline import pin_offline_environment

    pin_offline_environment()
    import uvicorn

    from colnato_qa.web.server import create_app

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(feedback_path=Path(tmp) / "feedback.jsonl", allowed_origins=[])
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError(f"the app did not start on 127.0.0.1:{port}")
            time.sleep(0.1)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(timeout=10)


def take(url: str, out: Path, chromium: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=["--no-sandbox", "--disable-gpu"])
        try:
            for name, (viewport, open_citation) in SHOTS.items():
                phone = viewport["width"] < 640
                context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone,
                                              reduced_motion="reduce")
                page = context.new_page()
                page.set_default_timeout(UI_TIMEOUT_MS)
                page.goto(url + "/")
                page.fill("#colnato-question textarea", QUESTION)
                page.press("#colnato-question textarea", "Enter")
                page.wait_for_selector("#colnato-chat .colnato-reply:not(.colnato-pending)")
                if open_citation:
                    page.locator("#colnato-chat details.colnato-cite summary").first.click()
                    page.locator("#colnato-chat a.colnato-ref").first.click()
                    page.wait_for_selector("#colnato-article .colnato-marked")
                page.wait_for_timeout(300)
                page.mouse.move(0, 0)
                path = out / name
                page.screenshot(path=str(path))
                written.append(path)
                context.close()
        finally:
            browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"folder for the PNGs (default {DEFAULT_OUT})")
    parser.add_argument("--chromium", type=Path, default=DEFAULT_CHROMIUM, help="the Chromium executable")
    args = parser.parse_args(argv)
    if not args.chromium.is_file():
        parser.error(f"{args.chromium} not found: install Chromium (apt-get install -y chromium) or pass --chromium PATH")
    with serving() as url:
        for path in take(url, args.out, args.chromium):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
