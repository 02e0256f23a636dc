"""The element ids the chat page's Python and its script share, defined once.

``chat_ui`` gives them to Gradio's components (``elem_id``); the page's CSS and script are
Jinja templates (``templates/``) that read them from here (``IDS``), so a renamed id cannot
leave the script looking for the old one.
"""

from __future__ import annotations

HEADER = "colnato-header"
CHAT = "colnato-chat"
COMPOSER = "colnato-composer"
QUESTION = "colnato-question"
ASK = "colnato-ask"
CONTROLS = "colnato-controls"
COUNTER = "colnato-counter"
SKIP = "colnato-skip"
RETRY = "colnato-retry"
CLEAR = "colnato-clear"
FEEDBACK = "colnato-feedback"
REASONS = "colnato-reasons"
ARTICLE = "colnato-article"
LANGUAGE = "colnato-language"

IDS = {name.lower(): value for name, value in dict(globals()).items() if name.isupper() and isinstance(value, str)}


def article_panel(doc_index: int) -> str:
    """The id of the article panel of document ``doc_index`` (the first is ``colnato-article``)."""
    return ARTICLE if doc_index == 0 else f"{ARTICLE}-{doc_index + 1}"
