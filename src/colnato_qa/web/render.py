"""Pure functions that turn answers, citations and the article into HTML for the chat page.

The one rule: every piece of text (question, answer, article, metadata) goes through
``html.escape`` *before* any markup is put around it, so nothing a user types or the article
holds can become a tag. The markup built here uses only plain tags (div, p, details, summary,
blockquote, mark, strong, sup, a, h1-h3, section, span, br) that Gradio's sanitizer keeps.

Output strings hold no newline: the chat renders messages as Markdown, and a single-line HTML
block is passed through by Markdown untouched (no blank line can end it early).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

ABSTAIN_TEXT = "The article doesn't say."
RELATED_LABEL = "Closest passages in the article:"
MAX_CITATIONS_SHOWN = 3
SNIPPET_CHARS = 70

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


def jump_link(paragraph: int, doc_index: int = 0) -> str:
    anchor = paragraph_anchor(paragraph, doc_index)
    where = f"paragraph {paragraph}" if paragraph > 0 else "the top"
    return (
        f'<a class="colnato-jump" href="#{anchor}">'
        f"Show {where} in the article</a>"
    )


# -- chat messages ---------------------------------------------------------------------------
def render_question(question: str) -> str:
    """A user's question as it appears in the chat (escaped, shown as typed)."""
    return text_html(question.strip())


def render_error(message: str) -> str:
    """A bot reply that explains why a question could not be asked."""
    return f'<div class="colnato-reply colnato-error"><p>{text_html(message)}</p></div>'


def reading_differs(question: str, interpreted_as: str | None) -> bool:
    """True when the engine read the question as something other than what was typed."""
    if not interpreted_as:
        return False
    return one_line(interpreted_as).casefold() != one_line(question).casefold()


def citation_numbers_with_answer(citations: Sequence[Mapping[str, Any]]) -> list[int]:
    """1-based numbers of the citations that hold the answer span ([1] at least)."""
    numbers = [
        i for i, c in enumerate(citations, start=1)
        if valid_span(c.get("text") or "", c.get("answer_start"), c.get("answer_end"))
    ]
    return numbers or [1]


def render_citation(number: int, citation: Mapping[str, Any], doc_index: int = 0, highlight: bool = True) -> str:
    """One citation as a collapsible block: number, paragraph, the whole paragraph with the
    answer marked, and a link to the paragraph in the article panel."""
    text = citation.get("text") or ""
    paragraph = int(citation.get("paragraph") or 0)
    start, end = citation.get("answer_start"), citation.get("answer_end")
    body = highlighted_html(text, start, end, citation.get("short_answer")) if highlight else text_html(text)
    quote = text[start:end] if valid_span(text, start, end) else text
    return (
        '<details class="colnato-cite">'
        f'<summary><span class="colnato-cite-n">[{number}]</span> '
        f'<span class="colnato-cite-where">{esc(paragraph_label(paragraph))}</span> '
        f'<span class="colnato-cite-snippet">“{esc(snippet(quote))}”</span></summary>'
        f'<blockquote class="colnato-passage">{body}</blockquote>'
        f'<p class="colnato-cite-foot">{jump_link(paragraph, doc_index)}</p>'
        "</details>"
    )


def render_answer(
    answer: Mapping[str, Any],
    doc_indexes: Mapping[str, int] | None = None,
    max_citations: int = MAX_CITATIONS_SHOWN,
) -> str:
    """The bot's reply for an answer dict (``Answer.to_dict()``): how a follow-up was read, the
    answer with citation numbers, and the cited paragraphs; or the abstention and the related
    passages."""
    question = answer.get("question") or ""
    citations = list(answer.get("citations") or [])[:max_citations]
    doc_indexes = doc_indexes or {}
    parts = ['<div class="colnato-reply">']
    interpreted = answer.get("interpreted_as")
    if reading_differs(question, interpreted):
        parts.append(f'<p class="colnato-interpreted">Read as: “{esc(one_line(interpreted))}”</p>')
    answered = not answer.get("abstained") and answer.get("answer")
    if answered:
        refs = "".join(f"[{n}]" for n in citation_numbers_with_answer(citations)) if citations else ""
        ref_html = f' <sup class="colnato-refs">{refs}</sup>' if refs else ""
        parts.append(f'<p class="colnato-answer">{text_html(str(answer["answer"]))}{ref_html}</p>')
    else:
        parts.append(f'<p class="colnato-answer colnato-abstained">{esc(ABSTAIN_TEXT)}</p>')
        if citations:
            parts.append(f'<p class="colnato-related">{esc(RELATED_LABEL)}</p>')
    if citations:
        parts.append('<div class="colnato-sources">')
        for number, citation in enumerate(citations, start=1):
            doc_index = doc_indexes.get(str(citation.get("doc_id")), 0)
            if number == 1 and answer.get("short_answer"):
                citation = {**citation, "short_answer": answer["short_answer"]}
            parts.append(render_citation(number, citation, doc_index, highlight=bool(answered)))
        parts.append("</div>")
    confidence = answer.get("confidence")
    if isinstance(confidence, (int, float)) and not isinstance(confidence, bool):
        parts.append(f'<p class="colnato-confidence">Confidence {round(100 * float(confidence))}%</p>')
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


def render_article(document: Any, doc_index: int = 0) -> str:
    """The whole article: title, byline, and body paragraphs numbered as citations count them,
    each with an id anchor (``para-5``) a citation can jump to."""
    top = paragraph_anchor(0, doc_index)
    parts = [f'<article class="colnato-article" id="{top}">', f"<h2>{esc(document.title)}</h2>"]
    byline = _byline(getattr(document, "author", None), getattr(document, "publisher", None))
    if byline:
        parts.append(f'<p class="colnato-byline">{byline}</p>')
    number = 0
    for kind, text in _body_blocks(document):
        if kind == "heading":
            parts.append(f"<h3>{esc(one_line(text))}</h3>")
            continue
        number += 1
        anchor = paragraph_anchor(number, doc_index)
        parts.append(
            f'<section class="colnato-para" id="{anchor}">'
            f'<a class="colnato-para-n" href="#{anchor}" '
            f'title="Paragraph {number}">{number}</a>'
            f"<p>{text_html(text)}</p></section>"
        )
    parts.append("</article>")
    return "".join(parts)


def _body_blocks(document: Any) -> Iterable[tuple[str, str]]:
    """(kind, text) of the headings and paragraphs of a document, in order."""
    for block in getattr(document, "blocks", ()):
        if block.kind in ("paragraph", "heading"):
            yield block.kind, document.block_text(block)
