"""The demo page at ``/``: one source (``shared/web/``) served by every variant.

The page is static: plain files, no template and no inline script, so nothing secret can be
rendered into it and the Content-Security-Policy can allow scripts from this origin only.
Each variant adds the routes in :data:`ASSETS` with a few lines of its own framework's
routing; the bytes and headers come from here, so every variant serves the same page.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

WEB_DIR = Path(__file__).resolve().parent / "web"

#: No inline script or style, nothing from other origins, no framing, no plugins; forms and
#: fetches go to this origin only. An injected ``<script>`` tag cannot run under this policy
#: (the browser tests simulate an injection that got past it, to show what it could do).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ]
)

#: Headers of every page response. ``no-store`` (also set by each variant's API layer):
#: after logout, Back must not show a logged-in view from the HTTP cache.
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


@dataclass(frozen=True)
class Asset:
    file: str
    content_type: str


#: URL path -> file in ``shared/web``.
ASSETS: dict[str, Asset] = {
    "/": Asset("index.html", "text/html; charset=utf-8"),
    "/app.js": Asset("app.js", "text/javascript; charset=utf-8"),
    "/app.css": Asset("app.css", "text/css; charset=utf-8"),
}


@cache
def asset_bytes(path: str) -> bytes:
    """The file served at ``path`` (read once per process)."""
    return (WEB_DIR / ASSETS[path].file).read_bytes()


def asset_headers(path: str) -> dict[str, str]:
    return {"Content-Type": ASSETS[path].content_type, **PAGE_HEADERS}


def register_flask(app: Flask) -> None:
    """Serve the page and its assets from a Flask app, GET (and HEAD) only."""

    from flask import Response, request  # the Django variant does not need Flask

    def serve() -> Response:
        path = request.path
        return Response(asset_bytes(path), headers=asset_headers(path))

    for path in ASSETS:
        app.add_url_rule(
            path, f"page{path}", serve, methods=["GET"], provide_automatic_options=False
        )
