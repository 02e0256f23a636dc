"""The HTTP API: ``POST /api/ask`` and ``GET /healthz``, with the models that spell out the
answer schema in ``/openapi.json`` and error handlers that turn every bad request into a
4xx with a message saying what is wrong (never a 500).
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import anyio
from fastapi import APIRouter, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..errors import InvalidHistoryError, InvalidQuestionError
from . import limits

log = logging.getLogger(__name__)

ASK_PATH = "/api/ask"
HEALTH_PATH = "/healthz"


# -- request and response models -----------------------------------------------------------
class HistoryTurn(BaseModel):
    """One earlier turn of the conversation."""

    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "assistant"] = Field(description="Who said it.")
    content: str = Field(description="What was said.")


class AskRequest(BaseModel):
    """A question about the article, with the earlier turns of the conversation if any."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [
            {"question": "When was it announced that Colombia would become a NATO global partner?"},
            {"question": "When was it signed?",
             "history": ["What is the Agreement on Cooperation and Security of Information?"]},
        ]},
    )
    question: str = Field(description="The question (1 to 1000 characters, no control characters).")
    history: list[str | HistoryTurn] | None = Field(
        default=None,
        max_length=limits.API_MAX_HISTORY_ITEMS,
        description="Earlier turns, oldest first: the user's questions as strings, or "
                    '{"role": "user"|"assistant", "content": str} objects. Used to read follow-ups '
                    'such as "When was it signed?".',
    )

    @field_validator("history", mode="before")
    @classmethod
    def _history_shape(cls, value: Any) -> Any:
        if value is None:
            return value
        if not isinstance(value, list):
            raise ValueError(
                f"history must be a list of turns (strings or {{\"role\", \"content\"}} objects), "
                f"got {_json_type(value)}"
            )
        for i, item in enumerate(value):
            if isinstance(item, str):
                continue
            if not isinstance(item, dict):
                raise ValueError(
                    f"history[{i}] must be a string or an object {{\"role\": \"user\"|\"assistant\", "
                    f"\"content\": string}}, got {_json_type(item)}"
                )
            if set(item) != {"role", "content"}:
                raise ValueError(
                    f"history[{i}] must have exactly the keys \"role\" and \"content\", got "
                    f"{sorted(item) or 'no keys'}"
                )
            if item["role"] not in ("user", "assistant"):
                raise ValueError(f"history[{i}].role must be \"user\" or \"assistant\", got {item['role']!r}")
            if not isinstance(item["content"], str):
                raise ValueError(f"history[{i}].content must be a string, got {_json_type(item['content'])}")
        return value

    def engine_history(self) -> list[str | dict[str, str]] | None:
        if self.history is None:
            return None
        return [t if isinstance(t, str) else t.model_dump() for t in self.history]


class CitationModel(BaseModel):
    """A passage of the article the answer is quoted from (first) or related to (the rest)."""

    passage_id: str = Field(description="Stable id of the passage.")
    doc_id: str = Field(description="Id of the document (the article).")
    title: str = Field(description="Title of the article.")
    paragraph: int = Field(description="Paragraph number as a reader counts them, from 1; 0 for title/byline.")
    text: str = Field(description="The whole paragraph, verbatim.")
    score: float = Field(description="Retrieval similarity of the passage to the question.")
    answer_start: int | None = Field(description="Start of the answer in `text` (None when not the answer).")
    answer_end: int | None = Field(description="End (exclusive) of the answer in `text`.")


class AnswerModel(BaseModel):
    """The answer, quoted from the article: ``citations[0].text[answer_start:answer_end] == answer``
    when answered; ``answer`` is null and ``abstained`` true when the article doesn't say."""

    question: str = Field(description="The question as asked (whitespace normalized).")
    answer: str | None = Field(description="The answer, verbatim from the article; null when abstained.")
    abstained: bool = Field(description="True when the article doesn't answer the question.")
    confidence: float = Field(description="Confidence in [0, 1]; abstained when below the threshold.")
    citations: list[CitationModel] = Field(description="Cited passages, best first.")
    interpreted_as: str | None = Field(description="How a follow-up was read, when it used the history.")


class HealthModel(BaseModel):
    status: Literal["ok"]
    version: str = Field(description="colnato-qa version.")
    documents: int
    passages: int
    model: str | None = Field(description="Embedding model of the index.")
    built_at: str | None = Field(description="When the index was built (ISO 8601).")
    generation: str | None = Field(default=None, description="Id of the index build.")


class ErrorModel(BaseModel):
    detail: str = Field(description="What is wrong with the request.")


# -- concurrency bound -----------------------------------------------------------------------
class Overloaded(Exception):
    """More /api/ask requests than the server takes on at once."""


class AskGate:
    """At most ``max_concurrent`` engine calls at once, at most ``max_waiting`` waiting for a
    slot, none waiting longer than ``wait_timeout_s``; the rest are refused (``Overloaded``)."""

    def __init__(self, max_concurrent: int | None = None, max_waiting: int | None = None,
                 wait_timeout_s: float | None = None) -> None:
        # Defaults read from `limits` when the gate is made, so they can be tuned at run time.
        self.max_concurrent = limits.API_MAX_CONCURRENT if max_concurrent is None else max_concurrent
        self.max_waiting = limits.API_MAX_WAITING if max_waiting is None else max_waiting
        self.wait_timeout_s = limits.API_WAIT_TIMEOUT_S if wait_timeout_s is None else wait_timeout_s
        if self.max_concurrent < 1 or self.max_waiting < 0 or self.wait_timeout_s < 0:
            raise ValueError("AskGate needs max_concurrent >= 1, max_waiting >= 0 and wait_timeout_s >= 0")
        self.limiter = anyio.CapacityLimiter(self.max_concurrent)

    async def run(self, fn, *args):
        stats = self.limiter.statistics()
        if stats.borrowed_tokens >= stats.total_tokens and stats.tasks_waiting >= self.max_waiting:
            raise Overloaded()
        try:
            with anyio.fail_after(self.wait_timeout_s):
                await self.limiter.acquire()
        except TimeoutError:
            raise Overloaded() from None
        try:
            # The engine call holds the slot for as long as it runs, even if the client leaves.
            return await anyio.to_thread.run_sync(fn, *args, abandon_on_cancel=False)
        finally:
            self.limiter.release()


# -- routes ------------------------------------------------------------------------------------
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorModel, "description": "The body cannot be read."},
    408: {"model": ErrorModel, "description": "The body did not arrive in time."},
    413: {"model": ErrorModel, "description": "Request body too large."},
    415: {"model": ErrorModel, "description": "Compressed bodies are not accepted."},
    422: {"model": ErrorModel, "description": "The body is not a valid question (the message says why)."},
    503: {"model": ErrorModel, "description": "Too many questions at once; retry after `Retry-After` seconds."},
}


def build_router(engine: Any, gate: AskGate) -> APIRouter:
    router = APIRouter()

    @router.post(ASK_PATH, response_model=AnswerModel, responses=ERROR_RESPONSES, tags=["qa"],
                 summary="Ask a question about the article")
    async def ask(body: AskRequest) -> AnswerModel:
        """Answer a question with a sentence quoted from the article and the paragraphs it
        comes from, or abstain (``abstained: true``) when the article doesn't say."""
        answer = await gate.run(engine.ask, body.question, body.engine_history())
        return AnswerModel.model_validate(answer.to_dict())

    @router.api_route(ASK_PATH, methods=["GET", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    async def ask_wrong_method(request: Request) -> JSONResponse:
        # Without this the request would fall through to the chat page mounted at "/" (a 404).
        return JSONResponse(
            {"detail": f'{request.method} is not supported here: POST a JSON body like {{"question": "..."}}.'},
            status_code=405, headers={"Allow": "POST"},
        )

    @router.get(HEALTH_PATH, response_model=HealthModel, tags=["ops"], summary="Liveness and index facts")
    async def healthz() -> HealthModel:
        manifest = engine.manifest
        counts = manifest.get("counts") or {}
        model = manifest.get("model")
        return HealthModel(
            status="ok",
            version=__version__,
            documents=int(counts.get("documents", len(engine.documents))),
            passages=int(counts.get("passages", len(engine.passages))),
            model=None if model is None else str(model),
            built_at=manifest.get("built_at"),
            generation=manifest.get("generation"),
        )

    return router


# -- errors ------------------------------------------------------------------------------------
def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _where(loc: tuple[Any, ...]) -> str:
    """("body", "history", 0, "role") -> "history[0].role"; the body itself -> "body"."""
    parts = [p for p in loc if p != "body"]
    if not parts:
        return "body"
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif isinstance(p, str) and p in ("str", "HistoryTurn"):
            continue  # union branch names say nothing to the caller
        else:
            out += ("." if out else "") + str(p)
    return out or "body"


def validation_message(errors: list[dict[str, Any]]) -> str:
    """One readable sentence for a list of pydantic/FastAPI validation errors."""
    messages: list[str] = []
    for err in errors:
        kind = err.get("type", "")
        loc = tuple(err.get("loc", ()))
        if kind == "json_invalid":
            ctx = err.get("ctx") or {}
            reason = ctx.get("error") or err.get("msg") or "invalid JSON"
            pos = loc[1] if len(loc) > 1 else None
            at = f" at character {pos}" if isinstance(pos, int) else ""
            messages.append(f"The request body is not valid JSON ({reason}{at}).")
            continue
        where = _where(loc)
        msg = str(err.get("msg", "invalid value"))
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
            messages.append(msg + ("" if msg.endswith(".") else "."))
            continue
        if kind == "missing":
            if where == "body":
                messages.append('The request body is missing: send JSON like {"question": "..."}.')
            else:
                messages.append(f"The field '{where}' is missing.")
            continue
        if kind == "model_attributes_type" and where == "body":
            messages.append('The request body must be a JSON object like {"question": "..."}.')
            continue
        if kind == "extra_forbidden":
            messages.append(f"Unknown field '{where}': the body takes only 'question' and 'history'.")
            continue
        got = f" (got {_json_type(err.get('input'))})" if "input" in err and kind.endswith("_type") else ""
        messages.append(f"The field '{where}' is invalid: {msg}{got}.")
    unique = list(dict.fromkeys(messages))
    return " ".join(unique) or "The request is not valid."


GZIP_MAGIC = b"\x1f\x8b"


def _is_json_content_type(value: str | None) -> bool:
    media = (value or "").split(";")[0].strip().lower()
    return not media or media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        content_type = request.headers.get("content-type")
        errors = list(exc.errors())
        if not _is_json_content_type(content_type) and any(e.get("loc") == ("body",) for e in errors):
            # FastAPI parses JSON only under a JSON content type: say so, whatever the body holds.
            return JSONResponse(
                {"detail": f"The request body must be a JSON object sent with Content-Type: application/json "
                           f"(got Content-Type: {content_type})."},
                status_code=422,
            )
        return JSONResponse({"detail": validation_message(errors)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        # FastAPI answers a body it cannot decode with a bare 400 "error parsing the body".
        cause = exc.__cause__
        if isinstance(cause, UnicodeDecodeError):
            if isinstance(cause.object, (bytes, bytearray)) and cause.object.startswith(GZIP_MAGIC):
                detail = ("The request body is gzip-compressed; compressed bodies are not accepted: "
                          "send the JSON uncompressed.")
            else:
                detail = (f"The request body is not valid JSON: it is not UTF-8 text "
                          f"({cause.reason} at byte {cause.start}).")
            return JSONResponse({"detail": detail}, status_code=422)
        if isinstance(cause, RecursionError):
            return JSONResponse(
                {"detail": "The request body is not valid JSON for this API: it is nested too deeply. "
                           'Send an object like {"question": "..."}.'},
                status_code=422,
            )
        return await http_exception_handler(request, exc)

    @app.exception_handler(InvalidQuestionError)
    async def _invalid_question(request: Request, exc: InvalidQuestionError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(InvalidHistoryError)
    async def _invalid_history(request: Request, exc: InvalidHistoryError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(Overloaded)
    async def _overloaded(request: Request, exc: Overloaded) -> JSONResponse:
        return JSONResponse(
            {"detail": "Too many questions at once; try again in a moment."},
            status_code=503,
            headers={"Retry-After": str(limits.API_RETRY_AFTER_S)},
        )
