"""Item 4 of issue 18: forwarded headers the Host allow-list does not cover.

The page's root URL (``root`` in ``/config`` and in the HTML page) is built from the ``public_url``
setting or the allowed Host only, never from ``X-Forwarded-Host``, ``X-Forwarded-Proto``,
``X-Gradio-Server`` or ``Forwarded``; ``/`` and ``/config`` are sent with ``Cache-Control:
no-store``; the nginx configuration of docs/security.md clears those headers."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.security.conftest import CONFIGURED_PUBLIC_URL
from tests.web_fixtures import REPO_ROOT

FORWARDED = {
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Proto": "https",
    "X-Gradio-Server": "javascript:alert(1)//",
    "Forwarded": "host=evil.example;proto=https",
}
SECURITY_DOC = REPO_ROOT / "docs" / "security.md"


@pytest.mark.parametrize("name", sorted(FORWARDED))
@pytest.mark.parametrize("path", ["/config", "/"])
def test_forwarded_headers_are_never_reflected(target, name, path):
    response = httpx.get(f"{target.url}{path}", headers={name: FORWARDED[name]}, timeout=10)
    assert response.status_code == 200
    text = response.text
    assert "evil.example" not in text and "javascript:" not in text and "https://127.0.0.1" not in text
    if path == "/config":
        assert response.json()["root"] == target.url
    assert response.headers.get("cache-control") == "no-store"


def test_the_public_url_setting_builds_the_root(configured):
    response = httpx.get(f"{configured.server.url}/config", headers={"X-Forwarded-Host": "evil.example"}, timeout=10)
    assert response.json()["root"] == CONFIGURED_PUBLIC_URL
    page = httpx.get(f"{configured.server.url}/", timeout=10).text
    assert "evil.example" not in page


def test_the_documented_proxy_configuration_clears_the_forwarded_headers():
    nginx = re.search(r"```nginx\n(.*?)```", SECURITY_DOC.read_text(encoding="utf-8"), re.S).group(1)
    for header in ("X-Forwarded-Host", "X-Forwarded-Proto", "X-Gradio-Server", "Forwarded"):
        assert re.search(rf'proxy_set_header\s+{header}\s+"";', nginx), f"the nginx configuration passes {header}"


def test_the_tested_replica_configuration_clears_the_page_root_headers():
    """deploy/nginx.conf, the configuration the replica tests run, never passes a client's page-root headers on."""
    nginx = (SECURITY_DOC.parents[1] / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    for header in ("X-Forwarded-Host", "X-Gradio-Server", "Forwarded"):
        assert re.search(rf'proxy_set_header\s+{header}\s+"";', nginx), f"deploy/nginx.conf passes {header}"
