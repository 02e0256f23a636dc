"""The security settings themselves: values from the environment are checked and bad ones are
refused with a message naming the variable; the host allow-list's defaults; the accept-error
log filter's one line a second."""

from __future__ import annotations

import errno
import logging

import pytest

from colnato_qa.web import environment
from colnato_qa.web.connections import ACCEPT_ERROR_PREFIX, OneLineAcceptErrors
from colnato_qa.web.security import LOCAL_HOSTS, HostAllowList, OriginError, bind_hosts, parse_allowed_hosts


@pytest.mark.parametrize("raw", ["https://chat.example", "chat.example/path", "chat example", "a@b", "*evil.example"])
def test_a_bad_allowed_host_is_refused_with_the_variable_named(raw):
    with pytest.raises(OriginError, match="COLNATO_QA_ALLOWED_HOSTS"):
        parse_allowed_hosts(raw)


def test_allowed_hosts_are_lower_cased_and_deduplicated():
    assert parse_allowed_hosts(" Chat.Example ,chat.example,*.cdn.example,[::1]") == [
        "chat.example", "*.cdn.example", "[::1]"]


def test_the_default_is_localhost_plus_the_bind_address(monkeypatch):
    monkeypatch.delenv(environment.ALLOWED_HOSTS_ENV, raising=False)
    hosts = HostAllowList()
    assert hosts.hosts == list(LOCAL_HOSTS)
    hosts.allow_bind("192.0.2.7")
    assert hosts.hosts == [*LOCAL_HOSTS, "192.0.2.7"]
    assert "[2001:db8::1]" in bind_hosts("2001:db8::1")


def test_the_setting_replaces_the_default_and_the_bind_address(monkeypatch):
    monkeypatch.setenv(environment.ALLOWED_HOSTS_ENV, "chat.example")
    hosts = HostAllowList()
    hosts.allow_bind("0.0.0.0")
    assert hosts.hosts == ["chat.example"]


@pytest.mark.parametrize("name, raw", [(environment.FEEDBACK_MAX_BYTES_ENV, "ten"),
                                       (environment.FEEDBACK_MAX_BYTES_ENV, "100"),
                                       (environment.FEEDBACK_BACKUPS_ENV, "0")])
def test_bad_feedback_settings_name_the_variable(monkeypatch, name, raw):
    monkeypatch.setenv(name, raw)
    with pytest.raises(environment.EnvironmentSettingError, match=name):
        environment.feedback_max_bytes() if "BYTES" in name else environment.feedback_backups()


def accept_error() -> logging.LogRecord:
    exc = OSError(errno.EMFILE, "Too many open files")
    return logging.LogRecord("asyncio", logging.ERROR, __file__, 1, f"{ACCEPT_ERROR_PREFIX}\nsocket: <...>", None,
                             (OSError, exc, None))


def test_accept_errors_become_one_line_a_second_that_counts_them(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr("colnato_qa.web.connections.time.monotonic", lambda: clock[0])
    keep = OneLineAcceptErrors(interval_s=1.0)
    kept = []
    for i in range(2500):                       # asyncio's burst: one record per accept() attempt
        clock[0] += 0.001
        record = accept_error()
        if keep.filter(record):
            kept.append(record)
    assert len(kept) == 3                       # at 0 s, 1 s and 2 s
    for record in kept:
        assert record.exc_info is None and "\n" not in record.getMessage()
        assert "Too many open files" in record.getMessage()
    assert "1000 refusals" in kept[1].getMessage()
    other = logging.LogRecord("asyncio", logging.ERROR, __file__, 1, "something else", None, None)
    assert keep.filter(other) and other.getMessage() == "something else"
