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
* What a session can make the server hold: Gradio keeps every message of a finished event (its
  answer: the whole chat) until the session's event stream reads it, for ever if nobody reads.
  A session with ``max_unread_events`` events joined and not yet read gets ``429`` on a
  further join; a session whose queue nobody reads for ``unread_deadline_s`` seconds (no
  stream open, no join) is dropped from the queue, as Gradio drops it when its stream is cut
  (``Queue.clean_events``, then its message queue and event ids).
* Long-lived streams (``/gradio_api/heartbeat/<session>``, ``/gradio_api/queue/data``) are counted
  per client address and in all: beyond ``max_streams_per_client`` or ``max_streams``
  a new one gets ``429``, so that held streams cannot take every connection slot.

Those limits are the ``chat_max_unread_events``, ``chat_unread_deadline_s``, ``chat_unread_sweep_s``,
``chat_max_streams_per_client`` and ``chat_max_streams`` settings (``server.build_chat_app`` passes them).

Gradio's queue is private (``blocks._queue``: ``pending_event_ids_session``,
``pending_messages_per_session``, ``clean_events``); tests/security/test_unread_events.py checks
the behaviour built on it, so a Gradio version that changes it is caught.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import Counter
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr, ValidationError
from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from ..settings import default_of
from .door import refuse, replay

log = logging.getLogger(__name__)

SESSION_HASH = r"[A-Za-z0-9_-]{1,64}"
# Items in one event body: the widest events of the page take three (the question box or the rated turn, the
# conversation, the rendered turns). A property of the page, not a setting; each event's own input count is
# checked as well (fn_index).
CHAT_MAX_EVENT_INPUTS = 4
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
STREAM_PATH = re.compile(rf"/gradio_api/heartbeat/{SESSION_HASH}|{DATA_PATH}")
RETRY_AFTER_S = 2

Scalar = StrictStr | StrictInt | StrictFloat | StrictBool | None
ShortKey = Annotated[str, Field(max_length=32)]


class EventBody(BaseModel):
    """A ``queue/join`` body as the page sends it."""

    model_config = ConfigDict(extra="forbid")
    data: list[StrictStr | None] = Field(max_length=CHAT_MAX_EVENT_INPUTS)
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

    def __init__(self, app: ASGIApp, blocks: Any, max_unread_events: int = default_of("chat_max_unread_events"),
                 unread_deadline_s: float = default_of("chat_unread_deadline_s"),
                 unread_sweep_s: float = default_of("chat_unread_sweep_s"),
                 max_streams_per_client: int = default_of("chat_max_streams_per_client"),
                 max_streams: int = default_of("chat_max_streams")) -> None:
        self.app = app
        self.blocks = blocks
        self.max_unread_events = max_unread_events
        self.unread_deadline_s = unread_deadline_s
        self.unread_sweep_s = unread_sweep_s
        self.max_streams_per_client = max_streams_per_client
        self.max_streams = max_streams
        self._streams_by_client: Counter[str] = Counter()
        self._streams_by_session: Counter[str] = Counter()   # open event streams (queue/data) per session
        self._last_seen: dict[str, float] = {}                # session -> last join or end of its stream
        self._sweeper: asyncio.Task | None = None

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
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep_unread())
        if path == DATA_PATH and not self._session_pending(scope):
            await refuse(scope, receive, send, 404, "No event is pending for this session: join the queue first.")
            return
        if path == JOIN_PATH:
            body, receive = await _body(receive)
            event, problem = self._check_event(body)
            if problem:
                log.debug("refused an event: %s", problem)
                await refuse(scope, receive, send, 422, problem)
                return
            assert event is not None
            self._last_seen[event.session_hash] = time.monotonic()
            if self._unread(event.session_hash) >= self.max_unread_events:
                await refuse(scope, receive, send, 429,
                             f"This session has {self.max_unread_events} events whose results it has not read: "
                             f"read them ({DATA_PATH}) before sending more.",
                             {"Retry-After": str(RETRY_AFTER_S)})
                return
        if STREAM_PATH.fullmatch(path):
            await self._stream(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _stream(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run a long-lived stream, counted against the per-client and total caps."""
        client = (scope.get("client") or ("",))[0]
        if sum(self._streams_by_client.values()) >= self.max_streams or \
                self._streams_by_client[client] >= self.max_streams_per_client:
            await refuse(scope, receive, send, 429, "Too many open streams: close some before opening more.",
                         {"Retry-After": str(RETRY_AFTER_S)})
            return
        session = _query_session(scope) if scope["path"] == DATA_PATH else None
        self._streams_by_client[client] += 1
        if session:
            self._streams_by_session[session] += 1
        try:
            await self.app(scope, receive, send)
        finally:
            _decrement(self._streams_by_client, client)
            if session:
                _decrement(self._streams_by_session, session)
                self._last_seen[session] = time.monotonic()

    def _unread(self, session: str) -> int:
        """Events of ``session`` joined and not yet delivered (Gradio keeps their ids until the
        event stream sends their completion)."""
        return len(self._queue().pending_event_ids_session.get(session, ()))

    def _queue(self) -> Any:
        return self.blocks._queue

    async def _sweep_unread(self) -> None:
        """Every ``unread_sweep_s`` (at most half the deadline): drop the sessions nobody has read for the deadline."""
        while True:
            await asyncio.sleep(min(self.unread_sweep_s, self.unread_deadline_s / 2))
            try:
                await self.drop_unread(time.monotonic())
            except Exception as exc:   # never let the sweeper die; one line, as OneLineErrors does
                log.error("dropping unread sessions failed: %s: %s", type(exc).__name__, str(exc)[:200])

    async def drop_unread(self, now: float) -> int:
        """Drop from Gradio's queue every session with no event stream open that has not joined or
        read for ``unread_deadline_s`` seconds; the number of sessions dropped."""
        queue = self._queue()
        sessions = set(queue.pending_event_ids_session) | set(queue.pending_messages_per_session)
        for session in set(self._last_seen) - sessions:
            del self._last_seen[session]
        dropped = 0
        for session in sessions:
            if self._streams_by_session[session]:
                continue
            seen = self._last_seen.setdefault(session, now)
            if now - seen < self.unread_deadline_s:
                continue
            unread = self._unread(session)
            await queue.clean_events(session_hash=session)      # stops its running events' messages
            queue.pending_event_ids_session.pop(session, None)
            queue.pending_messages_per_session.pop(session, None)
            del self._last_seen[session]
            dropped += 1
            if unread:
                log.info("dropped %d unread event(s) of a session not read for %g s", unread, self.unread_deadline_s)
        return dropped

    def _session_pending(self, scope: Scope) -> bool:
        session = _query_session(scope)
        pending = getattr(getattr(self.blocks, "_queue", None), "pending_messages_per_session", {})
        return session is not None and session in pending

    def _check_event(self, body: bytes) -> tuple[EventBody | None, str | None]:
        """(the event, None) when ``body`` is an event the page sends, else (None, what is wrong with it)."""
        try:
            event = EventBody.model_validate_json(body)
        except ValidationError as exc:
            return None, describe(exc)
        fn = self.blocks.fns.get(event.fn_index)
        if fn is None or fn.fn is None:
            return None, f"fn_index {event.fn_index} is not an event of the chat page."
        if len(event.data) != len(fn.inputs):
            return None, f"fn_index {event.fn_index} takes {len(fn.inputs)} inputs, got {len(event.data)}."
        if event.trigger_id is not None and event.trigger_id not in {target[0] for target in fn.targets}:
            return None, f"trigger_id {event.trigger_id} does not trigger fn_index {event.fn_index}."
        if any(target[1] == "like" for target in fn.targets):
            missing = [key for key in LIKE_KEYS if key not in (event.event_data or {})]
            if missing:
                return None, (f"A like event's event_data needs the keys {', '.join(LIKE_KEYS)}; "
                              f"{', '.join(missing)} missing.")
        return event, None


def _query_session(scope: Scope) -> str | None:
    """The ``session_hash`` query parameter when it is a valid one."""
    session = QueryParams(scope.get("query_string", b"").decode("latin-1")).get("session_hash", "")
    return session if re.fullmatch(SESSION_HASH, session) else None


def _decrement(counter: Counter[str], key: str) -> None:
    counter[key] -= 1
    if counter[key] <= 0:
        del counter[key]


async def _body(receive: Receive) -> tuple[bytes, Receive]:
    """The request body (already read whole and bounded by ``door.BodyReader``) and a receive
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
