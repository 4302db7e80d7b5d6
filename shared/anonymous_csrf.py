"""CSRF tokens for visitors who are not logged in, with nothing stored on the server.

Were ``GET /csrf`` to start an anonymous session in the store for every caller, anyone
could fill Redis or the sessions table with one request per row. Django and Flask-Session
both avoid storing *empty* sessions for that reason; here the anonymous visitor's session
is not stored either: its cookie holds a random ID signed with ``SECRET_KEY`` and its CSRF
token is derived from that ID (HMAC), so the token is stable for as long as the cookie is,
and a cookie the server never issued (a planted or made-up ID) is replaced, never adopted.

Nothing an anonymous visitor can do needs the token (``/login`` is exempt and every other
unsafe request needs a login first); the stored session, with a token of its own, starts
at login, which always issues a new session ID (fixation defence). The HMAC is the
standard library's: the whole scheme is two lines of ``hmac`` and a prefix, which no
library offers in the shape of a session-cookie value.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

#: Anonymous IDs look like ``anon`` + 32 hex digits of randomness + 16 of signature:
#: lowercase letters and digits only, a valid session-cookie value for both frameworks.
PREFIX = "anon"
_NONCE_HEX = 32  # 128 bits
_MAC_HEX = 16


def _mac(secret_key: str, purpose: str, nonce: str) -> str:
    message = f"authkit.anonymous-csrf.{purpose}:{nonce}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def is_anonymous_id(secret_key: str, value: str | None) -> bool:
    """True for an anonymous ID this server issued (right prefix, length and signature)."""
    if not value or not value.startswith(PREFIX) or len(value) != len(PREFIX) + 48:
        return False
    nonce, mac = value[len(PREFIX) : -_MAC_HEX], value[-_MAC_HEX:]
    return hmac.compare_digest(mac, _mac(secret_key, "id", nonce)[:_MAC_HEX])


def anonymous_id(secret_key: str, presented: str | None) -> str:
    """The visitor's anonymous ID: the one presented if this server issued it, else a new one."""
    if presented and is_anonymous_id(secret_key, presented):
        return presented
    nonce = secrets.token_hex(_NONCE_HEX // 2)
    return PREFIX + nonce + _mac(secret_key, "id", nonce)[:_MAC_HEX]


def token_for(secret_key: str, anonymous: str) -> str:
    """The CSRF token of an anonymous ID: 32 alphanumeric characters, like Django's secret."""
    return _mac(secret_key, "token", anonymous)[:32]
