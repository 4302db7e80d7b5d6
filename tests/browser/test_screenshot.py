"""The screenshot for the compare report: :func:`authkit.browser.screenshot`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from authkit import browser as ui
from authkit.launcher import Target

if TYPE_CHECKING:
    from playwright.sync_api import Browser

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_screenshot_of_a_logged_in_page_with_a_cart(
    target: Target, browser: Browser, user: tuple[str, str], tmp_path: Path
) -> None:
    out = ui.screenshot(
        browser,
        target.url,
        tmp_path / "page.png",
        style=target.style,
        user=user,  # type: ignore[arg-type]
    )
    data = out.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    assert width == ui.VIEWPORT["width"]
    assert height >= ui.VIEWPORT["height"] // 2
