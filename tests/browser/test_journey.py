"""The demo page in headless Chromium, for every variant: log in, add to the cart, reload,
log out; in both of the bearer page's storage modes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from authkit import browser as ui
from authkit.launcher import Target
from tests.targets import Fleet, bearer_style, only_targets

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Response

#: Access tokens short enough to watch the page refresh them, twice, within seconds.
SHORT_ACCESS_SECONDS = 2


def storage_modes(target: Target) -> list[str]:
    """The session page has one mode; the bearer page keeps tokens in memory or localStorage."""
    return ["memory", "local"] if target.style == "bearer" else ["memory"]


def logged_in_as(page: Page) -> str | None:
    return page.text_content("#whoami") if page.is_visible("#account") else None


def test_log_in_add_to_cart_reload_log_out(
    target: Target, context: BrowserContext, user: tuple[str, str]
) -> None:
    keeps_login = target.declaration("page_reload_keeps_login")
    assert keeps_login is not None, f"{target.id} declares nothing for its page"
    refused: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    for storage in storage_modes(target):
        page = context.new_page()
        page.on("console", on_console)
        ui.open_page(page, target.url, storage=storage)  # type: ignore[arg-type]
        assert page.get_attribute("body", "data-style") == target.style
        assert logged_in_as(page) is None
        ui.log_in(page, *user)
        ui.empty_cart(page)  # a JWT cart is kept per user, across logins and modes
        ui.add_to_cart(page, "sku-001")
        ui.add_to_cart(page, "sku-001")
        ui.add_to_cart(page, "sku-002")

        page.reload()
        page.wait_for_selector("body[data-ready='1']")
        still_logged_in = logged_in_as(page) == user[0]
        expected = keeps_login == "yes" or storage == "local"
        assert still_logged_in == expected, (storage, keeps_login)
        if not still_logged_in:  # tokens were in this page's memory: log in again
            assert page.is_visible("#login")
            ui.log_in(page, *user)
        assert ui.cart_quantity(page, "sku-001") == 2
        assert ui.cart_quantity(page, "sku-002") == 1

        page.click("#logout")
        page.wait_for_url("**/?*logged_out=1*")
        page.wait_for_selector("body[data-ready='1']")
        assert logged_in_as(page) is None
        assert page.is_visible("#login")
        assert page.text_content("#status") == "You are logged out."
        if storage == "local":
            assert page.evaluate("localStorage.getItem('authkit.tokens')") is None
        page.close()
    assert refused == [], "the page must work under its own Content-Security-Policy"


@only_targets(bearer_style)
def test_the_bearer_page_refreshes_its_tokens_before_they_expire(
    target_id: str, fleet: Fleet, browser: Browser
) -> None:
    """Tokens in memory are refreshed ahead of expiry: the page keeps working past the first
    access token's lifetime and never meets a 401 on the way."""
    env = {"ACCESS_TTL_SECONDS": str(SHORT_ACCESS_SECONDS)}
    with fleet.dedicated(target_id, env) as target, browser.new_context() as context:
        # The context closes first: its keep-alive connections would hold up gunicorn's stop.
        page = context.new_page()
        seen: list[Response] = []
        page.on("response", lambda response: seen.append(response))
        ui.open_page(page, target.url)
        ui.log_in(page, "alice", "alice-pass-123")
        ui.empty_cart(page)
        for _ in range(2):  # two refreshes: more than one whole access-token lifetime
            with page.expect_response(
                lambda r: r.url.endswith("/token/refresh"), timeout=SHORT_ACCESS_SECONDS * 5000
            ) as refreshed:
                pass
            assert refreshed.value.status == 200
        ui.add_to_cart(page, "sku-004")
        api = [r for r in seen if r.url.startswith(target.url) and "/token/" not in r.url]
        assert [r.url for r in api if r.status == 401] == []
        assert page.text_content("#whoami") == "alice"
