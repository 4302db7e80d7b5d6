"""Headless Chromium for the demo page: launching it the same way everywhere, and screenshots.

The browser tests and ``authkit compare`` both drive Debian's ``chromium`` through Playwright
for Python. Playwright's own browser download is never used (it cannot work offline and would
test a different build): :func:`launch` points Playwright at the system binary with the flags
a closed, headless machine needs.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, BrowserType, Page, Playwright

#: Where Debian's ``chromium`` package puts the browser; ``AUTHKIT_CHROMIUM`` overrides it.
DEFAULT_CHROMIUM = "/usr/bin/chromium"
#: ``--headless`` comes from Playwright itself; Playwright's launch also gives every browser a
#: fresh, empty profile (user-data-dir) that it removes afterwards. Without the
#: background-networking flags Chromium keeps trying to reach Google's hosts, which a machine
#: without a network refuses, many times over.
CHROMIUM_ARGS = (
    "--no-sandbox",  # as root, Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
DEMO_USER = ("alice", "alice-pass-123")
#: What a screenshot shows in the cart.
SCREENSHOT_PRODUCTS = ("sku-001", "sku-005", "sku-005")
VIEWPORT = {"width": 1100, "height": 820}


def chromium_path() -> str | None:
    """The Chromium binary to drive, or None when there is none."""
    wanted = os.environ.get("AUTHKIT_CHROMIUM", DEFAULT_CHROMIUM)
    return shutil.which(wanted)


def unavailable_reason() -> str | None:
    """Why no browser can be driven here (Playwright or Chromium missing), or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed: pip install -e '.[dev]'"
    if chromium_path() is None:
        wanted = os.environ.get("AUTHKIT_CHROMIUM", DEFAULT_CHROMIUM)
        return f"Chromium not found at {wanted}: apt-get install chromium (Debian/Ubuntu)"
    return None


@contextmanager
def driver() -> Iterator[Playwright]:
    r"""Playwright's sync driver for the block. One per thread: Playwright refuses a second
    in a thread that runs one, so whoever needs two browsers :func:`start`\ s both on it."""
    reason = unavailable_reason()
    if reason:
        raise RuntimeError(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


def start(playwright: Playwright, extra_args: tuple[str, ...] = ()) -> Browser:
    """A headless Chromium on ``playwright`` (``extra_args``: more flags); the caller closes it."""
    return playwright.chromium.launch(
        executable_path=chromium_path(), args=[*CHROMIUM_ARGS, *extra_args], headless=True
    )


@contextmanager
def launch(extra_args: tuple[str, ...] = ()) -> Iterator[Browser]:
    """One headless Chromium for the duration of the block (``extra_args``: more flags)."""
    with driver() as playwright:
        browser = start(playwright, extra_args)
        try:
            yield browser
        finally:
            browser.close()


def tls_args(host: str, spki_sha256: str) -> tuple[str, ...]:
    """Flags that send ``host`` to loopback and trust the certificate with that public key.

    Trusting the key keeps the certificate valid in Chromium's eyes: a certificate error
    that is merely ignored (Playwright's ``ignore_https_errors``) would also make Chromium
    ignore HSTS for the host. Chromium honours the key list only with a user-data-dir,
    which Playwright's launch always passes.
    """
    return (
        f"--host-resolver-rules=MAP {host} 127.0.0.1",
        f"--ignore-certificate-errors-spki-list={spki_sha256}",
    )


@contextmanager
def on_profile(browser_type: BrowserType, profile: Path) -> Iterator[BrowserContext]:
    """One run of Chromium on the user-data directory ``profile``; leaving the block quits it.

    :func:`launch` gives every browser a fresh profile that dies with it; here the profile
    outlives the browser, so a second block on the same directory is the same browser
    started again: what Chromium keeps on disk (persistent cookies, localStorage) is there,
    what it keeps for the session (cookies without an expiry, page memory) is not.
    ``browser_type`` is a running Playwright's ``chromium`` (``browser.browser_type``).
    """
    reason = unavailable_reason()
    if reason:
        raise RuntimeError(reason)
    context = browser_type.launch_persistent_context(
        str(profile), executable_path=chromium_path(), args=list(CHROMIUM_ARGS), headless=True
    )
    try:
        yield context
    finally:
        context.close()


def open_page(page: Page, url: str, storage: Literal["memory", "local"] = "memory") -> None:
    """Load the demo page and wait until it has found the auth style and the user."""
    page.goto(url.rstrip("/") + ("/?storage=local" if storage == "local" else "/"))
    page.wait_for_selector("body[data-ready='1']")


def log_in(page: Page, username: str, password: str, remember: bool | None = None) -> None:
    """Log in through the page's form and wait for the logged-in view with its cart.

    ``remember`` sets the "remember me" box; None leaves it as the page started it.
    """
    page.fill("#username", username)
    page.fill("#password", password)
    if remember is not None:
        page.set_checked("#remember", remember)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector(f"#whoami:text-is('{username}')")
    # The cart as the server has it, not the empty table shown before /cart answers: a
    # JWT cart outlives the login, and a test reading it early would see no lines.
    page.wait_for_selector("#cart-lines[data-loaded='1']", state="attached")


def add_to_cart(page: Page, product_id: str) -> None:
    """Click a product's Add button and wait until the cart shows one more of it."""
    before = cart_quantity(page, product_id)
    page.click(f"button[data-product='{product_id}']")
    page.wait_for_function(
        "([id, n]) => { const row = document.querySelector(`#cart-lines tr[data-product='${id}']`);"
        " return row && Number(row.children[1].textContent) === n; }",
        arg=[product_id, before + 1],
    )


def cart_quantity(page: Page, product_id: str) -> int:
    """How many of ``product_id`` the page's cart shows (0 when none)."""
    row = page.query_selector(f"#cart-lines tr[data-product='{product_id}'] td:nth-child(2)")
    return int(row.text_content() or 0) if row else 0


def empty_cart(page: Page) -> None:
    """Remove every line through the page (a JWT cart outlives a login)."""
    while button := page.query_selector("#cart-lines button"):
        count = len(page.query_selector_all("#cart-lines tr"))
        button.click()
        page.wait_for_function(
            "n => document.querySelectorAll('#cart-lines tr').length < n", arg=count
        )


def screenshot(
    browser: Browser,
    url: str,
    out: Path,
    style: Literal["session", "bearer"] | None = None,
    user: tuple[str, str] = DEMO_USER,
    products: tuple[str, ...] = SCREENSHOT_PRODUCTS,
) -> Path:
    """Log in to the variant at ``url``, fill the cart, and save a PNG of the page at ``out``.

    ``style``, when given, is checked against the style the page detected. The cart is
    emptied first, so the picture is the same on a fresh and a reused server.
    """
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        open_page(page, url)
        detected = page.get_attribute("body", "data-style")
        if style is not None and detected != style:
            raise RuntimeError(f"{url}: the page detected style {detected!r}, not {style!r}")
        if page.is_visible("#login"):
            log_in(page, *user)
        empty_cart(page)
        for product_id in products:
            add_to_cart(page, product_id)
        page.evaluate("document.getElementById('status').textContent = ''")
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out), full_page=True)
        return out
    finally:
        context.close()


def screenshot_variants(
    targets: Mapping[str, tuple[str, Literal["session", "bearer"]]], out_dir: Path
) -> dict[str, Path]:
    """Screenshots of several running variants with one browser: ``{name: (url, style)}``.

    Returns ``{name: png_path}`` (``out_dir/<name>.png``). Raises RuntimeError, with the
    reason, when no browser can be driven here.
    """
    shots = {}
    with launch() as browser:
        for name, (url, style) in targets.items():
            shots[name] = screenshot(browser, url, out_dir / f"{name}.png", style=style)
    return shots


def main() -> None:
    """``python -m authkit.browser URL STYLE OUT [SPKI]``: one screenshot (compare runs
    this); ``SPKI``: the key of an HTTPS front's certificate, to trust it."""
    import sys

    url, style, out = sys.argv[1:4]
    spki = sys.argv[4:5]
    started = time.monotonic()
    from authkit.tls import BROWSER_HOST

    with launch(tls_args(BROWSER_HOST, spki[0]) if spki else ()) as browser:
        screenshot(browser, url, Path(out), style=style)  # type: ignore[arg-type]
    print(f"{out} in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
