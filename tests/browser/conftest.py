"""Fixtures of the browser tests: one headless Chromium per test session, a fresh context
(cookies, storage, cache) per test, and a second loopback origin for cross-site pages.

The browser is Debian's ``chromium`` driven by Playwright for Python (see
:mod:`authkit.browser`); where either is missing every browser test skips and says why.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest

from authkit import browser as chromium

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright

#: A second loopback address: a different site from 127.0.0.1 as far as the browser knows
#: (for IP hosts the site is the address itself), so SameSite and Sec-Fetch-Site apply.
ATTACKER_HOST = "127.0.0.2"
#: Playwright's default is 30 s; a page that does not answer within this is broken.
ACTION_TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def driver() -> Iterator[Playwright]:
    """Playwright's driver, one per test process: every browser of the session starts on it."""
    reason = chromium.unavailable_reason()
    if reason:
        pytest.skip(f"browser tests need a browser: {reason}")
    with chromium.driver() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(driver: Playwright) -> Iterator[Browser]:
    launched = chromium.start(driver)
    try:
        yield launched
    finally:
        launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh profile-like context: no cookies, no storage, no cache from other tests."""
    ctx = browser.new_context()
    ctx.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


class _AttackerPages(BaseHTTPRequestHandler):
    """Serves the attacker's page; its HTML is set by the test (``server.html``)."""

    def do_GET(self) -> None:
        body = self.server.html.encode()  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def attacker_server() -> Iterator[ThreadingHTTPServer]:
    """A plain HTTP server on 127.0.0.2 (another site), loopback only.

    The standard library's server is enough here: it serves one page that a test writes.
    """
    try:
        server = ThreadingHTTPServer((ATTACKER_HOST, 0), _AttackerPages)
    except OSError as exc:
        pytest.skip(f"cannot listen on {ATTACKER_HOST} for the cross-site page: {exc}")
    server.html = ""  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        with contextlib.suppress(OSError):
            server.server_close()
