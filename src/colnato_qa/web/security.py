"""Who may call the API from another web page, who may frame the chat, and which host names
the server answers to.

The ``allowed_origins`` setting (``COLNATO_QA_ALLOWED_ORIGINS``, comma-separated, e.g.
``https://news.example,http://localhost:8000``; read by settings.py) is one allow-list for both:

* CORS: browsers on those origins may call ``/api/ask`` (and load the web component); other
  origins get no ``Access-Control-Allow-Origin`` header, so their browser refuses the response.
  With no origins set, only the server's own pages may call it. One answer is readable from
  every origin: ``GET /api/embed-check`` (``embed.py``), which tells a page whether its own
  origin is in the list, so that a refused page can say why.
* Framing: HTML responses carry ``Content-Security-Policy: frame-ancestors 'self' <origins>``,
  so only the server itself and those origins may put the chat in an iframe.

The ``allowed_hosts`` setting (``COLNATO_QA_ALLOWED_HOSTS``) is the allow-list of ``Host`` headers, checked
by Starlette's ``TrustedHostMiddleware`` before anything else: a request naming another host
(DNS rebinding: ``evil.example`` resolving to 127.0.0.1) gets ``400`` and never reaches Gradio,
which would otherwise reflect that host into ``/config`` and the page. Default: the localhost
names plus the address the server is bound to (``serve`` adds it).

The page's root URL (Gradio's ``root`` in ``/config`` and the HTML page, from which the page loads
its files and opens its queue) comes from the ``public_url`` setting when set, else from the
allowed ``Host`` only: ``ForwardedHeaders`` drops the headers Gradio would otherwise build it from
(``X-Forwarded-Host``, ``X-Forwarded-Proto``, ``X-Gradio-Server``, ``Forwarded`` ...), which the Host
allow-list does not cover, and ``/`` and ``/config`` are sent with ``Cache-Control: no-store`` so no
shared cache keeps a page built for another request.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.datastructures import MutableHeaders
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import ConfigError
from ..settings import parse_host_names

ALLOWED_ORIGINS_ENV = "COLNATO_QA_ALLOWED_ORIGINS"
ALLOWED_HOSTS_ENV = "COLNATO_QA_ALLOWED_HOSTS"
CORS_METHODS = ["GET", "POST", "OPTIONS"]
# Any request header: the web component sends Gradio's own (x-gradio-user ...); origins stay restricted.
CORS_HEADERS = ["*"]
CORS_MAX_AGE_S = 600

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]")
WILDCARD_BIND = ("0.0.0.0", "::", "")


class OriginError(ConfigError):
    """An entry of the allowed-origins (or allowed-hosts) list is not an origin (a host name)."""


def normalize_origin(value: str) -> str:
    """``scheme://host[:port]`` lower-cased, without path or trailing slash; ``*`` stays ``*``."""
    value = value.strip()
    if value == "*":
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise OriginError(
            f"{value!r} in {ALLOWED_ORIGINS_ENV} is not an origin: write it as scheme://host[:port], "
            "for example https://news.example or http://localhost:8000"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
        raise OriginError(
            f"{value!r} in {ALLOWED_ORIGINS_ENV} has more than an origin: keep only scheme://host[:port]"
        )
    return f"{parts.scheme}://{parts.netloc}".lower()


def parse_allowed_origins(raw: str | Iterable[str] | None) -> list[str]:
    """The allow-list from a comma-separated string (or a list); empty means same origin only."""
    if raw is None:
        return []
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    origins: list[str] = []
    for item in items:
        if item.strip():
            origin = normalize_origin(item)
            if origin not in origins:
                origins.append(origin)
    return origins


def origin_allowed(origin: str, origins: Iterable[str]) -> bool:
    """Whether a page on ``origin`` (an ``Origin`` header, as browsers send it) may call the API and
    frame the chat under the allow-list ``origins``: the rule CORSMiddleware applies."""
    origins = list(origins)
    return "*" in origins or origin in origins


def frame_ancestors_policy(origins: Iterable[str]) -> str:
    """The CSP value: ``frame-ancestors 'self' <origins>`` (``*`` allows any page to frame)."""
    origins = list(origins)
    if "*" in origins:
        return "frame-ancestors *"
    return " ".join(["frame-ancestors", "'self'", *origins])


class FramingPolicyMiddleware:
    """Adds ``Content-Security-Policy: frame-ancestors ...`` to every HTML response, drops any
    ``X-Frame-Options`` that would contradict it, and sets ``X-Content-Type-Options: nosniff``
    on every response."""

    def __init__(self, app: ASGIApp, origins: Iterable[str]) -> None:
        self.app = app
        self.policy = frame_ancestors_policy(origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                if headers.get("content-type", "").lower().startswith("text/html"):
                    if "x-frame-options" in headers:
                        del headers["x-frame-options"]
                    headers["Content-Security-Policy"] = self.policy
                    headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
            await send(message)

        await self.app(scope, receive, send_with_policy)


# Request headers a client could use to change the URLs the page is built with (Gradio reads the
# first three; the others are dropped too, so that no later code trusts them).
FORWARDED_HEADERS = frozenset({b"x-forwarded-host", b"x-forwarded-proto", b"x-gradio-server", b"forwarded",
                               b"x-forwarded-for", b"x-forwarded-port", b"x-forwarded-prefix", b"x-forwarded-server"})
# Responses no cache may keep: the page and its config embed the root URL.
NO_STORE_PATHS = frozenset({"/", "/config", "/config/"})


class ForwardedHeaders:
    """Removes ``FORWARDED_HEADERS`` from every request, and sends ``Cache-Control: no-store`` on
    ``NO_STORE_PATHS`` (see the module doc)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = scope.get("headers", [])
        if any(name in FORWARDED_HEADERS for name, _ in headers):
            scope = {**scope, "headers": [(n, v) for n, v in headers if n not in FORWARDED_HEADERS]}
        if scope["type"] != "http" or scope.get("path") not in NO_STORE_PATHS:
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_no_store)


def install_security(app: FastAPI, origins: list[str]) -> None:
    """CORS for the allow-list and the framing policy, on the whole app.

    CORSMiddleware is installed even when the list is empty: Gradio then leaves CORS to it
    instead of applying its own (looser, localhost-friendly) rules to the mounted chat.
    """
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=CORS_METHODS,
        allow_headers=CORS_HEADERS,
        allow_credentials=False,
        max_age=CORS_MAX_AGE_S,
    )
    app.add_middleware(FramingPolicyMiddleware, origins=origins)


# -- the Host header ---------------------------------------------------------------------------------
def parse_allowed_hosts(raw: str | Iterable[str]) -> list[str]:
    """Host names from a comma-separated string (or a list), checked (``settings.parse_host_names``)
    and lower-cased; OriginError naming the setting for an entry that is not a host name."""
    try:
        return parse_host_names(raw)
    except ValueError as exc:
        raise OriginError(f"allowed_hosts (${ALLOWED_HOSTS_ENV}): {exc}") from None


def bind_hosts(bind: str) -> list[str]:
    """The names a client may use to reach a server bound to ``bind``: the address itself, or,
    for a wildcard bind (0.0.0.0, ::), this machine's name and addresses."""
    bind = bind.strip().lower().strip("[]")
    if bind not in WILDCARD_BIND:
        names = {bind}
    else:
        names = {socket.gethostname(), socket.getfqdn()}
        try:
            names |= {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None)}
        except OSError:
            pass
    names = {n.split("%")[0] for n in names if n}
    names |= {f"[{n}]" for n in names if ":" in n}     # an IPv6 literal appears bracketed in Host
    return parse_allowed_hosts(sorted(names))


class HostAllowList:
    """The allowed ``Host`` names: ``hosts`` (the ``allowed_hosts`` setting) when given, else the
    localhost names plus the bind address (added by ``allow_bind``, before the server starts)."""

    def __init__(self, hosts: str | Iterable[str] | None = None) -> None:
        configured = parse_allowed_hosts(hosts) if hosts is not None else []
        self.from_setting = bool(configured)
        self.hosts: list[str] = configured or list(LOCAL_HOSTS)

    def allow_bind(self, bind: str) -> None:
        if self.from_setting:
            return
        for host in bind_hosts(bind):
            if host not in self.hosts:
                self.hosts.append(host)


def install_host_check(app: FastAPI, allow_list: HostAllowList) -> None:
    """Refuse (400) requests whose ``Host`` is not in ``allow_list`` (checked on every request,
    so hosts added with ``allow_bind`` before serving take effect)."""
    app.state.allowed_hosts = allow_list
    app.add_middleware(_HostCheck, allow_list=allow_list)


class _HostCheck(TrustedHostMiddleware):
    """Starlette's TrustedHostMiddleware reading its list from a shared ``HostAllowList``."""

    def __init__(self, app: ASGIApp, allow_list: HostAllowList) -> None:
        super().__init__(app, allowed_hosts=allow_list.hosts, www_redirect=False)
        self.allowed_hosts = allow_list.hosts      # the same list object: later additions count
