"""Capacity settings of the web server, in one place so benchmarks can tune them.

Two doors lead to the engine and each has its own bound:

* the Gradio queue (the chat page): ``CHAT_CONCURRENCY_LIMIT`` chat events run at once,
  at most ``CHAT_QUEUE_MAX_SIZE`` wait; beyond that Gradio tells the user the queue is full;
* ``POST /api/ask``: ``API_MAX_CONCURRENT`` engine calls run at once in worker threads, at
  most ``API_MAX_WAITING`` requests wait, each at most ``API_WAIT_TIMEOUT_S`` seconds; a
  request beyond either bound gets ``503 Service Unavailable`` with ``Retry-After``.
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
