"""CSS, head script and theme of the chat page (kept in Python so they ship with the package)."""

from __future__ import annotations

# System fonts only: the page requests no web font (no Google Fonts, no font files).
SYSTEM_FONTS = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"]
MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]

CSS = """
.colnato-header h1 { font-size: 1.45rem; line-height: 1.25; margin: 0 0 .3rem 0; }
.colnato-knows { margin: 0; color: var(--body-text-color); opacity: .85; }
.colnato-knows cite { font-style: italic; }
.colnato-q { white-space: normal; overflow-wrap: anywhere; }
.colnato-reply { overflow-wrap: anywhere; }
.colnato-reply p { margin: .25rem 0; }
.colnato-interpreted { font-size: .9em; font-style: italic; color: var(--body-text-color); opacity: .72; }
.colnato-answer { font-weight: 500; }
.colnato-abstained { font-weight: 600; }
.colnato-refs { font-size: .75em; color: var(--body-text-color); opacity: .72; }
.colnato-related { font-size: .9em; color: var(--body-text-color); opacity: .72; }
.colnato-sources { margin-top: .35rem; }
.colnato-cite { border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: .3rem .6rem; margin: .35rem 0; background: var(--background-fill-secondary); }
.colnato-cite > summary { cursor: pointer; font-size: .9em; }
.colnato-cite-n { font-weight: 700; }
.colnato-cite-where { font-weight: 600; }
.colnato-cite-snippet { color: var(--body-text-color); opacity: .72; }
.colnato-passage { margin: .5rem 0 .25rem 0; padding: 0 0 0 .75rem;
  border-left: 3px solid var(--color-accent); font-size: .95em; }
mark.colnato-mark { background: #fde68a; color: #1f2937; padding: 0 .1em; border-radius: 2px; }
.colnato-cite-foot { font-size: .85em; }
.colnato-confidence { font-size: .75em; color: var(--body-text-color); opacity: .72; }
.colnato-error p { color: var(--error-text-color, #b91c1c); }
#colnato-article { max-height: 78vh; overflow-y: auto !important; padding: .25rem .75rem;
  border: 1px solid var(--border-color-primary); border-radius: var(--radius-lg); }
.colnato-article h2 { font-size: 1.15rem; line-height: 1.3; margin: .5rem 0 .25rem 0; }
.colnato-byline { margin: 0 0 .75rem 0; color: var(--body-text-color); opacity: .72; }
.colnato-para { display: flex; gap: .6rem; align-items: baseline; scroll-margin-top: 1rem;
  border-radius: 6px; transition: background-color .6s; }
.colnato-para p { margin: 0 0 .8rem 0; }
.colnato-para-n { flex: 0 0 1.9em; text-align: right; font-weight: 700; font-size: .85em;
  color: var(--body-text-color); opacity: .72; text-decoration: none; }
.colnato-flash { background-color: rgba(253, 230, 138, .55); }
#colnato-controls button { min-width: 0; }
@media (max-width: 640px) {
  .colnato-knows { font-size: .9em; }
  .colnato-header h1 { font-size: 1.2rem; }
  #colnato-article { max-height: none; overflow-y: visible !important; }
  .colnato-para { gap: .4rem; }
}
"""

# Citation links ("Show paragraph 5 in the article") scroll the article panel to the paragraph
# and flash it, instead of navigating (Gradio may open chat links in a new tab).
HEAD = """
<style>
/* Outside the app's container, so not in CSS (Gradio scopes that CSS to the container). */
@media (max-width: 640px) {
  .gradio-container .main.app { padding-left: 8px !important; padding-right: 8px !important; }
}
</style>
<script>
(function () {
  function anchorOf(link) {
    var href = link.getAttribute("href") || "";
    var id = href.charAt(0) === "#" ? href.slice(1) : "";
    return /^(doc\\d+-)?(para-\\d+|article-top)$/.test(id) ? id : null;
  }
  document.addEventListener("click", function (event) {
    var link = event.target && event.target.closest ? event.target.closest("a") : null;
    if (!link) return;
    var id = anchorOf(link);
    if (!id) return;
    var target = document.getElementById(id);
    if (!target) return;
    event.preventDefault();
    event.stopPropagation();
    target.scrollIntoView({behavior: "smooth", block: "start"});
    target.classList.add("colnato-flash");
    setTimeout(function () { target.classList.remove("colnato-flash"); }, 2200);
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", "#" + id);
    }
  }, true);
})();
</script>
"""
