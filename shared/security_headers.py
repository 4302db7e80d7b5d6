"""Response headers every variant sends, in one place (OWASP REST Security Cheat Sheet).

A JSON API never needs to load a script, a style or a frame, so its responses carry the
strictest Content-Security-Policy there is: if a browser is ever tricked into rendering one
(a sniffing bug, a wrong Content-Type), nothing in it can run or be framed. A response that
already has a policy (an HTML page of its own) keeps it.
"""

from __future__ import annotations

#: The policy of every JSON answer: load nothing, be framed by nobody.
API_CSP = "default-src 'none'; frame-ancestors 'none'"


def api_headers() -> dict[str, str]:
    """Headers set on every response unless the response set them itself."""
    return {"Content-Security-Policy": API_CSP, "X-Content-Type-Options": "nosniff"}
