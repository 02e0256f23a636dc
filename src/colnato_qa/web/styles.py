"""The chat page's theme, and its CSS and head script, rendered from ``templates/`` (chat.css,
head.html, chat.js) with the shared element ids of ``ids``."""

from __future__ import annotations

from typing import Any

from . import templates

# System fonts only: the page requests no web font (no Google Fonts, no font files).
SYSTEM_FONTS = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"]
MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]



def theme() -> Any:
    """Gradio's default theme, system fonts, with muted text and the primary button dark enough
    for WCAG AA contrast (4.5:1) in light and dark mode."""
    import gradio as gr

    return gr.themes.Default(primary_hue="blue", font=SYSTEM_FONTS, font_mono=MONO_FONTS).set(
        body_text_color_subdued="*neutral_600",
        body_text_color_subdued_dark="*neutral_400",
        block_label_text_color="*neutral_600",
        button_primary_background_fill="*primary_600",
        button_primary_background_fill_hover="*primary_700",
        button_primary_background_fill_dark="*primary_600",
        button_primary_background_fill_hover_dark="*primary_700",
    )


# The chat's height inside a frame (desktop width): the documented 760 px frame holds the header,
# this chat, the question box and its controls (tests/test_browser_embed.py measures it).
EMBEDDED_CHAT_PX = 430
EMBEDDED_ARTICLE_PX = 640


def css() -> str:
    """The chat page's CSS (templates/chat.css)."""
    return templates.render("chat.css")


def head() -> str:
    """What the chat page adds to its <head>: unscoped styles and the page's script (templates/head.html)."""
    return templates.render("head.html", embedded_chat_px=EMBEDDED_CHAT_PX, embedded_article_px=EMBEDDED_ARTICLE_PX)
