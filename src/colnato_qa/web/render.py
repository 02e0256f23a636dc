"""Pure functions that turn answers, citations and the article into HTML for the chat page.

The one rule: every piece of text (question, answer, article, metadata) goes through
``html.escape`` *before* any markup is put around it, so nothing a user types or the article
holds can become a tag. The markup built here uses only plain tags (div, p, details, summary,
blockquote, mark, strong, sup, a, ul, li, h1-h3, section, span, br) that Gradio's sanitizer keeps.

Links the page's script (``styles.HEAD``) handles, so nothing navigates and no URL changes:
``#para-5:1200-1342`` (a quote: the paragraph's anchor, then the quote's character offsets in the
document) marks the sentences of that range in the article panel and scrolls the panel to them;
``#para-5`` scrolls it to a paragraph; ``#ask`` asks the link's own text, as if typed.

Output strings hold no newline: the chat renders messages as Markdown, and a single-line HTML
block is passed through by Markdown untouched (no blank line can end it early).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ABSTAIN_TEXT = "The article doesn't say."
RELATED_LABEL = "Related passages"
ABSTAIN_RELATED_LABEL = "Passages that may be related"
SOURCES_LABEL = "Quoted from"
# The engine's confidence is a ranking score, not a probability: the page shows no number (it
# stays in the HTTP API) and, below this, a note in words (UNCERTAIN_TEXT). On the dev gold
# questions the engine answered, about 58% of the answers below 0.5 quoted the right sentence
# against about 77% above it (93 answers, November 2026's answerability model).
UNCERTAIN_BELOW = 0.5
UNCERTAIN_TEXT = "I'm not sure this quote answers your question: check it in the article."
PENDING_TEXT = "Looking it up in the article…"
SUGGESTIONS_LABEL = "You could ask:"
ASK_HREF = "#ask"
MAX_CITATIONS_SHOWN = 3
SNIPPET_CHARS = 70
# Replies that take no thumbs (errors, small talk, the typing indicator) carry this class.
NO_RATING = "colnato-norate"

_SPACES = re.compile(r"\s+")


# -- text ------------------------------------------------------------------------------------
def esc(text: Any) -> str:
    """HTML-escape ``text`` (quotes included)."""
    return html.escape("" if text is None else str(text), quote=True)


def text_html(text: str) -> str:
    """Escaped text with line breaks kept as ``<br>`` (and no newline characters left)."""
    return esc(text).replace("\r\n", "\n").replace("\n", "<br>")


def one_line(text: str) -> str:
    """Whitespace runs (newlines included) collapsed to single spaces, ends stripped."""
    return _SPACES.sub(" ", text or "").strip()


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """The first ``limit`` characters of ``text`` on one line, cut at a word, with an ellipsis."""
    flat = one_line(text)
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0] or flat[:limit]
    return cut.rstrip(",;:.-— ") + "…"


def valid_span(text: str, start: Any, end: Any) -> bool:
    """True when ``[start, end)`` is a non-empty range of int offsets inside ``text``."""
    return (
        isinstance(start, int) and isinstance(end, int)
        and not isinstance(start, bool) and not isinstance(end, bool)
        and 0 <= start < end <= len(text)
    )


def highlighted_html(text: str, start: int | None, end: int | None, short: Mapping[str, Any] | None = None) -> str:
    """``text`` escaped, with ``text[start:end]`` wrapped in ``<mark>`` when the span is valid, and
    the short answer (``{"start", "end"}`` into ``text``) in ``<strong>`` when it lies inside it."""
    if not valid_span(text, start, end):
        return text_html(text)
    a, b = (short or {}).get("start"), (short or {}).get("end")
    if valid_span(text, a, b) and start <= a and b <= end:
        inner = text_html(text[start:a]) + f"<strong>{text_html(text[a:b])}</strong>" + text_html(text[b:end])
    else:
        inner = text_html(text[start:end])
    return text_html(text[:start]) + '<mark class="colnato-mark">' + inner + "</mark>" + text_html(text[end:])


# -- where citations point -------------------------------------------------------------------
@dataclass(frozen=True)
class ArticleIndex:
    """Where a citation lands in the article panel: the panel of each document (by doc_id) and
    where each passage starts in its document (by passage_id)."""

    doc_indexes: Mapping[str, int] = field(default_factory=dict)
    passage_starts: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, documents: Sequence[Any], passages: Iterable[Any]) -> "ArticleIndex":
        return cls({doc.doc_id: i for i, doc in enumerate(documents)},
                   {p.passage_id: p.span.start for p in passages})

    def doc_index(self, citation: Mapping[str, Any]) -> int:
        return self.doc_indexes.get(str(citation.get("doc_id")), 0)

    def quote_href(self, citation: Mapping[str, Any]) -> str:
        """The link to a citation's quote in the article panel (to its paragraph when the quote
        or the passage's place in the document is unknown)."""
        anchor = paragraph_anchor(int(citation.get("paragraph") or 0), self.doc_index(citation))
        text = citation.get("text") or ""
        start, end = citation.get("answer_start"), citation.get("answer_end")
        offset = self.passage_starts.get(str(citation.get("passage_id")))
        if offset is None or not valid_span(text, start, end):
            return f"#{anchor}"
        return f"#{anchor}:{offset + start}-{offset + end}"

    def paragraph_href(self, citation: Mapping[str, Any]) -> str:
        return "#" + paragraph_anchor(int(citation.get("paragraph") or 0), self.doc_index(citation))


# -- paragraphs ------------------------------------------------------------------------------
def paragraph_anchor(paragraph: int, doc_index: int = 0) -> str:
    """The element id of a paragraph in the article panel: ``para-5`` (``doc2-para-5`` for a
    second document). Paragraph 0 (title, byline, metadata) is the article's top."""
    prefix = "" if doc_index == 0 else f"doc{doc_index + 1}-"
    if paragraph <= 0:
        return f"{prefix}article-top"
    return f"{prefix}para-{paragraph}"


def paragraph_label(paragraph: int) -> str:
    return f"Paragraph {paragraph}" if paragraph > 0 else "Title and byline"


# -- chat messages ---------------------------------------------------------------------------
def render_question(question: str) -> str:
    """A user's question as it appears in the chat (escaped, shown as typed)."""
    return text_html(question.strip())


def render_error(message: str) -> str:
    """A bot reply that explains why a question could not be asked."""
    return f'<div class="colnato-reply colnato-error {NO_RATING}"><p>{text_html(message)}</p></div>'


def render_pending() -> str:
    """The typing indicator shown in place of the reply while the question is answered."""
    return (f'<div class="colnato-reply colnato-pending {NO_RATING}">'
            '<span class="colnato-typing" aria-hidden="true"><span></span><span></span><span></span></span>'
            f'<span class="colnato-sr">{esc(PENDING_TEXT)}</span></div>')


def suggestion_list(questions: Sequence[str]) -> str:
    """Questions as links that ask themselves when clicked (``#ask``)."""
    items = "".join(f'<li><a class="colnato-suggest" href="{ASK_HREF}">{esc(q)}</a></li>' for q in questions)
    return f'<ul class="colnato-suggestions">{items}</ul>' if items else ""


def render_small_talk(message: str, suggestions: Sequence[str]) -> str:
    """A short reply to small talk, with questions one could ask."""
    label = f'<p class="colnato-suggest-label">{esc(SUGGESTIONS_LABEL)}</p>' if suggestions else ""
    return (f'<div class="colnato-reply colnato-smalltalk {NO_RATING}"><p>{text_html(message)}</p>'
            f"{label}{suggestion_list(suggestions)}</div>")


def render_welcome(suggestions: Sequence[str]) -> str:
    """What the empty chat shows: example questions to click."""
    return (f'<div class="colnato-welcome"><p class="colnato-suggest-label">Try one of these questions, '
            f"or type your own below:</p>{suggestion_list(suggestions)}</div>")


def reading_differs(question: str, interpreted_as: str | None) -> bool:
    """True when the engine read the question as something other than what was typed."""
    if not interpreted_as:
        return False
    return one_line(interpreted_as).casefold() != one_line(question).casefold()


def holds_answer(citation: Mapping[str, Any]) -> bool:
    """True when the citation is a source: its text holds the answer span."""
    return valid_span(citation.get("text") or "", citation.get("answer_start"), citation.get("answer_end"))


def sources_and_related(answer: Mapping[str, Any], max_citations: int = MAX_CITATIONS_SHOWN):
    """(sources, related) of an answer: the citations the answer was quoted from (none when it
    abstained) and the others, at most ``max_citations`` in all, best first."""
    citations = list(answer.get("citations") or [])[:max_citations]
    if answer.get("abstained") or not answer.get("answer"):
        return [], citations
    sources = [c for c in citations if holds_answer(c)]
    if not sources and citations:   # an answer always comes from citations[0] (types.Answer)
        sources = citations[:1]
    return sources, [c for c in citations if not any(c is s for s in sources)]


def answer_html(answer: Mapping[str, Any]) -> str:
    """The answer sentence escaped, its short answer in ``<strong>`` (a featured snippet). The short
    answer's offsets are into the first citation's text, where the answer sits at answer_start."""
    text = str(answer.get("answer") or "")
    short = answer.get("short_answer") or {}
    first = (answer.get("citations") or [{}])[0]
    offset = first.get("answer_start")
    a, b = short.get("start"), short.get("end")
    if isinstance(offset, int) and isinstance(a, int) and isinstance(b, int):
        a, b = a - offset, b - offset
        if valid_span(text, a, b) and b > a:
            return text_html(text[:a]) + f"<strong>{text_html(text[a:b])}</strong>" + text_html(text[b:])
    return text_html(text)


def ref_link(number: int, citation: Mapping[str, Any], article: ArticleIndex) -> str:
    """``[n]`` after the answer: a link straight to the quoted sentence in the article panel."""
    where = paragraph_label(int(citation.get("paragraph") or 0))
    return (f'<a class="colnato-ref" href="{esc(article.quote_href(citation))}" '
            f'title="Source {number}: {esc(where)}, in the article">[{number}]</a>')


def render_citation(number: int, citation: Mapping[str, Any], article: ArticleIndex | None = None) -> str:
    """One source as a collapsible block: number, paragraph, the whole paragraph with the
    answer marked, and a link to the quoted sentence in the article panel."""
    article = article or ArticleIndex()
    text = citation.get("text") or ""
    paragraph = int(citation.get("paragraph") or 0)
    start, end = citation.get("answer_start"), citation.get("answer_end")
    quote = text[start:end] if valid_span(text, start, end) else text
    return (
        '<details class="colnato-cite">'
        f'<summary><span class="colnato-cite-n">[{number}]</span> '
        f'<span class="colnato-cite-where">{esc(paragraph_label(paragraph))}</span> '
        f'<span class="colnato-cite-snippet">“{esc(snippet(quote))}”</span></summary>'
        f'<blockquote class="colnato-passage">{highlighted_html(text, start, end, citation.get("short_answer"))}</blockquote>'
        f'<p class="colnato-cite-foot"><a class="colnato-jump" href="{esc(article.quote_href(citation))}">'
        "Show the quote in the article</a></p>"
        "</details>"
    )


def render_related(citations: Sequence[Mapping[str, Any]], label: str, article: ArticleIndex) -> str:
    """Passages that came up but hold no answer: collapsed, unnumbered, each a link to its paragraph."""
    if not citations:
        return ""
    items = "".join(
        f'<li><a class="colnato-jump" href="{esc(article.paragraph_href(c))}">'
        f'{esc(paragraph_label(int(c.get("paragraph") or 0)))}</a>: '
        f'<span class="colnato-related-snippet">“{esc(snippet(c.get("text") or ""))}”</span></li>'
        for c in citations
    )
    return (f'<details class="colnato-related"><summary>{esc(label)} ({len(citations)})</summary>'
            f"<ul>{items}</ul></details>")


def confidence_note(answer: Mapping[str, Any], uncertain_below: float = UNCERTAIN_BELOW) -> str:
    """A note in words when an answer's confidence is low (nothing otherwise, nor for abstentions)."""
    confidence = answer.get("confidence")
    if answer.get("abstained") or not answer.get("answer"):
        return ""
    if isinstance(confidence, (int, float)) and not isinstance(confidence, bool) and confidence < uncertain_below:
        return f'<p class="colnato-uncertain">{esc(UNCERTAIN_TEXT)}</p>'
    return ""


def render_answer(
    answer: Mapping[str, Any],
    article: ArticleIndex | None = None,
    max_citations: int = MAX_CITATIONS_SHOWN,
    uncertain_below: float = UNCERTAIN_BELOW,
) -> str:
    """The bot's reply for an answer dict (``Answer.to_dict()``): how a follow-up was read, the
    answer with links to its sources, the sources (the quoted paragraphs, answer marked), a
    note when unsure, and any related passages; or the abstention and the related passages."""
    article = article or ArticleIndex()
    question = answer.get("question") or ""
    sources, related = sources_and_related(answer, max_citations)
    first = (answer.get("citations") or [None])[0]
    if sources and sources[0] is first and answer.get("short_answer"):  # it lies in the first citation (types.Answer)
        sources = [{**sources[0], "short_answer": answer["short_answer"]}] + list(sources[1:])
    parts = ['<div class="colnato-reply">']
    interpreted = answer.get("interpreted_as")
    if reading_differs(question, interpreted):
        parts.append(f'<p class="colnato-interpreted">Read as: “{esc(one_line(interpreted))}”</p>')
    if not answer.get("abstained") and answer.get("answer"):
        refs = "".join(ref_link(n, c, article) for n, c in enumerate(sources, start=1))
        ref_html = f' <sup class="colnato-refs">{refs}</sup>' if refs else ""
        parts.append(f'<p class="colnato-answer">{answer_html(answer)}{ref_html}</p>')
        parts.append(confidence_note(answer, uncertain_below))
        if sources:
            parts.append(f'<div class="colnato-sources"><p class="colnato-sources-label">{esc(SOURCES_LABEL)}</p>')
            parts.extend(render_citation(n, c, article) for n, c in enumerate(sources, start=1))
            parts.append("</div>")
        parts.append(render_related(related, RELATED_LABEL, article))
    else:
        parts.append(f'<p class="colnato-answer colnato-abstained">{esc(ABSTAIN_TEXT)}</p>')
        parts.append(render_related(related, ABSTAIN_RELATED_LABEL, article))
    parts.append("</div>")
    return "".join(parts)


# -- page header and article -----------------------------------------------------------------
def _byline(author: str | None, publisher: str | None) -> str:
    bits = []
    if author:
        bits.append(f"by {esc(author)}")
    if publisher:
        bits.append(f"({esc(publisher)})" if author else esc(publisher))
    return " ".join(bits)


def knows_line(documents: Sequence[Any]) -> str:
    """One sentence (HTML) saying what the bot knows and that answers are quoted from it."""
    described = []
    for doc in documents:
        byline = _byline(getattr(doc, "author", None), getattr(doc, "publisher", None))
        described.append(f"<cite>“{esc(doc.title)}”</cite>" + (f" {byline}" if byline else ""))
    if len(described) == 1:
        what = f"one article, {described[0]}"
    else:
        what = f"{len(described)} articles: " + "; ".join(described)
    return (
        f"I answer questions about {what}. Every answer is quoted word for word from the "
        "article, with the paragraph it comes from; when the article doesn't say, I tell you so."
    )


def render_header(documents: Sequence[Any], heading: str) -> str:
    return (
        '<header class="colnato-header">'
        f"<h1>{esc(heading)}</h1>"
        f'<p class="colnato-knows">{knows_line(documents)}</p>'
        "</header>"
    )


def passage_sentences(passages: Iterable[Any], doc_id: str) -> list[tuple[int, int]]:
    """(start, end) document offsets of the sentences of ``doc_id``'s passages."""
    return [(p.span.start + s.start, p.span.start + s.end)
            for p in passages if p.doc_id == doc_id for s in p.sentences]


def render_article(document: Any, doc_index: int = 0, sentences: Iterable[tuple[int, int]] = ()) -> str:
    """The whole article: title, byline, and body paragraphs numbered as citations count them,
    each with an id anchor (``para-5``) a citation can jump to. ``sentences``: spans (document
    offsets) of the sentences to wrap as ``<span class="colnato-sent" id="s-START-END">`` so a
    quote's sentences can be marked (the passages' sentences); text outside them stays plain."""
    top = paragraph_anchor(0, doc_index)
    prefix = top[: -len("article-top")]
    spans = sorted({(a, b) for a, b in sentences if b > a})
    parts = ['<article class="colnato-article">',
             '<button type="button" class="colnato-sheet-close">Back to the chat</button>',
             f'<header class="colnato-article-head" id="{top}"><h2>{esc(document.title)}</h2>']
    byline = _byline(getattr(document, "author", None), getattr(document, "publisher", None))
    if byline:
        parts.append(f'<p class="colnato-byline">{byline}</p>')
    parts.append("</header>")
    number = 0
    for block in _body_blocks(document):
        text = document.block_text(block)
        if block.kind == "heading":
            parts.append(f"<h3>{esc(one_line(text))}</h3>")
            continue
        number += 1
        anchor = paragraph_anchor(number, doc_index)
        body = sentences_html(document.text, block.span.start, block.span.end, spans, prefix)
        parts.append(
            f'<section class="colnato-para" id="{anchor}">'
            f'<a class="colnato-para-n" href="#{anchor}" '
            f'title="Paragraph {number}">{number}</a>'
            f"<p>{body}</p></section>"
        )
    parts.append("</article>")
    return "".join(parts)


def sentences_html(text: str, start: int, end: int, spans: Sequence[tuple[int, int]], prefix: str = "") -> str:
    """``text[start:end]`` escaped, each of ``spans`` (sorted (start, end) pairs of ``text``) that
    lies inside it, and does not overlap an earlier one, wrapped as a sentence."""
    out, pos = [], start
    for a, b in spans:
        if a < pos or b > end:
            continue
        out.append(text_html(text[pos:a]))
        out.append(f'<span class="colnato-sent" id="{prefix}s-{a}-{b}">{text_html(text[a:b])}</span>')
        pos = b
    out.append(text_html(text[pos:end]))
    return "".join(out)


def _body_blocks(document: Any) -> Iterable[Any]:
    """The heading and paragraph blocks of a document, in order."""
    for block in getattr(document, "blocks", ()):
        if block.kind in ("paragraph", "heading"):
            yield block
