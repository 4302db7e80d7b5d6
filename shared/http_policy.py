"""The HTTP policy every variant applies whatever its framework: which answers may be
cached, and the headers every response carries (OWASP REST Security Cheat Sheet).

Kept free of Flask and Django so the two adapters (``shared.flask_api`` and
``django_sessions.middleware``) and the private nginx front cannot drift apart.
"""

from __future__ import annotations

#: Paths whose successful answers are public and the same for everyone, so caches may keep
#: them; everything else (and every error) is ``no-store``: it depends on the credential.
PUBLIC_PATHS = frozenset({"/products", "/health"})

#: The policy of every JSON answer: load nothing, be framed by nobody. A JSON API never
#: needs a script, a style or a frame, so if a browser is ever tricked into rendering one
#: (a sniffing bug, a wrong Content-Type), nothing in it can run or be framed.
API_CSP = "default-src 'none'; frame-ancestors 'none'"


def security_headers(path: str, status: int) -> dict[str, str]:
    """The headers a response to ``path`` with ``status`` gets on every variant, unless it
    set them itself (the HTML page at ``/`` brings its own policy)."""
    headers = {"Content-Security-Policy": API_CSP, "X-Content-Type-Options": "nosniff"}
    if path not in PUBLIC_PATHS or status >= 400:
        headers["Cache-Control"] = "no-store"
    return headers
