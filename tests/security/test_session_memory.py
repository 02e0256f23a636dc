"""Item 8 of issue 18: the memory a chat session costs, as docs/security.md states it.

``SESSIONS`` sessions each ask ``chat_max_turns`` questions through the page's queue (reading their
answers, as the page does); the growth of the server's private memory (RssAnon: not the shared pages
of read-only files it maps, tools.private_mb) per session must not pass the per-session
figure docs/security.md states ("a full session holds about N kB"), and the figure must not
overstate it more than twice (slow: 4,000 chat events). Bounded, on 127.0.0.1."""

from __future__ import annotations

import gc
import re

import pytest

from colnato_qa.settings import default_of
from tests.security.conftest import new_session
from tests.security.tools import private_mb
from tests.web_fixtures import REPO_ROOT

SESSIONS = 200
TURNS = default_of("chat_max_turns")        # the server runs with the default limits
QUESTIONS = ["When was the ITPP signed?", "What did Colombia sign in 2013?", "Who wrote this article?",
             "When was it announced that Colombia would become a NATO global partner?"]

pytestmark = pytest.mark.slow


def stated_kb() -> float:
    text = (REPO_ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    match = re.search(r"a full session holds about (\d+) kB", text)
    assert match, "docs/security.md states no per-session memory"
    return float(match.group(1))


def test_a_full_session_costs_what_the_docs_state(target, chat):
    for n in range(3):                               # warm up: the first events allocate for good
        chat.ask(new_session(), QUESTIONS[n])
    gc.collect()
    before = private_mb(target.server)
    for _ in range(SESSIONS):
        session = new_session()
        for turn in range(TURNS):
            chat.ask(session, QUESTIONS[turn % len(QUESTIONS)] + f" ({turn})")
    after = private_mb(target.server)
    per_session_kb = (after - before) * 1024 / SESSIONS
    print(f"\n{SESSIONS} sessions of {TURNS} turns: private memory {before:.0f} -> {after:.0f} MB, "
          f"{per_session_kb:.0f} kB a session")
    stated = stated_kb()
    assert per_session_kb <= stated
    assert stated <= 2 * max(per_session_kb, 50)
