"""The demo page over plain HTTP: served by every variant with its policy headers, while the
API's own headers stay as they were. Needs no browser, so it runs everywhere."""

from __future__ import annotations

from html.parser import HTMLParser

import requests

from authkit.launcher import Target
from shared.http_policy import API_CSP
from shared.page import ASSETS, CONTENT_SECURITY_POLICY


class _Scripts(HTMLParser):
    """Collects what a strict CSP would refuse: inline scripts, handlers, style attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script":
            self._in_script = True
            if "src" not in names:
                self.inline.append("<script> without src")
        for name in names:
            if name.startswith("on") or name == "style":
                self.inline.append(f"<{tag} {name}=...>")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = tag != "script" and self._in_script

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append("script text")


def test_the_page_and_its_assets_are_served_with_a_strict_policy(target: Target) -> None:
    for path, asset in ASSETS.items():
        response = requests.get(target.url + path, timeout=10)
        assert response.status_code == 200, (path, response.text[:200])
        assert response.headers["Content-Type"] == asset.content_type
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert not {c.lower() for c in response.cookies}, "the page sets no cookie"
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY


def test_the_page_has_nothing_inline_and_no_secrets(target: Target) -> None:
    html = requests.get(target.url + "/", timeout=10).text
    parser = _Scripts()
    parser.feed(html)
    assert parser.inline == []
    for secret_like in ("csrf_token", "access_token", "eyJ", "sessionid"):
        assert secret_like not in html


def test_the_page_is_read_only(target: Target) -> None:
    response = requests.post(target.url + "/", timeout=10)
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_the_api_keeps_its_headers(target: Target) -> None:
    """Serving a page changed nothing for the API: JSON, nosniff, no-store unless public,
    and the API's own strict policy, not the page's."""
    me = requests.get(target.url + "/me", timeout=10)
    assert me.status_code == 401
    assert me.headers["Content-Type"].startswith("application/json")
    assert me.headers["Cache-Control"] == "no-store"
    assert me.headers["X-Content-Type-Options"] == "nosniff"
    assert me.headers["Content-Security-Policy"] == API_CSP
    products = requests.get(target.url + "/products", timeout=10)
    assert products.headers["Content-Type"].startswith("application/json")
    assert "no-store" not in products.headers.get("Cache-Control", "")
