"""The security settings themselves (``allowed_hosts`` and the feedback log's, read by
settings.py): values from the environment are checked and bad ones are refused with a message
naming the setting, its variable and the valid values; the host allow-list's defaults; the accept-error
log filter's one line a second."""

from __future__ import annotations

import errno
import logging

import pytest

from colnato_qa.errors import ConfigError
from colnato_qa.settings import Settings, load_settings
from colnato_qa.web.connections import ACCEPT_ERROR_PREFIX, OneLineAcceptErrors
from colnato_qa.web.security import LOCAL_HOSTS, HostAllowList, OriginError, bind_hosts, parse_allowed_hosts

NOT_HOSTS = ["https://chat.example", "chat.example/path", "chat example", "a@b", "*evil.example"]


@pytest.mark.parametrize("raw", NOT_HOSTS)
def test_a_bad_allowed_host_in_the_environment_is_refused_naming_the_setting(monkeypatch, tmp_path, raw):
    monkeypatch.setenv("COLNATO_QA_ALLOWED_HOSTS", f"localhost,{raw}")
    with pytest.raises(ConfigError, match=r"allowed_hosts: .* is not a host name.*COLNATO_QA_ALLOWED_HOSTS"):
        load_settings(tmp_path / "none.json")


@pytest.mark.parametrize("raw", NOT_HOSTS)
def test_a_bad_allowed_host_given_to_the_app_is_refused_naming_the_setting(raw):
    with pytest.raises(OriginError, match="allowed_hosts"):
        parse_allowed_hosts(raw)


def test_allowed_hosts_are_lower_cased_and_deduplicated(monkeypatch):
    raw = " Chat.Example ,chat.example,*.cdn.example,[::1]"
    assert parse_allowed_hosts(raw) == ["chat.example", "*.cdn.example", "[::1]"]
    monkeypatch.setenv("COLNATO_QA_ALLOWED_HOSTS", raw)
    assert Settings().allowed_hosts == ["chat.example", "*.cdn.example", "[::1]"]


@pytest.mark.parametrize("raw", [None, "", " , "])
def test_an_unset_or_empty_allowed_hosts_means_the_default(monkeypatch, raw):
    if raw is None:
        monkeypatch.delenv("COLNATO_QA_ALLOWED_HOSTS", raising=False)
    else:
        monkeypatch.setenv("COLNATO_QA_ALLOWED_HOSTS", raw)
    assert Settings().allowed_hosts is None


def test_the_default_is_localhost_plus_the_bind_address(monkeypatch):
    monkeypatch.delenv("COLNATO_QA_ALLOWED_HOSTS", raising=False)
    hosts = HostAllowList(Settings().allowed_hosts)
    assert hosts.hosts == list(LOCAL_HOSTS)
    hosts.allow_bind("192.0.2.7")
    assert hosts.hosts == [*LOCAL_HOSTS, "192.0.2.7"]
    assert "[2001:db8::1]" in bind_hosts("2001:db8::1")


def test_the_setting_replaces_the_default_and_the_bind_address(monkeypatch):
    monkeypatch.setenv("COLNATO_QA_ALLOWED_HOSTS", "chat.example")
    hosts = HostAllowList(Settings().allowed_hosts)
    hosts.allow_bind("0.0.0.0")
    assert hosts.hosts == ["chat.example"]


@pytest.mark.parametrize("name, raw, valid", [("feedback_max_bytes", "ten", "integer"),
                                              ("feedback_max_bytes", "100", ">= 16384"),
                                              ("feedback_backups", "0", ">= 1")])
def test_bad_feedback_settings_name_the_setting_and_the_valid_values(monkeypatch, tmp_path, name, raw, valid):
    monkeypatch.setenv(f"COLNATO_QA_{name.upper()}", raw)
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path / "none.json")
    message = str(caught.value)
    assert name in message and valid in message and f"$COLNATO_QA_{name.upper()}" in message


def test_the_feedback_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("COLNATO_QA_FEEDBACK", str(tmp_path / "fb.jsonl"))
    monkeypatch.setenv("COLNATO_QA_FEEDBACK_MAX_BYTES", "20000")
    monkeypatch.setenv("COLNATO_QA_FEEDBACK_BACKUPS", "3")
    settings = Settings()
    assert (settings.feedback, settings.feedback_max_bytes, settings.feedback_backups) == (
        tmp_path / "fb.jsonl", 20000, 3)


@pytest.mark.parametrize("raw", [None, ""])
def test_the_default_feedback_path_is_in_the_user_state_directory(monkeypatch, tmp_path, raw):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    if raw is None:
        monkeypatch.delenv("COLNATO_QA_FEEDBACK", raising=False)
    else:
        monkeypatch.setenv("COLNATO_QA_FEEDBACK", raw)
    assert Settings().feedback == tmp_path / "state" / "colnato-qa" / "feedback.jsonl"


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


@pytest.mark.parametrize("raw", ["javascript:alert(1)//", "chat.example", "https://", "https://a@chat.example",
                                 "https://chat.example/?x=1", "https://chat.example/#top"])
def test_a_bad_public_url_is_refused_naming_the_setting(monkeypatch, tmp_path, raw):
    monkeypatch.setenv("COLNATO_QA_PUBLIC_URL", raw)
    with pytest.raises(ConfigError, match=r"public_url: .* is not a public URL.*scheme://host"):
        load_settings(tmp_path / "none.json")


@pytest.mark.parametrize("raw, url", [("https://Chat.example/qa/", "https://chat.example/qa"),
                                      ("http://127.0.0.1:7860", "http://127.0.0.1:7860"), ("", None)])
def test_the_public_url_is_kept_without_a_trailing_slash(monkeypatch, tmp_path, raw, url):
    monkeypatch.setenv("COLNATO_QA_PUBLIC_URL", raw)
    assert load_settings(tmp_path / "none.json").public_url == url
