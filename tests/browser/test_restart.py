"""Close Chromium and start it again on the same profile: who is still logged in.

Asserts ``browser_restart_keeps_login`` (``authkit/variants.py``) for every variant, with and
without "remember me" on the page's login form. The browser is really quit and started
again on a user-data directory that outlives it (:func:`authkit.browser.on_profile`), so
what survives is what Chromium itself keeps on disk: a cookie with an expiry, localStorage.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from authkit import browser as ui
from authkit.launcher import Target
from tests.browser.conftest import ACTION_TIMEOUT_MS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

STORAGE_KEY = "authkit.tokens"


def _logged_in_as(page: Page) -> str | None:
    return page.text_content("#whoami") if page.is_visible("#account") else None


def _open(context: BrowserContext, target: Target) -> Page:
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.pages[0] if context.pages else context.new_page()
    ui.open_page(page, target.url)
    return page


def _what_the_browser_holds(context: BrowserContext, page: Page, target: Target) -> dict:
    """The credential as Chromium holds it: cookies (with their expiry) and the page's
    stored tokens."""
    cookies = {c["name"]: c["expires"] for c in context.cookies(target.url)}
    stored = page.evaluate(f"localStorage.getItem({STORAGE_KEY!r})")
    return {"cookies": cookies, "stored_tokens": stored is not None}


@pytest.mark.parametrize("remember", [False, True], ids=["without-remember", "with-remember"])
def test_who_is_logged_in_after_a_browser_restart(
    target: Target, browser: Browser, user: tuple[str, str], tmp_path: Path, remember: bool
) -> None:
    declared = target.declaration("browser_restart_keeps_login")
    assert declared == "only_with_remember", declared
    remember_changes = target.declaration("remember_changes")
    profile = tmp_path / "profile"

    with ui.on_profile(browser.browser_type, profile) as context:
        page = _open(context, target)
        assert _logged_in_as(page) is None, "a new profile starts logged out"
        ui.log_in(page, *user, remember=remember)
        ui.empty_cart(page)  # a JWT cart is kept per user, across logins
        ui.add_to_cart(page, "sku-006")
        ui.add_to_cart(page, "sku-006")
        # Precondition: logged in with the cart filled, and the credential held as declared.
        assert _logged_in_as(page) == user[0]
        assert ui.cart_quantity(page, "sku-006") == 2
        held = _what_the_browser_holds(context, page, target)
        if remember_changes == "cookie_lifetime":
            (expires,) = held["cookies"].values()
            # Playwright reports -1 for a cookie that ends with the browser session.
            assert (expires > time.time()) if remember else (expires == -1), held
            assert not held["stored_tokens"]
        else:
            assert remember_changes == "page_token_storage"
            assert held == {"cookies": {}, "stored_tokens": remember}, held

    with ui.on_profile(browser.browser_type, profile) as context:
        page = _open(context, target)
        still = _logged_in_as(page) == user[0]
        assert still == remember, f"{target.id}: remember={remember}, logged in: {still}"
        if still:
            # The same session (or tokens) as before the restart: the cart is as it was.
            page.wait_for_selector("#cart-lines[data-loaded='1']", state="attached")
            assert ui.cart_quantity(page, "sku-006") == 2
        else:
            assert page.is_visible("#login")
            assert _what_the_browser_holds(context, page, target)["stored_tokens"] is False
            # Logging in again is a new session: the cart is back only where it is kept per
            # user, as after logging out and in (``cart_survives_logout``).
            ui.log_in(page, *user)
            kept = target.declaration("cart_survives_logout")
            assert ui.cart_quantity(page, "sku-006") == (2 if kept else 0)
        page.click("#logout")
        page.wait_for_url("**/?*logged_out=1*")
