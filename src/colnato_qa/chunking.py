"""Documents to passages: one passage per paragraph, with a stable id and offsets.

* A lead-in paragraph ("Some of the objectives include:") is merged with the paragraph that
  follows it, and given as retrieval context to the list items after it.
* A paragraph longer than the embedder's window is split on sentence boundaries.
* Title, byline and metadata become passages of their own kinds (not searched, but citable
  for questions about the article itself).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from .corpus import Document
from .sentences import split_sentences
from .types import Passage, Span

CHUNKER_VERSION = "1"
_WORDPIECE = re.compile(r"\w+|[^\w\s]", re.UNICODE)
_LIST_ITEM = re.compile(r"^[^.:!?\n]{2,80}:\s")


def approx_wordpieces(text: str) -> int:
    """A cheap upper-bound estimate of MiniLM word pieces (words x 1.3 plus punctuation)."""
    return int(len(_WORDPIECE.findall(text)) * 1.3) + 2


def is_lead_in(text: str) -> bool:
    """A single short line ending with a colon that introduces what follows."""
    t = text.strip()
    return t.endswith(":") and "\n" not in t and len(t) < 200


def passage_id(doc_id: str, text: str, occurrence: int = 0) -> str:
    """Stable across rebuilds: derived from the document id and the passage's own text."""
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
    return f"{doc_id}:{digest}" + (f"-{occurrence}" if occurrence else "")


class Chunker:
    """``Chunker(max_tokens=256).run(documents) -> list[Passage]``."""

    def __init__(self, max_tokens: int = 256, count_tokens: Callable[[str], int] = approx_wordpieces):
        if max_tokens < 16:
            raise ValueError(f"max_tokens must be at least 16, got {max_tokens}")
        self.max_tokens = max_tokens
        self.count_tokens = count_tokens

    def run(self, documents: list[Document]) -> list[Passage]:
        passages: list[Passage] = []
        for doc in documents:
            passages.extend(self._chunk_document(doc))
        return passages

    # -- one document -------------------------------------------------------------------
    def _chunk_document(self, doc: Document) -> list[Passage]:
        out: list[Passage] = []
        seen: dict[str, int] = {}

        def make(kind: str, span: Span, paragraph: int, paragraph_end: int | None = None, context: str = "") -> None:
            text = doc.text[span.start:span.end]
            occurrence = seen.get(text, 0)
            seen[text] = occurrence + 1
            sentences = tuple(split_sentences(text)) if kind == "paragraph" else (Span(0, len(text)),)
            out.append(Passage(
                passage_id=passage_id(doc.doc_id, text, occurrence), doc_id=doc.doc_id, title=doc.title,
                paragraph=paragraph, paragraph_end=paragraph_end, span=span, text=text, kind=kind,
                context=context, sentences=sentences,
            ))

        blocks = list(doc.blocks)
        number = 0
        lead_in_context = ""
        i = 0
        while i < len(blocks):
            block = blocks[i]
            if block.kind != "paragraph":
                if block.kind in ("title", "byline", "metadata"):
                    make(block.kind, block.span, 0)
                if block.kind == "heading":
                    lead_in_context = doc.block_text(block)
                i += 1
                continue
            number += 1
            text = doc.block_text(block)
            nxt = blocks[i + 1] if i + 1 < len(blocks) else None
            if is_lead_in(text) and nxt is not None and nxt.kind == "paragraph":
                # Merge the lead-in with the next paragraph; later list items get it as context.
                lead_in_context = text.strip()
                merged = Span(block.span.start, nxt.span.end)
                self._emit(make, doc, merged, number, number + 1, "")
                number += 1
                i += 2
                continue
            if lead_in_context and not _LIST_ITEM.match(text):
                lead_in_context = ""
            self._emit(make, doc, block.span, number, None, lead_in_context)
            i += 1
        return out

    def _emit(self, make, doc: Document, span: Span, number: int, number_end: int | None, context: str) -> None:
        text = doc.text[span.start:span.end]
        if self.count_tokens(context + " " + text) <= self.max_tokens:
            make("paragraph", span, number, number_end, context)
            return
        # Too long for the embedder's window: pack whole sentences into windows.
        part_start: int | None = None
        part_end = 0
        for s in split_sentences(text):
            if part_start is not None and self.count_tokens(context + " " + text[part_start:s.end]) > self.max_tokens:
                make("paragraph", Span(span.start + part_start, span.start + part_end), number, number_end, context)
                part_start = None
            if part_start is None:
                part_start = s.start
            part_end = s.end
        if part_start is not None:
            make("paragraph", Span(span.start + part_start, span.start + part_end), number, number_end, context)
