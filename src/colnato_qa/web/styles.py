"""CSS, head script and theme of the chat page (kept in Python so they ship with the package)."""

from __future__ import annotations

from typing import Any

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


CSS = """
.colnato-header h1 { font-size: 1.45rem; line-height: 1.25; margin: 0 0 .3rem 0; }
.colnato-knows { margin: 0; color: var(--body-text-color); }
.colnato-knows cite { font-style: italic; }
.colnato-q { white-space: normal; overflow-wrap: anywhere; }
.colnato-reply { overflow-wrap: anywhere; }
.colnato-reply p { margin: .25rem 0; }
.colnato-interpreted { font-size: .9em; font-style: italic; color: var(--body-text-color-subdued); }
.colnato-answer { font-weight: 500; }
.colnato-abstained { font-weight: 600; }
.colnato-refs { font-size: .875rem; vertical-align: baseline; }
a.colnato-ref { display: inline-block; min-width: 24px; min-height: 24px; line-height: 24px; text-align: center;
  font-weight: 600; text-decoration: none; border-radius: 4px; color: var(--link-text-color); }
a.colnato-ref:hover, a.colnato-ref:focus-visible { text-decoration: underline; background: var(--background-fill-secondary); }
.colnato-uncertain { font-size: .875rem; color: var(--body-text-color); border-left: 3px solid #d97706;
  padding-left: .5rem; }
.colnato-sources { margin-top: .35rem; }
.colnato-sources-label, .colnato-suggest-label { font-size: .875rem; color: var(--body-text-color-subdued); }
.colnato-cite { border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: .3rem .6rem; margin: .35rem 0; background: var(--background-fill-secondary); }
.colnato-cite > summary, .colnato-related > summary { cursor: pointer; font-size: .9rem; min-height: 24px;
  line-height: 24px; }
.colnato-cite-n { font-weight: 700; }
.colnato-cite-where { font-weight: 600; }
.colnato-cite-snippet, .colnato-related-snippet { color: var(--body-text-color-subdued); }
.colnato-passage { margin: .5rem 0 .25rem 0; padding: 0 0 0 .75rem;
  border-left: 3px solid var(--color-accent); font-size: .95em; }
mark.colnato-mark { background: #fde68a; color: #1f2937; padding: 0 .1em; border-radius: 2px; }
.colnato-cite-foot { font-size: .9em; }
.colnato-related { margin: .35rem 0; }
.colnato-related > summary { color: var(--body-text-color-subdued); }
.colnato-related ul, .colnato-suggestions { margin: .25rem 0; padding-left: 1.2rem; }
.colnato-related li { margin: .25rem 0; }
a.colnato-jump, a.colnato-suggest { display: inline-block; min-height: 24px; line-height: 1.5; padding: 2px 0;
  color: var(--link-text-color); }
.colnato-suggestions li { margin: .2rem 0; }
#colnato-chat .placeholder, #colnato-chat .placeholder-content { opacity: 1 !important; color: var(--body-text-color); }
.colnato-welcome { text-align: left; max-width: 38rem; margin: 0 auto; padding: .5rem; }
.colnato-welcome .colnato-suggestions { list-style: none; padding: 0; display: grid; gap: .5rem;
  grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); }
.colnato-welcome .colnato-suggestions li { margin: 0; }
.colnato-welcome a.colnato-suggest { display: block; height: 100%; box-sizing: border-box; padding: .6rem .75rem;
  border: 1px solid var(--border-color-primary); border-radius: 10px; text-decoration: none;
  color: var(--body-text-color); background: var(--background-fill-secondary); }
.colnato-welcome a.colnato-suggest:hover, .colnato-welcome a.colnato-suggest:focus-visible {
  border-color: var(--color-accent); }
.colnato-sr { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
.colnato-typing { display: inline-flex; gap: 5px; padding: .4rem 0; }
.colnato-typing > span { width: 8px; height: 8px; border-radius: 50%; background: var(--body-text-color-subdued);
  animation: colnato-blink 1.2s infinite ease-in-out; }
.colnato-typing > span:nth-child(2) { animation-delay: .2s; }
.colnato-typing > span:nth-child(3) { animation-delay: .4s; }
@keyframes colnato-blink { 0%, 80%, 100% { opacity: .25; } 40% { opacity: 1; } }
@media (prefers-reduced-motion: reduce) { .colnato-typing > span { animation: none; opacity: .6; } }
.colnato-error p { color: var(--error-text-color, #b91c1c); }
#colnato-chat .top-panel { display: none !important; }
#colnato-chat .message-row:has(.colnato-norate) .message-buttons { display: none !important; }
#colnato-chat .message-buttons button { min-width: 28px !important; min-height: 28px !important; }
#colnato-controls { align-items: center; gap: .5rem; }
#colnato-controls button { min-width: 0; flex-grow: 0; }
#colnato-counter { flex: 1 1 auto; min-width: 0; }
.colnato-counter { margin: 0; font-size: .875rem; color: var(--body-text-color-subdued); }
.colnato-counter.colnato-at-limit { color: var(--error-text-color, #b91c1c); font-weight: 600; }
.colnato-feedback-ack { margin: .25rem 0; font-size: .95rem; }
#colnato-article { max-height: 78vh; overflow-y: auto !important; padding: .25rem .75rem;
  border: 1px solid var(--border-color-primary); border-radius: var(--radius-lg);
  position: sticky; top: 8px; }
.colnato-article h2 { font-size: 1.15rem; line-height: 1.3; margin: .5rem 0 .25rem 0; }
.colnato-byline { margin: 0 0 .75rem 0; color: var(--body-text-color-subdued); }
.colnato-para { display: flex; gap: .6rem; align-items: baseline; border-radius: 6px; }
.colnato-para p { margin: 0 0 .8rem 0; }
.colnato-para-n { flex: 0 0 1.9em; text-align: right; font-weight: 700; font-size: .875rem;
  color: var(--body-text-color-subdued); text-decoration: none; min-height: 24px; line-height: 24px; }
.colnato-sent { border-radius: 2px; transition: background-color .4s; }
.colnato-marked { background: #fde68a; color: #1f2937; padding: 1px 0; -webkit-box-decoration-break: clone;
  box-decoration-break: clone; }
.colnato-marked:focus { outline: none; }
.colnato-sheet-close { display: none; }
@media (max-width: 640px) {
  .colnato-knows { font-size: .9em; }
  .colnato-header h1 { font-size: 1.2rem; }
  #colnato-chat { height: auto !important; min-height: 240px; max-height: 62vh; }
  #colnato-article { max-height: none; overflow-y: visible !important; position: static; }
  #colnato-article.colnato-sheet { position: fixed !important; left: 0; right: 0; bottom: 0; top: auto;
    z-index: 1000; max-height: 72vh; overflow-y: auto !important; margin: 0;
    border-radius: 14px 14px 0 0; background: var(--background-fill-primary);
    box-shadow: 0 -6px 24px rgba(0, 0, 0, .25); }
  .colnato-sheet .colnato-sheet-close { display: block; position: sticky; top: 0; z-index: 1; width: 100%;
    min-height: 44px; margin: 0 0 .5rem 0; font: inherit; font-weight: 600; cursor: pointer;
    border: 0; border-bottom: 1px solid var(--border-color-primary); background: var(--background-fill-primary);
    color: var(--link-text-color); }
  .colnato-para { gap: .4rem; }
}
"""

# The page's script: citation and suggestion links, the characters-left counter, readable
# accessible names for chat messages, and the article sheet at phone width. Links never
# navigate and the script never writes the URL (inside a web component the URL is the host's).
HEAD = """
<style>
/* Outside the app's container, so not in CSS (Gradio scopes that CSS to the container). */
@media (max-width: 640px) {
  .gradio-container .main.app { padding-left: 8px !important; padding-right: 8px !important; }
}
</style>
<script>
(function () {
  if (window.__colnatoChat) return;
  window.__colnatoChat = true;
  var LINK = /^#((?:doc\\d+-)?(?:para-\\d+|article-top))(?::(\\d+)-(\\d+))?$/;
  var SENTENCE = /s-(\\d+)-(\\d+)$/;
  var PHONE = "(max-width: 640px)";
  var NAME_CHARS = 200;
  var opener = null;

  function rootOf(node) {
    var root = node.getRootNode ? node.getRootNode() : document;
    return root.getElementById ? root : document;
  }
  function panelOf(node) { return node.closest("[id^='colnato-article']"); }

  function scrollPanelTo(panel, target) {
    var top = target.getBoundingClientRect().top - panel.getBoundingClientRect().top;
    var room = Math.max(16, (panel.clientHeight - target.getBoundingClientRect().height) / 3);
    var reduce = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    panel.scrollTo({top: panel.scrollTop + top - room, behavior: reduce ? "auto" : "smooth"});
  }

  function openSheet(panel, link) {
    if (panel.classList.contains("colnato-sheet")) return;
    var holder = panel.parentElement;
    holder.style.minHeight = panel.offsetHeight + "px";   // the page keeps its height: nothing moves
    panel.classList.add("colnato-sheet");
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", "The article");
    opener = link;
  }

  function closeSheet(panel) {
    if (!panel || !panel.classList.contains("colnato-sheet")) return;
    panel.classList.remove("colnato-sheet");
    panel.removeAttribute("role");
    panel.removeAttribute("aria-label");
    panel.parentElement.style.minHeight = "";
    if (opener && opener.isConnected) opener.focus({preventScroll: true});
    opener = null;
  }

  function showInArticle(link, id, start, end) {
    var target = rootOf(link).getElementById(id);
    var panel = target && panelOf(target);
    if (!panel) return;
    panel.querySelectorAll(".colnato-marked").forEach(function (el) { el.classList.remove("colnato-marked"); });
    var marked = [];
    if (start !== undefined) {
      target.parentElement.querySelectorAll(".colnato-sent").forEach(function (el) {
        var m = SENTENCE.exec(el.id);
        if (m && +m[1] < end && +m[2] > start) marked.push(el);
      });
    }
    if (!marked.length) marked = [target];
    marked.forEach(function (el) { el.classList.add("colnato-marked"); });
    if (window.matchMedia(PHONE).matches) openSheet(panel, link);
    scrollPanelTo(panel, marked[0]);
    marked[0].setAttribute("tabindex", "-1");
    marked[0].focus({preventScroll: true});
  }

  function askText(link) {
    var root = rootOf(link);
    var box = root.querySelector("#colnato-question textarea");
    var button = root.querySelector("#colnato-ask");
    if (!box || !button || button.disabled) return;
    box.value = link.textContent;
    box.dispatchEvent(new Event("input", {bubbles: true}));
    setTimeout(function () { button.click(); }, 0);
  }

  document.addEventListener("click", function (event) {
    var el = event.target && event.target.closest ? event.target : null;
    if (!el) return;
    var close = el.closest(".colnato-sheet-close");
    if (close) { closeSheet(panelOf(close)); return; }
    var link = el.closest("a");
    if (!link) return;
    var href = link.getAttribute("href") || "";
    if (link.classList.contains("colnato-suggest") && href === "#ask") {
      event.preventDefault(); event.stopPropagation();
      askText(link);
      return;
    }
    var m = LINK.exec(href);
    if (!m) return;
    event.preventDefault(); event.stopPropagation();
    showInArticle(link, m[1], m[2] === undefined ? undefined : +m[2], m[3] === undefined ? undefined : +m[3]);
  }, true);

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.querySelectorAll(".colnato-sheet");
    open.forEach(function (panel) { closeSheet(panel); });
  });

  function updateCounter(box) {
    var root = rootOf(box);
    var out = root.querySelector("#colnato-counter .colnato-counter");
    if (!out || !(box.maxLength > 0)) return;
    var left = box.maxLength - box.value.length;
    var near = Math.min(100, Math.ceil(box.maxLength / 10));
    var text = left <= 0 ? "Limit reached: " + box.maxLength + " characters"
             : left <= near ? left + (left === 1 ? " character left" : " characters left") : "";
    if (out.textContent !== text) out.textContent = text;
    out.classList.toggle("colnato-at-limit", left <= 0);
  }

  document.addEventListener("input", function (event) {
    var box = event.target;
    if (box && box.matches && box.matches("#colnato-question textarea")) updateCounter(box);
  }, true);

  var RAW_NAME = /^(bot|user|assistant)'s message: /;
  function readableNames(scope) {
    scope.querySelectorAll("#colnato-chat [aria-label]").forEach(function (el) {
      var label = el.getAttribute("aria-label");
      var m = RAW_NAME.exec(label);
      if (!m) return;
      var main = el.querySelector(".colnato-answer, .colnato-smalltalk > p, .colnato-error, .colnato-sr") || el;
      var text = (main.textContent || "").replace(/\\[\\d+\\]/g, "").replace(/\\s+/g, " ").trim();
      if (text.length > NAME_CHARS) text = text.slice(0, NAME_CHARS - 1) + "…";
      el.setAttribute("aria-label", (m[1] === "user" ? "You asked: " : "Answer: ") + text);
    });
    scope.querySelectorAll("#colnato-question textarea").forEach(updateCounter);
  }

  var scheduled = false;
  function schedule(root) {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(function () { scheduled = false; readableNames(root); });
  }
  function watch(root) {
    new MutationObserver(function () { schedule(root); })
      .observe(root, {subtree: true, childList: true, characterData: true, attributes: true,
                      attributeFilter: ["aria-label"]});
    schedule(root);
  }
  if (document.body) watch(document); else document.addEventListener("DOMContentLoaded", function () { watch(document); });
})();
</script>
"""
