"""Capacity and size limits of the web server, in one place so benchmarks can tune them and
docs/security.md can name them.

Two doors lead to the engine and each has its own bound:

* the Gradio queue (the chat page): ``CHAT_CONCURRENCY_LIMIT`` chat events run at once,
  at most ``CHAT_QUEUE_MAX_SIZE`` wait; beyond that Gradio tells the user the queue is full;
* ``POST /api/ask``: ``API_MAX_CONCURRENT`` engine calls run at once in worker threads, at
  most ``API_MAX_WAITING`` requests wait, each at most ``API_WAIT_TIMEOUT_S`` seconds; a
  request beyond either bound gets ``503 Service Unavailable`` with ``Retry-After``.

Before either, every request passes the same door (``door.py``, ``server.serve``): a body-size
limit, a body read deadline, and the connection limits of the HTTP server.
"""

from __future__ import annotations

CHAT_CONCURRENCY_LIMIT = 4
CHAT_QUEUE_MAX_SIZE = 64

API_MAX_CONCURRENT = 4
API_MAX_WAITING = 64
API_WAIT_TIMEOUT_S = 10.0
API_RETRY_AFTER_S = 2

# Request bodies of /api/ask larger than this are refused with 413 before being parsed.
API_MAX_BODY_BYTES = 64 * 1024
# -- every route -------------------------------------------------------------------------------
# Any request body larger than this is refused with 413 before the route sees it (the chat's
# events carry one question of at most 1000 characters: a few kB of JSON at most).
MAX_BODY_BYTES = API_MAX_BODY_BYTES
# The whole body must arrive within this many seconds (a body trickled byte by byte is cut off: 408).
BODY_READ_TIMEOUT_S = 10.0

# -- the chat page (Gradio) ------------------------------------------------------------------------
# Turns kept per conversation (older ones drop off the top of the chat and out of the history).
CHAT_MAX_TURNS = 20
# The conversation the browser keeps and sends with each event (chat_ui): its JSON is cut, oldest
# questions first, to this many bytes, so an event stays far below MAX_BODY_BYTES.
CHAT_CONVERSATION_MAX_BYTES = 24 * 1024
# Browser sessions whose rendered replies the server caches (the conversation itself is kept in the
# browser); the least recently used is dropped. A full session (20 turns) holds about 300 kB as measured
# (docs/security.md), so the cache stays under ~0.3 GB.
CHAT_MAX_SESSIONS = 1000
# Items in one Gradio event body (the widest event takes the question box and the session state).
CHAT_MAX_EVENT_INPUTS = 4
# Events one session may have joined and not yet read (GET /gradio_api/queue/data delivers them);
# a further join gets 429 until the client reads. A finished event's answer (the whole chat, up to
# CHAT_MAX_TURNS turns: about 100 kB) is held until read, so one session holds at most ~1 MB.
CHAT_MAX_UNREAD_EVENTS = 8
# A session whose queue nobody reads for this many seconds (no stream open, no join) loses its
# undelivered answers and its running events' results (gradio_gate: checked every sweep).
CHAT_UNREAD_DEADLINE_S = 30.0
CHAT_UNREAD_SWEEP_S = 5.0
# Long-lived streams (the session heartbeat and the queue's event stream) open at once: per client
# address, and in all, so that streams cannot take every connection slot (SERVER_LIMIT_CONCURRENCY).
# A browser tab holds one heartbeat, plus one event stream while it asks. Behind a proxy every client
# has the proxy's address: the proxy's per-client limit applies there (docs/security.md).
CHAT_MAX_STREAMS_PER_CLIENT = 100
CHAT_MAX_STREAMS = 2048

# -- the HTTP server (uvicorn; see server.serve) -------------------------------------------------------
# Connections plus in-flight requests beyond which new requests get 503 at once.
SERVER_LIMIT_CONCURRENCY = 4096
# An idle keep-alive connection is closed after this many seconds.
SERVER_KEEP_ALIVE_S = 5
# A request's headers must arrive within this many seconds of its first byte (or of the
# connection being opened); a slower client is disconnected (the slow-header flood).
SERVER_HEADER_TIMEOUT_S = 10.0
# Largest request head (request line plus headers) accepted; larger ones get 400.
SERVER_MAX_HEADER_BYTES = 16 * 1024
# Connections waiting in the kernel to be accepted.
SERVER_BACKLOG = 2048
