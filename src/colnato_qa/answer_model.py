"""The one description of an answer: what ``Answer.to_dict()`` returns, what ``POST /api/ask``
answers (its schema in ``/openapi.json``), and what the chat page renders (``web/render.py``
reads only these fields; tests/test_web_render.py checks both).

``AnswerModel.model_validate(answer.to_dict())`` holds for every answer the engine gives; a
field added to ``to_dict`` and not here (or here and not there) fails that test.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class CitationModel(BaseModel):
    """A passage of the article the answer is quoted from (first) or related to (the rest)."""

    model_config = ConfigDict(extra="forbid")

    passage_id: str = Field(description="Stable id of the passage.")
    doc_id: str = Field(description="Id of the document (the article).")
    title: str = Field(description="Title of the article.")
    paragraph: int = Field(description="Paragraph number as a reader counts them, from 1; 0 for title/byline.")
    text: str = Field(description="The whole paragraph, verbatim.")
    score: float = Field(description="Cosine similarity of the question and the passage. Not the rank: citations "
                                     "are in rank order (the answering passage first), which fuses more than this "
                                     "similarity, so scores need not decrease along the list.")
    answer_start: int | None = Field(description="Start of the answer in `text` (None when not the answer).")
    answer_end: int | None = Field(description="End (exclusive) of the answer in `text`.")


class ShortAnswerModel(BaseModel):
    """The minimal phrase that answers, inside the quote: ``citations[0].text[start:end] == text``."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="The short answer (a date, a name, a number, a phrase), verbatim.")
    start: int = Field(description="Start of the short answer in `citations[0].text`.")
    end: int = Field(description="End (exclusive) of the short answer in `citations[0].text`.")
    confidence: float = Field(description="Confidence in [0, 1] that this phrase itself answers the question.")


class AnswerModel(BaseModel):
    """The answer, quoted from the article: ``citations[0].text[answer_start:answer_end] == answer``
    when answered; ``answer`` is null and ``abstained`` true when the article doesn't say."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(description="The question as asked (whitespace normalized).")
    answer: str | None = Field(description="The answer, verbatim from the article; null when abstained.")
    short_answer: ShortAnswerModel | None = Field(
        description="The minimal phrase of the answer that answers the question; null when abstained or when "
                    "no phrase shorter than the sentence answers.")
    abstained: bool = Field(description="True when the article doesn't answer the question.")
    confidence: float = Field(description="Confidence in [0, 1]; abstained when below the threshold.")
    citations: list[CitationModel] = Field(description="Cited passages, best first.")
    interpreted_as: str | None = Field(description="How a follow-up was read, when it used the history.")
    verdict: Literal["yes", "no"] | None = Field(
        description="For a yes/no question whose quote clearly settles it: yes or no; otherwise null.")
    language: str = Field(description="ISO 639-1 code of the question's language (the engine answers English).")
    reason: Literal["not_in_article", "other_language", "unclear_reference", "false_premise", "small_talk"] | None = Field(
        description="Why it abstained; null when answered.")
    reply: str | None = Field(
        description="A message to show instead of a quote (in the question's language), e.g. for a question not "
                    "in English, a pronoun with nothing to refer to, or small talk such as \"hi\" or \"thanks\"; null "
                    "otherwise.")
    suggestions: list[str] = Field(description="Questions the article answers, offered with a reply.")
