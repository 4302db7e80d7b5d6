"""The HTTP policy every variant applies whatever its framework: which answers may be
cached, and the headers every response carries.

Kept free of Flask and Django so the two adapters (``shared.flask_api`` and
``django_sessions.middleware``) cannot drift apart.
"""

from __future__ import annotations

#: Paths whose successful answers are public and the same for everyone, so caches may keep
#: them; everything else (and every error) is ``no-store``: it depends on the credential.
PUBLIC_PATHS = frozenset({"/products", "/health"})


def security_headers(path: str, status: int) -> dict[str, str]:
    """The headers a response to ``path`` with ``status`` gets, on every variant."""
    headers = {"X-Content-Type-Options": "nosniff"}
    if path not in PUBLIC_PATHS or status >= 400:
        headers["Cache-Control"] = "no-store"
    return headers
