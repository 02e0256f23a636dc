"""Pure functions that turn answers, citations and the article into HTML for the chat page.

The one rule: every piece of text (question, answer, article, metadata) goes through
``html.escape`` *before* any markup is put around it, so nothing a user types or the article
holds can become a tag. The markup built here uses only plain tags (div, p, details, summary,
blockquote, mark, strong, sup, a, ul, li, h1-h3, section, span, br) that Gradio's sanitizer keeps.

The markup itself is in ``templates/chat.html`` (one Jinja macro per fragment); the functions
here gather what each fragment shows. Links the page's script (``templates/chat.js``) handles, so nothing navigates and no URL changes:
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

from markupsafe import Markup

from ..components.verdict import VERDICTS
from .templates import macro

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
NEXT_LABEL = "You could also ask:"
COPY_LABEL = "Copy the quote"
WELCOME_TEXT = "Try one of these questions, or type your own below:"
LANGUAGE_NOTE = "I read and answer questions in English."
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


def text_html(text: str) -> Markup:
    """Escaped text with line breaks kept as ``<br>`` (and no newline characters left)."""
    return Markup(esc(text).replace("\r\n", "\n").replace("\n", "<br>"))


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
        inner = text_html(text[start:a]) + Markup("<strong>%s</strong>") % text_html(text[a:b]) + text_html(text[b:end])
    else:
        inner = text_html(text[start:end])
    return text_html(text[:start]) + Markup('<mark class="colnato-mark">%s</mark>') % inner + text_html(text[end:])


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
_error = macro("chat.html", "error")
_pending = macro("chat.html", "pending")
_suggestions = macro("chat.html", "suggestion_list")
_small_talk = macro("chat.html", "small_talk")
_engine_reply = macro("chat.html", "engine_reply")
_welcome = macro("chat.html", "welcome")
_citation = macro("chat.html", "citation")
_related = macro("chat.html", "related")
_answer = macro("chat.html", "answer")
_header = macro("chat.html", "header")
_article = macro("chat.html", "article")


def render_question(question: str) -> str:
    """A user's question as it appears in the chat (escaped, shown as typed)."""
    return str(text_html(question.strip()))


def render_error(message: str) -> str:
    """A bot reply that explains why a question could not be asked."""
    return _error(text_html(message), NO_RATING)


def render_pending() -> str:
    """The typing indicator shown in place of the reply while the question is answered."""
    return _pending(PENDING_TEXT, NO_RATING)


def suggestion_list(questions: Sequence[str]) -> str:
    """Questions as links that ask themselves when clicked (``#ask``)."""
    return _suggestions(list(questions), ASK_HREF)


def render_small_talk(message: str, suggestions: Sequence[str]) -> str:
    """A short reply to small talk, with questions one could ask."""
    return _small_talk(text_html(message), SUGGESTIONS_LABEL, list(suggestions), ASK_HREF, NO_RATING)


def render_reply(answer: Mapping[str, Any]) -> str:
    """The engine's own message instead of a quote (``answer["reply"]``: a question not in English,
    a pronoun with nothing to refer to), in the question's language, with its suggested questions."""
    language = str(answer.get("language") or "en")
    lang = language if re.fullmatch(r"[a-z]{2,3}", language) else "en"
    questions = [q for q in answer.get("suggestions") or () if isinstance(q, str) and q.strip()]
    return _engine_reply(text_html(str(answer.get("reply"))), lang, SUGGESTIONS_LABEL, questions, ASK_HREF)


def render_welcome(suggestions: Sequence[str]) -> str:
    """What the empty chat shows: example questions to click."""
    return _welcome(WELCOME_TEXT, list(suggestions), ASK_HREF)


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


def answer_html(answer: Mapping[str, Any]) -> Markup:
    """The answer sentence escaped, its short answer in ``<strong>`` (a featured snippet). The short
    answer's offsets are into the first citation's text, where the answer sits at answer_start.
    The engine sets ``short_answer`` only when it is confident of it; whatever it holds is bold."""
    text = str(answer.get("answer") or "")
    short = answer.get("short_answer") or {}
    first = (answer.get("citations") or [{}])[0]
    offset = first.get("answer_start")
    a, b = short.get("start"), short.get("end")
    if isinstance(offset, int) and isinstance(a, int) and isinstance(b, int):
        a, b = a - offset, b - offset
        if valid_span(text, a, b) and b > a:
            return text_html(text[:a]) + Markup("<strong>%s</strong>") % text_html(text[a:b]) + text_html(text[b:])
    return text_html(text)


def _ref(number: int, citation: Mapping[str, Any], article: ArticleIndex) -> dict[str, Any]:
    return {"number": number, "href": article.quote_href(citation),
            "where": paragraph_label(int(citation.get("paragraph") or 0))}


def _citation_view(number: int, citation: Mapping[str, Any], article: ArticleIndex) -> dict[str, Any]:
    text = citation.get("text") or ""
    start, end = citation.get("answer_start"), citation.get("answer_end")
    quote = text[start:end] if valid_span(text, start, end) else text
    return {"number": number, "where": paragraph_label(int(citation.get("paragraph") or 0)),
            "snippet": snippet(quote), "quote_href": article.quote_href(citation),
            "passage": highlighted_html(text, start, end, citation.get("short_answer"))}


def render_citation(number: int, citation: Mapping[str, Any], article: ArticleIndex | None = None) -> str:
    """One source as a collapsible block: number, paragraph, the whole paragraph with the
    answer marked, and a link to the quoted sentence in the article panel."""
    return _citation(_citation_view(number, citation, article or ArticleIndex()))


def _related_items(citations: Sequence[Mapping[str, Any]], article: ArticleIndex) -> list[dict[str, Any]]:
    return [{"href": article.paragraph_href(c), "where": paragraph_label(int(c.get("paragraph") or 0)),
             "snippet": snippet(c.get("text") or "")} for c in citations]


def render_related(citations: Sequence[Mapping[str, Any]], label: str, article: ArticleIndex) -> str:
    """Passages that came up but hold no answer: collapsed, unnumbered, each a link to its paragraph."""
    return _related(label, _related_items(citations, article))


def confidence_note(answer: Mapping[str, Any], uncertain_below: float = UNCERTAIN_BELOW) -> str:
    """A note in words when an answer's confidence is low (nothing otherwise, nor for abstentions)."""
    confidence = answer.get("confidence")
    if answer.get("abstained") or not answer.get("answer"):
        return ""
    if isinstance(confidence, (int, float)) and not isinstance(confidence, bool) and confidence < uncertain_below:
        return UNCERTAIN_TEXT
    return ""


def render_answer(
    answer: Mapping[str, Any],
    article: ArticleIndex | None = None,
    max_citations: int = MAX_CITATIONS_SHOWN,
    uncertain_below: float = UNCERTAIN_BELOW,
    next_questions: Sequence[str] = (),
) -> str:
    """The bot's reply for an answer dict (``Answer.to_dict()``): the engine's own ``reply`` when it
    gives one (with its suggestions, never an English quote); else how a follow-up was read, the
    answer (led by a bold Yes or No when it settles a yes/no question) with links to its sources,
    the sources (the quoted paragraphs, answer marked), a note when unsure, a copy link, any
    related passages and ``next_questions``; or the abstention and the related passages."""
    if isinstance(answer.get("reply"), str) and answer["reply"].strip():
        return render_reply(answer)
    article = article or ArticleIndex()
    question = answer.get("question") or ""
    sources, related = sources_and_related(answer, max_citations)
    first = (answer.get("citations") or [None])[0]
    if sources and sources[0] is first and answer.get("short_answer"):  # it lies in the first citation (types.Answer)
        sources = [{**sources[0], "short_answer": answer["short_answer"]}] + list(sources[1:])
    interpreted = answer.get("interpreted_as")
    answered = bool(not answer.get("abstained") and answer.get("answer"))
    verdict = VERDICTS.get(str(answer.get("verdict") or "").lower()) if answered else None
    return _answer({
        "interpreted": one_line(interpreted) if reading_differs(question, interpreted) else None,
        "answered": answered,
        "verdict": verdict,
        "text": answer_html(answer),
        "refs": [_ref(n, c, article) for n, c in enumerate(sources, start=1)],
        "uncertain": confidence_note(answer, uncertain_below),
        "sources_label": SOURCES_LABEL,
        "sources": [_citation_view(n, c, article) for n, c in enumerate(sources, start=1)],
        "copy_label": COPY_LABEL,
        "abstain_text": ABSTAIN_TEXT,
        "related_label": RELATED_LABEL if answered else ABSTAIN_RELATED_LABEL,
        "related": _related_items(related, article),
        "next_label": NEXT_LABEL,
        "next": list(next_questions),
        "ask_href": ASK_HREF,
    })


_feedback_ack = macro("chat.html", "feedback_ack")
_counter = macro("chat.html", "counter")
_skip_link = macro("chat.html", "skip_link")


def feedback_ack(text: str) -> str:
    """The feedback acknowledgement (a polite live region: screen readers announce it)."""
    return _feedback_ack(text)


def counter(max_chars: int) -> str:
    """The characters counter under the question box (the page's script fills it)."""
    return _counter(int(max_chars))


def skip_link(text: str) -> str:
    """The link after Ask that takes the keyboard to the latest answer's first source."""
    return _skip_link(text)


# -- page header and article -----------------------------------------------------------------
def _byline(author: str | None, publisher: str | None) -> str:
    bits = []
    if author:
        bits.append(f"by {author}")
    if publisher:
        bits.append(f"({publisher})" if author else publisher)
    return " ".join(bits)


def knows_line(documents: Sequence[Any]) -> Markup:
    """One sentence (markup) saying what the bot knows and that answers are quoted from it."""
    described = []
    for doc in documents:
        byline = _byline(getattr(doc, "author", None), getattr(doc, "publisher", None))
        described.append(Markup("<cite>“%s”</cite>") % doc.title + (Markup(" %s") % byline if byline else ""))
    if len(described) == 1:
        what = Markup("one article, %s") % described[0]
    else:
        what = Markup("%d articles: ") % len(described) + Markup("; ").join(described)
    return Markup(
        "I answer questions about %s. Every answer is quoted word for word from the "
        "article, with the paragraph it comes from; when the article doesn't say, I tell you so."
    ) % what


def render_header(documents: Sequence[Any], heading: str) -> str:
    return _header(heading, knows_line(documents), LANGUAGE_NOTE)


def passage_sentences(passages: Iterable[Any], doc_id: str) -> list[tuple[int, int]]:
    """(start, end) document offsets of the sentences of ``doc_id``'s passages."""
    return [(p.span.start + s.start, p.span.start + s.end)
            for p in passages if p.doc_id == doc_id for s in p.sentences]


def render_article(document: Any, doc_index: int = 0, sentences: Iterable[tuple[int, int]] = ()) -> str:
    """The whole article: title, byline, and body paragraphs numbered as citations count them,
    each with an id anchor (``para-5``) a citation can jump to. ``sentences``: spans (document
    offsets) of the sentences to wrap as ``<span class="colnato-sent" id="s-START-END">`` so a
    quote's sentences can be marked (the passages' sentences); text outside them stays plain.
    The paragraph numbers are links for the mouse, out of the Tab order (a citation reaches them)."""
    top = paragraph_anchor(0, doc_index)
    prefix = top[: -len("article-top")]
    spans = sorted({(a, b) for a, b in sentences if b > a})
    blocks: list[dict[str, Any]] = []
    number = 0
    for block in _body_blocks(document):
        text = document.block_text(block)
        if block.kind == "heading":
            blocks.append({"heading": one_line(text)})
            continue
        number += 1
        blocks.append({"heading": None, "number": number, "anchor": paragraph_anchor(number, doc_index),
                       "body": sentences_html(document.text, block.span.start, block.span.end, spans, prefix)})
    return _article({"top": top, "title": document.title, "blocks": blocks,
                     "byline": _byline(getattr(document, "author", None), getattr(document, "publisher", None))})


def sentences_html(text: str, start: int, end: int, spans: Sequence[tuple[int, int]], prefix: str = "") -> Markup:
    """``text[start:end]`` escaped, each of ``spans`` (sorted (start, end) pairs of ``text``) that
    lies inside it, and does not overlap an earlier one, wrapped as a sentence."""
    out, pos = [], start
    for a, b in spans:
        if a < pos or b > end:
            continue
        out.append(text_html(text[pos:a]))
        out.append(Markup('<span class="colnato-sent" id="%ss-%d-%d">%s</span>') % (prefix, a, b, text_html(text[a:b])))
        pos = b
    out.append(text_html(text[pos:end]))
    return Markup("").join(out)


def _body_blocks(document: Any) -> Iterable[Any]:
    """The heading and paragraph blocks of a document, in order."""
    for block in getattr(document, "blocks", ()):
        if block.kind in ("paragraph", "heading"):
            yield block
