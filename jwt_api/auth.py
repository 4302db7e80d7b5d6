"""Who is calling: the ``Authorization: Bearer`` header, and nothing else.

A token in the query string ends up in logs, browser history and ``Referer`` headers; a
token in a cookie would be an ambient credential that brings CSRF back. Neither is read.
"""

from __future__ import annotations

from flask import request

from jwt_api.services import services
from jwt_api.tokens import ACCESS, Claims, InvalidToken
from shared.errors import unauthenticated


def bearer_token() -> str:
    """The token of ``Authorization: Bearer <token>`` (scheme case-insensitive, RFC 7235)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise unauthenticated()
    return token


def authenticate() -> Claims:
    """The claims of a valid, unrevoked access token, or 401.

    Signature and claims first (no I/O), then the mode's revocation check: zero Redis
    commands when stateless, one ``MGET`` with the denylist (a Redis failure there
    answers 503, never a pass).
    """
    found = services()
    try:
        claims = found.tokens.verify(bearer_token(), ACCESS)
    except InvalidToken:
        raise unauthenticated() from None
    found.revocation.check(claims)
    return claims
