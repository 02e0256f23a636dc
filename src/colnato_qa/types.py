"""The data that flows through the pipeline: passages in, answers with citations out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .trace import Trace


@dataclass(frozen=True)
class Span:
    """Half-open character range ``[start, end)``."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not (0 <= self.start <= self.end):
            raise ValueError(f"Invalid span [{self.start}, {self.end}): need 0 <= start <= end")

    def shift(self, offset: int) -> "Span":
        return Span(self.start + offset, self.end + offset)

    def __len__(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Passage:
    """One retrievable chunk of a document: a paragraph (or a lead-in merged with its paragraph).

    ``text`` is verbatim ``document.text[span.start:span.end]``. ``context`` is extra text
    (such as the lead-in line of a list) used for retrieval only, never shown as the answer.
    ``sentences`` are spans relative to ``text``.
    """

    passage_id: str
    doc_id: str
    title: str
    paragraph: int              # as a reader counts body paragraphs, from 1; 0 for title/byline/metadata
    span: Span                  # offsets into the document text
    text: str
    kind: str = "paragraph"     # "paragraph" | "title" | "byline" | "metadata"
    paragraph_end: int | None = None
    context: str = ""
    sentences: tuple[Span, ...] = ()

    @property
    def searchable(self) -> bool:
        return self.kind == "paragraph"

    @property
    def index_text(self) -> str:
        """What retrieval sees: the lead-in context, if any, then the text."""
        return f"{self.context}\n{self.text}" if self.context else self.text

    def sentence_texts(self) -> list[str]:
        return [self.text[s.start:s.end] for s in self.sentences]

    def to_dict(self) -> dict[str, Any]:
        return {
            "passage_id": self.passage_id,
            "doc_id": self.doc_id,
            "title": self.title,
            "paragraph": self.paragraph,
            "paragraph_end": self.paragraph_end,
            "kind": self.kind,
            "start": self.span.start,
            "end": self.span.end,
            "text": self.text,
            "context": self.context,
            "sentences": [[s.start, s.end] for s in self.sentences],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Passage":
        return cls(
            passage_id=d["passage_id"],
            doc_id=d["doc_id"],
            title=d["title"],
            paragraph=int(d["paragraph"]),
            paragraph_end=d.get("paragraph_end"),
            kind=d.get("kind", "paragraph"),
            span=Span(int(d["start"]), int(d["end"])),
            text=d["text"],
            context=d.get("context", ""),
            sentences=tuple(Span(int(a), int(b)) for a, b in d.get("sentences", [])),
        )


@dataclass(frozen=True)
class Citation:
    """A passage cited for an answer, in rank order: the passage that answers first, then the others
    as retrieval ranked them. ``answer_span`` is relative to ``passage.text``. ``score`` is the
    cosine similarity of the question and the passage, shown for what it is: the rank is the order
    of the citations, which fuses more than this similarity, so scores need not fall along it.
    The attributes of ``to_dict()`` are attributes here too (``citation.paragraph``)."""

    passage: Passage
    score: float
    answer_span: Span | None = None

    @property
    def passage_id(self) -> str:
        return self.passage.passage_id

    @property
    def doc_id(self) -> str:
        return self.passage.doc_id

    @property
    def title(self) -> str:
        return self.passage.title

    @property
    def paragraph(self) -> int:
        return self.passage.paragraph

    @property
    def text(self) -> str:
        return self.passage.text

    @property
    def answer_start(self) -> int | None:
        return self.answer_span.start if self.answer_span else None

    @property
    def answer_end(self) -> int | None:
        return self.answer_span.end if self.answer_span else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "passage_id": self.passage.passage_id,
            "doc_id": self.passage.doc_id,
            "title": self.passage.title,
            "paragraph": self.passage.paragraph,
            "text": self.passage.text,
            "score": round(float(self.score), 6),
            "answer_start": self.answer_span.start if self.answer_span else None,
            "answer_end": self.answer_span.end if self.answer_span else None,
        }


@dataclass(frozen=True)
class ShortAnswer:
    """The minimal phrase that answers, inside the quoted sentence: ``citations[0].text[start:end] == text``."""

    text: str
    start: int
    end: int
    confidence: float = 1.0     # that this phrase (not only its sentence) answers the question

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "start": self.start, "end": self.end, "confidence": round(float(self.confidence), 6)}


#: Why an answer abstained: the article does not say; the question is not in English; a pronoun has nothing
#: to refer to; the question takes for granted what the quote contradicts.
ABSTAIN_REASONS = ("not_in_article", "other_language", "unclear_reference", "false_premise", "small_talk")


@dataclass(frozen=True)
class Answer:
    """What ``QAEngine.ask`` returns. When answered, ``citations[0]`` holds the answer span, and
    ``short_answer`` (None when abstained or when no phrase shorter than the sentence answers) lies
    inside it."""

    question: str
    answer: str | None
    abstained: bool
    confidence: float
    citations: tuple[Citation, ...] = ()
    interpreted_as: str | None = None
    trace: Trace | None = field(default=None, compare=False, repr=False)   # how it was answered (not in the JSON)
    short_answer: ShortAnswer | None = None
    verdict: str | None = None              # "yes" / "no" when the quote settles a yes/no question
    language: str = "en"                    # ISO 639-1 code of the question's language
    reason: str | None = None               # why it abstained (ABSTAIN_REASONS); None when answered
    reply: str | None = None                # what to say instead of a quote (in the question's language)
    suggestions: tuple[str, ...] = ()       # questions the article answers, offered with a reply

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "short_answer": self.short_answer.to_dict() if self.short_answer else None,
            "abstained": self.abstained,
            "confidence": round(float(self.confidence), 6),
            "citations": [c.to_dict() for c in self.citations],
            "interpreted_as": self.interpreted_as,
            "verdict": self.verdict,
            "language": self.language,
            "reason": self.reason or ("not_in_article" if self.abstained else None),
            "reply": self.reply,
            "suggestions": list(self.suggestions),
        }
