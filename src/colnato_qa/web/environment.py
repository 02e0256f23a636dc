"""The web server's own settings, read from environment variables in this one place
(documented in docs/security.md):

* ``COLNATO_QA_ALLOWED_HOSTS``: comma-separated host names the server answers to (the ``Host``
  header; ``*.example.com`` matches subdomains, ``*`` turns the check off). Default: localhost
  names plus the address the server is bound to.
* ``COLNATO_QA_FEEDBACK``: the feedback log file. Default: ``feedback.jsonl`` in the user's
  state directory (``~/.local/state/colnato-qa/`` on Linux), outside the source tree.
* ``COLNATO_QA_FEEDBACK_MAX_BYTES``: size at which the feedback log is rotated (default 10 MB).
* ``COLNATO_QA_FEEDBACK_BACKUPS``: rotated files kept (default 5); the log never holds more
  than ``MAX_BYTES * (BACKUPS + 1)`` bytes.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import ConfigError

ALLOWED_HOSTS_ENV = "COLNATO_QA_ALLOWED_HOSTS"
FEEDBACK_PATH_ENV = "COLNATO_QA_FEEDBACK"
FEEDBACK_MAX_BYTES_ENV = "COLNATO_QA_FEEDBACK_MAX_BYTES"
FEEDBACK_BACKUPS_ENV = "COLNATO_QA_FEEDBACK_BACKUPS"

DEFAULT_FEEDBACK_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_FEEDBACK_BACKUPS = 5
MIN_FEEDBACK_MAX_BYTES = 16 * 1024     # room for a few entries


class EnvironmentSettingError(ConfigError):
    """An environment variable of the web server holds a value it cannot use."""


def default_feedback_path() -> Path:
    from platformdirs import user_state_path

    return user_state_path("colnato-qa") / "feedback.jsonl"


def feedback_path() -> Path:
    raw = os.environ.get(FEEDBACK_PATH_ENV, "").strip()
    return Path(raw).expanduser() if raw else default_feedback_path()


def _int_setting(name: str, default: int, minimum: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise EnvironmentSettingError(f"{name} must be a whole number, got {raw!r} (default {default})") from None
    if value < minimum:
        raise EnvironmentSettingError(f"{name} must be at least {minimum}, got {value} (default {default})")
    return value


def feedback_max_bytes() -> int:
    return _int_setting(FEEDBACK_MAX_BYTES_ENV, DEFAULT_FEEDBACK_MAX_BYTES, MIN_FEEDBACK_MAX_BYTES)


def feedback_backups() -> int:
    return _int_setting(FEEDBACK_BACKUPS_ENV, DEFAULT_FEEDBACK_BACKUPS, 1)


def allowed_hosts() -> list[str] | None:
    """The host allow-list from the environment, or None when it is not set."""
    raw = os.environ.get(ALLOWED_HOSTS_ENV)
    if raw is None or not raw.strip():
        return None
    return [h.strip() for h in raw.split(",") if h.strip()]
