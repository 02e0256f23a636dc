"""The HTTP API: ``POST /api/ask`` and ``GET /healthz``, with the models that spell out the
answer schema in ``/openapi.json`` and error handlers that turn every bad request into a
4xx with a message saying what is wrong (never a 500).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal

import anyio
from fastapi import APIRouter, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..answer_model import AnswerModel, CitationModel, ShortAnswerModel  # noqa: F401 (the API's schema)
from ..errors import InvalidHistoryError, InvalidQuestionError
from ..request import AskRequest, describe
from ..settings import default_of

log = logging.getLogger(__name__)

ASK_PATH = "/api/ask"
HEALTH_PATH = "/healthz"


# -- request and response models -----------------------------------------------------------
# The request is the core's AskRequest (colnato_qa/request.py): the same rules and messages as the
# engine and the CLI. The answer is the core's AnswerModel (colnato_qa/answer_model.py): the one
# description of ``Answer.to_dict()``, which the chat page renders too.


class HealthModel(BaseModel):
    status: Literal["ok"]
    version: str = Field(description="colnato-qa version.")
    documents: int
    passages: int
    model: str | None = Field(description="Embedding model of the index.")
    built_at: str | None = Field(description="When the index was built (ISO 8601).")
    generation: str | None = Field(default=None, description="Id of the index build.")
    chat: Literal["starting", "ready", "failed"] = Field(
        default="ready", description="The chat page at /: being built (it answers 503 until ready), ready, or failed "
                                     "to start (the API answers in every case).")
    fitted_for_corpus: bool = Field(
        description="True when the query adapter and the question bank in use were fitted (`colnato-qa fit`) "
                    "for this corpus; false for an article nobody has written training questions for.")
    query_adapter: bool = Field(description="A query adapter fitted for this corpus is in use.")
    question_bank: bool = Field(description="A question bank made for this corpus is in use.")
    answerability_model: str = Field(description="File name of the answerability model in use.")


class ErrorModel(BaseModel):
    detail: str = Field(description="What is wrong with the request.")


# -- concurrency bound -----------------------------------------------------------------------
class Overloaded(Exception):
    """More /api/ask requests than the server takes on at once."""


class AskGate:
    """At most ``max_concurrent`` engine calls at once, at most ``max_waiting`` waiting for a
    slot, none waiting longer than ``wait_timeout_s``; the rest are refused (``Overloaded``)."""

    def __init__(self, max_concurrent: int = default_of("api_max_concurrent"),
                 max_waiting: int = default_of("api_max_waiting"),
                 wait_timeout_s: float = default_of("api_wait_timeout_s")) -> None:
        # A server passes its settings' api_max_concurrent, api_max_waiting and api_wait_timeout_s.
        self.max_concurrent = max_concurrent
        self.max_waiting = max_waiting
        self.wait_timeout_s = wait_timeout_s
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


def build_router(engine: Any, gate: AskGate, chat_state: Callable[[], str] = lambda: "ready") -> APIRouter:
    """The API's routes over ``engine``; ``chat_state()`` tells ``/healthz`` where the chat page is."""
    router = APIRouter()

    @router.post(ASK_PATH, response_model=AnswerModel, responses=ERROR_RESPONSES, tags=["qa"],
                 summary="Ask a question about the article")
    async def ask(body: AskRequest) -> AnswerModel:
        """Answer a question with a sentence quoted from the article and the paragraphs it
        comes from, or abstain (``abstained: true``) when the article doesn't say."""
        answer = await gate.run(engine.ask, body.question, body.history)
        return AnswerModel.model_validate(answer.to_dict())

    @router.api_route(ASK_PATH, methods=["GET", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    async def ask_wrong_method(request: Request) -> JSONResponse:
        # Without this the request would fall through to the chat page mounted at "/" (a 404).
        return JSONResponse(
            {"detail": f'{request.method} is not supported here: POST a JSON body like {{"question": "..."}}.'},
            status_code=405, headers={"Allow": "POST"},
        )

    @router.head(HEALTH_PATH, include_in_schema=False)
    async def healthz_head() -> Response:
        # For monitors that ask with HEAD: alive, no body.
        return Response(status_code=200)

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
            chat=chat_state(),
            **engine.fitted_artefacts,
        )

    return router


# -- errors ------------------------------------------------------------------------------------
GZIP_MAGIC = b"\x1f\x8b"


def _is_json_content_type(value: str | None) -> bool:
    media = (value or "").split(";")[0].strip().lower()
    return not media or media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def install_error_handlers(app: FastAPI, retry_after_s: int = default_of("api_retry_after_s")) -> None:
    """Handlers that answer every bad request with a 4xx saying why; an /api/ask refused for capacity
    gets 503 with ``Retry-After: retry_after_s`` (a server passes its ``api_retry_after_s`` setting)."""
    retry_after = str(retry_after_s)

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
        return JSONResponse({"detail": describe(errors)}, status_code=422)

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
            headers={"Retry-After": retry_after},
        )
