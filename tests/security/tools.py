"""Helpers of the security suite: raw HTTP on 127.0.0.1 (for bodies and heads no polite client
sends), the server process's memory, its log since a mark, and the page's events."""

from __future__ import annotations

import re
import selectors
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass

import psutil

from tests.web_fixtures import RunningServer, page_config

MB = 1024 * 1024
TRACEBACK_MARKERS = ("Traceback (most recent call last)", "Exception in ASGI application", "--- Logging error ---")
ADDRESS_REPR = re.compile(r" object at 0x[0-9a-fA-F]+")


# -- raw HTTP ----------------------------------------------------------------------------------------
@dataclass
class RawResponse:
    status: int | None        # None: the server closed without answering
    head: str
    body: bytes
    seconds: float
    bytes_sent: int


def raw_request(port: int, head: str, body: Iterable[bytes] = (), timeout_s: float = 10.0,
                wait_first_s: float = 0.2) -> RawResponse:
    """Send ``head`` (request line and headers, CRLF-separated, without the blank line) and then
    the pieces of ``body`` as long as the server reads them; stop as soon as it answers or
    closes. The server is expected to answer before the whole body is sent when it refuses it.

    The body waits ``wait_first_s`` for an answer to the head alone (a refusal of a declared
    length comes at once, and is then read before any body byte could make the server's close
    a reset)."""
    started = time.monotonic()
    sent = 0
    received = b""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout_s)
    selector = selectors.DefaultSelector()      # epoll: works for descriptors above 1024
    try:
        sock.sendall(head.encode("latin-1") + b"\r\n\r\n")
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
        pieces = iter(body)
        pending = b""
        closed = False
        deadline = started + timeout_s
        if selector.select(timeout=wait_first_s):
            pieces = iter(())                   # answered already: send nothing more
        while time.monotonic() < deadline and not closed:
            if not pending:
                pending = next(pieces, b"")
            selector.modify(sock, selectors.EVENT_READ | (selectors.EVENT_WRITE if pending else 0))
            events = selector.select(timeout=0.05)
            mask = events[0][1] if events else 0
            if mask & selectors.EVENT_READ:
                try:
                    chunk = sock.recv(65536)
                except (ConnectionResetError, BrokenPipeError):
                    chunk = b""
                if not chunk:
                    closed = True
                received += chunk
                if b"\r\n\r\n" in received and _complete(received):
                    break
            elif mask & selectors.EVENT_WRITE:
                try:
                    n = sock.send(pending)
                except (BlockingIOError, InterruptedError):
                    n = 0
                except (ConnectionResetError, BrokenPipeError):
                    closed = True
                    n = 0
                sent += n
                pending = pending[n:]
    finally:
        selector.close()
        sock.close()
    head_text, _, rest = received.partition(b"\r\n\r\n")
    match = re.match(rb"HTTP/1\.[01] (\d{3})", head_text)
    return RawResponse(int(match.group(1)) if match else None, head_text.decode("latin-1"), rest,
                       time.monotonic() - started, sent)


def _complete(received: bytes) -> bool:
    head, _, body = received.partition(b"\r\n\r\n")
    match = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
    return match is None or len(body) >= int(match.group(1))


def repeated(piece: bytes, total_bytes: int, size: int = 256 * 1024) -> Iterable[bytes]:
    """``total_bytes`` of ``piece`` repeated, in blocks of ``size`` bytes."""
    block = (piece * (size // len(piece) + 1))[:size]
    left = total_bytes
    while left > 0:
        yield block[:left]
        left -= len(block)


def chunked(pieces: Iterable[bytes]) -> Iterable[bytes]:
    for piece in pieces:
        yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    yield b"0\r\n\r\n"


def post_head(path: str, port: int, length: int | None, content_type: str = "application/json",
              extra: str = "") -> str:
    size = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {content_type}\r\n{size}"
            + (f"\r\n{extra}" if extra else ""))


# -- the server process --------------------------------------------------------------------------------
def rss_mb(server: RunningServer) -> float:
    return psutil.Process(server.process.pid).memory_info().rss / MB


def private_mb(server: RunningServer) -> float:
    """The server's anonymous resident memory (``RssAnon``): what requests and sessions allocate. Unlike the
    RSS it leaves out the pages of read-only files mapped in (the language identifier's tables, the word
    vectors), which a question brings in once, every process on the machine shares, and the kernel may drop."""
    for line in open(f"/proc/{server.process.pid}/status", encoding="ascii"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) * 1024 / MB
    return rss_mb(server)


class LogMark:
    """What the server wrote to its log after this mark."""

    def __init__(self, server: RunningServer) -> None:
        self.server = server
        self.offset = len(server.log())

    def since(self) -> str:
        return self.server.log()[self.offset:]

    def tracebacks(self) -> list[str]:
        text = self.since()
        return [marker for marker in TRACEBACK_MARKERS if marker in text]


# -- the page's events -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PageEvent:
    fn_index: int
    trigger_id: int
    trigger: str          # "submit", "click", "like", ...
    inputs: tuple[int, ...]
    api_name: str | None


def page_events(url: str) -> tuple[dict, list[PageEvent]]:
    """The page's config and every event in it."""
    config = page_config(url)
    events = []
    for dep in config["dependencies"]:
        for target_id, trigger in dep["targets"]:
            events.append(PageEvent(dep["id"], target_id, trigger, tuple(dep["inputs"]), dep.get("api_name")))
    return config, events
