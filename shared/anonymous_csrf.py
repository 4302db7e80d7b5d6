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
from collections.abc import Iterable

#: Anonymous IDs look like ``anon`` + 32 hex digits of randomness + 16 of signature:
#: lowercase letters and digits only, a valid session-cookie value for both frameworks.
PREFIX = "anon"
_NONCE_HEX = 32  # 128 bits
_MAC_HEX = 16


def _mac(secret_key: str, purpose: str, nonce: str) -> str:
    message = f"authkit.anonymous-csrf.{purpose}:{nonce}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def _signed_nonce(secret_key: str, value: str | None) -> str | None:
    """The nonce of ``value`` if it is an anonymous ID signed with ``secret_key``."""
    if not value or not value.startswith(PREFIX) or len(value) != len(PREFIX) + 48:
        return None
    nonce, mac = value[len(PREFIX) : -_MAC_HEX], value[-_MAC_HEX:]
    return nonce if hmac.compare_digest(mac, _mac(secret_key, "id", nonce)[:_MAC_HEX]) else None


def is_anonymous_id(secret_key: str, value: str | None, fallbacks: Iterable[str] = ()) -> bool:
    """True for an anonymous ID this server issued (right prefix, length and signature),
    signed with the current key or one of its ``SECRET_KEY_FALLBACKS``."""
    return any(_signed_nonce(key, value) for key in (secret_key, *fallbacks))


def anonymous_id(secret_key: str, presented: str | None, fallbacks: Iterable[str] = ()) -> str:
    """The visitor's anonymous ID: the one presented if this server issued it, else a new one.

    An ID signed with a fallback key (a rotation in progress) keeps its nonce and is signed
    again with the current key, so it outlives the fallback like the sessions do.
    """
    if presented and _signed_nonce(secret_key, presented):
        return presented
    nonce = next(filter(None, (_signed_nonce(key, presented) for key in fallbacks)), None)
    nonce = nonce or secrets.token_hex(_NONCE_HEX // 2)
    return PREFIX + nonce + _mac(secret_key, "id", nonce)[:_MAC_HEX]


def token_for(secret_key: str, anonymous: str) -> str:
    """The CSRF token of an anonymous ID: 32 alphanumeric characters, like Django's secret."""
    return _mac(secret_key, "token", anonymous)[:32]
