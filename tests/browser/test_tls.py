"""HTTPS in Chromium: what ``Secure``, ``__Host-`` and HSTS do, and what plain HTTP exposes.

The page is served under :data:`authkit.tls.BROWSER_HOST`, which Chromium maps to loopback
(``--host-resolver-rules``): for ``localhost`` and ``127.0.0.1`` Chromium treats even plain
HTTP as a secure origin, so neither a ``Secure`` cookie nor HSTS would show anything there.
Chromium trusts each front's certificate by its public key (``--ignore-certificate-errors-
spki-list``), so the certificate is valid in its eyes and HSTS is honoured. Each front also
has an *observer*: a plain-HTTP listener of the same app that logs every Cookie header it
receives, standing in for whoever can read an unencrypted hop.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
import requests

from authkit import browser as ui
from authkit.front import PrivateNginx
from authkit.launcher import Launcher, Target
from authkit.tls import BROWSER_HOST, HSTS_MAX_AGE_SECONDS
from authkit.variants import VARIANTS
from tests.browser.conftest import ACTION_TIMEOUT_MS
from tests.targets import TEST_ENV

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Playwright

#: The main session variants (make compare's set): the ones whose cookie is the credential.
SESSION_MAIN = [n for n, v in VARIANTS.items() if v.in_default_compare and v.style == "session"]
ALICE = ("alice", "alice-pass-123")


@dataclass
class Served:
    #: Each main session variant over HTTPS, with an observer.
    tls: dict[str, Target]
    #: The first of them over plain HTTP (the kit's default), with an observer.
    plain: Target


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    with Launcher(env=TEST_ENV) as launcher:
        yield Served(
            tls={name: launcher.target(name, tls=True, observer=True) for name in SESSION_MAIN},
            plain=launcher.target(SESSION_MAIN[0], observer=True),
        )


def _front(target: Target) -> PrivateNginx:
    assert target.server and target.server.front
    return target.server.front


@pytest.fixture(scope="module")
def tls_browser(served: Served, driver: Playwright) -> Iterator[Browser]:
    """A Chromium of its own (on the session's driver), sending BROWSER_HOST to loopback and
    trusting the fronts' keys."""
    keys = []
    for target in served.tls.values():
        certificate = _front(target).certificate
        assert certificate is not None
        keys.append(certificate.spki_sha256())
    launched = ui.start(driver, ui.tls_args(BROWSER_HOST, ",".join(keys)))
    try:
        yield launched
    finally:
        launched.close()


@pytest.fixture
def new_context(tls_browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Fresh contexts (cookies, HSTS memory and all), closed after the test."""
    opened: list[BrowserContext] = []

    def make(**options: object) -> BrowserContext:
        context = tls_browser.new_context(**options)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        opened.append(context)
        return context

    yield make
    for context in opened:
        context.close()


def _at(scheme: str, port: int | None, path: str = "") -> str:
    return f"{scheme}://{BROWSER_HOST}:{port}{path}"


def _port(url: str) -> int | None:
    return urlsplit(url).port


@pytest.mark.parametrize("variant", SESSION_MAIN)
def test_a_secure_cookie_is_not_sent_over_plain_http(
    variant: str, served: Served, new_context: Callable[..., BrowserContext]
) -> None:
    """Logged in over HTTPS, the browser holds a ``Secure`` ``__Host-`` cookie; a request to
    the same host over plain HTTP (the observer's port) goes out without it."""
    target = served.tls[variant]
    front = _front(target)
    context = new_context()
    page = context.new_page()
    ui.open_page(page, _at("https", _port(target.url)))
    ui.log_in(page, *ALICE)
    ui.add_to_cart(page, "sku-002")  # a write: Origin and the CSRF token checked over TLS
    (cookie,) = [c for c in context.cookies() if c["value"]]
    assert cookie["name"].startswith("__Host-") and cookie["secure"], cookie
    assert cookie["domain"] == BROWSER_HOST and cookie["path"] == "/", cookie
    # The same cookie jar without the HSTS answer this context has seen (a first visit over
    # http, or a policy that expired): HSTS would otherwise upgrade the request itself.
    jar_only = new_context(storage_state=context.storage_state())
    assert [c["value"] for c in jar_only.cookies()] == [cookie["value"]]
    seen_before = len(front.observed())
    answer = jar_only.new_page().goto(_at("http", front.observer_port, "/me"))
    assert answer is not None and answer.url.startswith("http://"), "not upgraded"
    assert answer.status == 401, "the observer's app got no session cookie"
    seen = front.observed()[seen_before:]
    assert any(line.startswith("GET /me ") for line in seen), seen
    assert not any(cookie["value"] in line for line in seen), seen
    # Over https the same jar is logged in: the cookie was held, and withheld above.
    me = jar_only.new_page().goto(_at("https", _port(target.url), "/me"))
    assert me is not None and me.status == 200 and me.json() == {"username": ALICE[0]}


def test_hsts_upgrades_a_typed_http_url(
    served: Served, new_context: Callable[..., BrowserContext]
) -> None:
    """After one visit over HTTPS (served over HTTP/2), a typed ``http://`` URL of the host
    never leaves the browser as plain HTTP: Chromium redirects it internally (a 307 whose
    reason is HSTS). Without that visit, the same URL goes out as plain HTTP."""
    target = served.tls[SESSION_MAIN[0]]
    typed = _at("http", _port(target.url), "/products")
    first_visit = new_context().new_page().goto(typed)
    # Plain HTTP reached the TLS port, which refuses it: no policy, no upgrade.
    assert first_visit is not None and first_visit.url == typed and first_visit.status == 400

    page = new_context().new_page()
    visit = page.goto(_at("https", _port(target.url), "/"))
    assert visit is not None and visit.status == 200
    assert visit.headers["strict-transport-security"] == f"max-age={HSTS_MAX_AGE_SECONDS}"
    protocol = page.evaluate("performance.getEntriesByType('navigation')[0].nextHopProtocol")
    assert protocol == "h2"
    answer = page.goto(typed)
    assert answer is not None and answer.status == 200
    assert answer.url == _at("https", _port(target.url), "/products")
    hop = answer.request.redirected_from
    assert hop is not None and hop.url == typed
    internal = hop.response()
    assert internal is not None and internal.status == 307
    assert internal.headers.get("non-authoritative-reason") == "HSTS", internal.headers


def test_an_observer_on_plain_http_reads_the_session_id(
    served: Served, new_context: Callable[..., BrowserContext]
) -> None:
    """Over plain HTTP (the kit's default) the session ID crosses the wire in the clear:
    the observer logs it, and the ID alone, from another client, is the user."""
    target = served.plain
    front = _front(target)
    context = new_context()
    page = context.new_page()
    ui.open_page(page, _at("http", front.observer_port))
    ui.log_in(page, *ALICE)
    (cookie,) = [c for c in context.cookies() if c["value"]]
    assert not cookie["secure"], cookie
    sniffed = [line for line in front.observed() if cookie["value"] in line]
    assert sniffed, front.observed()
    match = re.search(rf"{re.escape(cookie['name'])}=([^;\s]+)", sniffed[-1])
    assert match, sniffed[-1]
    stolen = requests.get(target.url + "/me", cookies={cookie["name"]: match.group(1)}, timeout=10)
    assert stolen.status_code == 200 and stolen.json() == {"username": ALICE[0]}
