"""What the chat's Gradio app accepts: the routes the page uses, and event bodies that carry text.

Installed as middleware of the mounted Gradio app, so it sees only requests routed to Gradio
(the HTTP API's own routes never pass here).

* Routes: only those the page (and the ``<gradio-app>`` web component) use are open: the page,
  its config and theme, Gradio's frontend files, the session heartbeat, and the queue
  (``POST /gradio_api/queue/join``, ``GET /gradio_api/queue/data``). Everything else
  (``/gradio_api/call/*``, ``/run/*``, ``/api/*``, ``/file=*``, ``/upload``,
  ``/component_server``, ``/stream/*``, MCP, monitoring, ...) answers ``404``.
* Event bodies: the page's events take the question box's string and the conversation the
  browser keeps (one JSON string, checked as an ``AskRequest`` history, see ``chat_ui``) and
  nothing else, so a ``queue/join`` body must have ``data`` made of strings and nulls only,
  ``event_data`` (a like: ``index``, ``value`` and ``liked``, as Gradio's ``LikeData`` reads
  them) made of flat scalars, and name an event of the page (``fn_index``) with the right
  number of inputs. A file reference
  (``{"path": ..., "meta": {"_type": "gradio.FileData"}}``) in any position is therefore
  refused with ``422`` before Gradio sees it: Gradio copies any such reference in an event's
  input into its cache, whatever the component (CVE-2024-1561, CVE-2024-51751), and this
  project does not rely on Gradio's path checks.
* ``GET /gradio_api/queue/data`` for a session with no pending event answers ``404`` here
  (Gradio raises inside its event stream and logs a traceback).
"""

from __future__ import annotations

import logging
import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr, ValidationError
from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from . import limits
from .door import refuse, replay

log = logging.getLogger(__name__)

SESSION_HASH = r"[A-Za-z0-9_-]{1,64}"
_READ = ("GET", "HEAD")
# (methods, path) pairs the page needs; every other request to the Gradio app gets 404.
OPEN_ROUTES: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = (
    (_READ, re.compile(r"/|/config/?|/theme\.css|/favicon\.ico|/robots\.txt")),
    (_READ, re.compile(r"/(assets|static|svelte)/[A-Za-z0-9_./@-]+")),        # Gradio's own frontend files
    (_READ, re.compile(r"/gradio_api/info/?")),                                 # lists no endpoint: all are private
    (_READ, re.compile(rf"/gradio_api/heartbeat/{SESSION_HASH}")),
    (_READ, re.compile(r"/gradio_api/queue/data")),
    (("POST",), re.compile(r"/gradio_api/queue/join")),
)
JOIN_PATH = "/gradio_api/queue/join"
LIKE_KEYS = ("index", "value", "liked")     # what the page sends with a like (gr.LikeData reads them)
DATA_PATH = "/gradio_api/queue/data"

Scalar = StrictStr | StrictInt | StrictFloat | StrictBool | None
ShortKey = Annotated[str, Field(max_length=32)]


class EventBody(BaseModel):
    """A ``queue/join`` body as the page sends it."""

    model_config = ConfigDict(extra="forbid")
    data: list[StrictStr | None] = Field(max_length=limits.CHAT_MAX_EVENT_INPUTS)
    event_data: dict[ShortKey, Scalar | list[Scalar]] | None = Field(default=None, max_length=8)
    fn_index: StrictInt
    trigger_id: StrictInt | None = None
    session_hash: Annotated[str, Field(pattern=rf"^{SESSION_HASH}$")]


def describe(error: ValidationError) -> str:
    """One sentence naming the first thing wrong with an event body."""
    first = error.errors(include_url=False)[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "body"
    if first.get("type") == "json_invalid":
        return "The event body is not valid JSON."
    return (f"The event body is not one the chat page sends ({where}: {first.get('msg', 'invalid')}); "
            "the chat takes text only.")


class GradioGate:
    """ASGI middleware of the mounted Gradio app (see the module doc)."""

    def __init__(self, app: ASGIApp, blocks: Any) -> None:
        self.app = app
        self.blocks = blocks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":   # no websocket route is open
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        if not any(method in methods and pattern.fullmatch(path) for methods, pattern in OPEN_ROUTES):
            log.debug("refused %s %s: not a route of the chat page", method, path[:200])
            await refuse(scope, receive, send, 404, "Not found.")
            return
        if path == DATA_PATH and not self._session_pending(scope):
            await refuse(scope, receive, send, 404, "No event is pending for this session: join the queue first.")
            return
        if path == JOIN_PATH:
            body, receive = await _body(receive)
            problem = self._check_event(body)
            if problem:
                log.debug("refused an event: %s", problem)
                await refuse(scope, receive, send, 422, problem)
                return
        await self.app(scope, receive, send)

    def _session_pending(self, scope: Scope) -> bool:
        session = QueryParams(scope.get("query_string", b"").decode("latin-1")).get("session_hash", "")
        pending = getattr(getattr(self.blocks, "_queue", None), "pending_messages_per_session", {})
        return bool(re.fullmatch(SESSION_HASH, session)) and session in pending

    def _check_event(self, body: bytes) -> str | None:
        """None when ``body`` is an event the page sends, else what is wrong with it."""
        try:
            event = EventBody.model_validate_json(body)
        except ValidationError as exc:
            return describe(exc)
        fn = self.blocks.fns.get(event.fn_index)
        if fn is None or fn.fn is None:
            return f"fn_index {event.fn_index} is not an event of the chat page."
        if len(event.data) != len(fn.inputs):
            return f"fn_index {event.fn_index} takes {len(fn.inputs)} inputs, got {len(event.data)}."
        if event.trigger_id is not None and event.trigger_id not in {target[0] for target in fn.targets}:
            return f"trigger_id {event.trigger_id} does not trigger fn_index {event.fn_index}."
        if any(target[1] == "like" for target in fn.targets):
            missing = [key for key in LIKE_KEYS if key not in (event.event_data or {})]
            if missing:
                return (f"A like event's event_data needs the keys {', '.join(LIKE_KEYS)}; "
                        f"{', '.join(missing)} missing.")
        return None


async def _body(receive: Receive) -> tuple[bytes, Receive]:
    """The request body (already read whole and bounded by ``door.BodyLimit``) and a receive
    that hands it on."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    return body, replay(body, receive)
