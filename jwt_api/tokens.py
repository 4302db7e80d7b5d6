"""Issuing and verifying the access/refresh pair with PyJWT.

Claims: ``iss``, ``aud``, ``sub``, ``iat``, ``nbf``, ``exp``, ``jti`` (128 random bits),
``token_type`` (``access`` or ``refresh``, and the matching ``typ`` header, RFC 8725 §3.11,
so neither can stand in for the other), ``fid`` (the family: every pair descending from
one login shares it), ``gen`` (the user's logout-all generation at issue time) and
``auth_time`` (when the password was checked; nothing in the family outlives
``auth_time + SESSION_ABSOLUTE_SECONDS``).

PyJWT checks signatures and registered claims; what it leaves to the caller is done here:
choosing the key by ``kid`` (never by ``alg``), refusing key-fetching headers, requiring
every claim (PyJWT requires none by default) and checking the custom ones.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import jwt

from jwt_api.keys import Key, KeySet

TokenType = Literal["access", "refresh"]
ACCESS: TokenType = "access"
REFRESH: TokenType = "refresh"

#: The ``typ`` header for each token type (RFC 9068 names access tokens ``at+jwt``).
TYP_HEADER: dict[str, str] = {ACCESS: "at+jwt", REFRESH: "rt+jwt"}

#: Headers that tell a verifier to fetch or embed a key: following them lets the token
#: choose its own key (RFC 8725 §3.10). ``crit`` would demand extensions we do not know.
FORBIDDEN_HEADERS = frozenset({"jku", "x5u", "jwk", "x5c", "crit"})

#: A header segment longer than this is refused before any parsing (ours is ~110 chars).
MAX_HEADER_SEGMENT = 1024

REQUIRED_CLAIMS = [
    "iss", "aud", "sub", "iat", "nbf", "exp", "jti", "token_type", "fid", "gen", "auth_time",
]  # fmt: skip


class InvalidToken(Exception):
    """The token must not be accepted; the reason is for logs, never for the client."""


@dataclass(frozen=True)
class Claims:
    """A verified token's claims, typed."""

    username: str
    jti: str
    family: str
    generation: int
    auth_time: int
    expires_at: int
    token_type: TokenType


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


def new_id() -> str:
    """128 random bits, URL-safe: jti and family ids."""
    return secrets.token_urlsafe(16)


def _is_int(value: object) -> bool:
    return type(value) is int  # bool is an int in Python and is not a timestamp


class TokenService:
    """Signs pairs with the current key and verifies tokens against the whole key set."""

    def __init__(
        self,
        keys: KeySet,
        issuer: str,
        audience: str,
        access_ttl: int,
        refresh_ttl: int,
        absolute_lifetime: int,
        leeway: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self.absolute_lifetime = absolute_lifetime
        self.leeway = leeway
        self.clock = clock
        # One decoder with the options set once, not merged into the defaults per token.
        self._decoder = jwt.PyJWT(options={"require": REQUIRED_CLAIMS, "strict_aud": True})

    # -- issuing ----------------------------------------------------------------------

    def issue_pair(
        self,
        username: str,
        generation: int,
        family: str | None = None,
        auth_time: int | None = None,
    ) -> TokenPair:
        """A new access/refresh pair; a login starts a family, a refresh continues one."""
        now = int(self.clock())
        auth_time = now if auth_time is None else auth_time
        deadline = auth_time + self.absolute_lifetime
        common = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": username,
            "iat": now,
            "nbf": now,
            "fid": family or new_id(),
            "gen": generation,
            "auth_time": auth_time,
        }
        access_exp = min(now + self.access_ttl, deadline)
        refresh_exp = min(now + self.refresh_ttl, deadline)
        return TokenPair(
            access_token=self._sign({**common, "exp": access_exp}, ACCESS),
            refresh_token=self._sign({**common, "exp": refresh_exp}, REFRESH),
            expires_in=max(0, access_exp - now),
        )

    def _sign(self, claims: dict[str, Any], token_type: TokenType) -> str:
        key = self.keys.current
        return jwt.encode(
            {**claims, "jti": new_id(), "token_type": token_type},
            key.signing,
            algorithm=key.algorithm,
            headers={"kid": key.kid, "typ": TYP_HEADER[token_type]},
        )

    # -- verifying --------------------------------------------------------------------

    def verify(self, token: str, expected: TokenType) -> Claims:
        """The claims of a valid token of type ``expected``, else :class:`InvalidToken`.

        PyJWT parses the token once (``decode_complete`` returns the header it verified
        beside the claims); the header checks run on that verified header. Only the key
        choice needs the ``kid`` before verification, and only while several keys verify
        (rotation): it is then read from the header segment alone
        (:func:`_unverified_kid`), and a token whose verified header disagrees is refused.
        """
        key = self._key_for(token)
        try:
            decoded = self._decoder.decode_complete(
                token,
                key.verifying,
                algorithms=[key.algorithm],  # the key's one algorithm, never the token's
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from None
        self._check_header(decoded["header"], key, expected)
        payload = decoded["payload"]
        # PyJWT applies the leeway to exp too; expiry is our own limit, so it is strict.
        if type(payload["exp"]) is not int or payload["exp"] <= self.clock():
            raise InvalidToken("expired")
        return self._typed_claims(payload, expected)

    def _key_for(self, token: str) -> Key:
        """The key to verify ``token`` with: the only one, or the one its ``kid`` names."""
        if len(self.keys.by_kid) == 1:
            # Nothing to choose (no rotation in progress): the verified header's kid is
            # still checked against this key afterwards, so reading it first would be waste.
            return self.keys.current
        key = self.keys.find(_unverified_kid(token))
        if key is None:
            raise InvalidToken("unknown kid")
        return key

    @staticmethod
    def _check_header(header: dict[str, Any], key: Key, expected: TokenType) -> None:
        """What PyJWT leaves to us about the verified header: no key-fetching, the right
        ``typ``, the ``kid`` and ``alg`` of the key that verified it."""
        refused = FORBIDDEN_HEADERS.intersection(header)
        if refused:
            raise InvalidToken(f"refused header(s): {sorted(refused)}")
        if header.get("typ") != TYP_HEADER[expected]:
            raise InvalidToken(f"typ header is not {TYP_HEADER[expected]}")
        if header.get("kid") != key.kid:
            raise InvalidToken("kid of the verified header differs")
        if header.get("alg") != key.algorithm:
            raise InvalidToken("alg does not match the key's algorithm")

    def _typed_claims(self, payload: dict[str, Any], expected: TokenType) -> Claims:
        if payload["token_type"] != expected:
            raise InvalidToken(f"not an {expected} token")
        fields = (payload["sub"], payload["jti"], payload["fid"])
        if not all(isinstance(value, str) and value for value in fields):
            raise InvalidToken("sub, jti and fid must be non-empty strings")
        if not all(_is_int(payload[name]) for name in ("gen", "auth_time")):
            raise InvalidToken("gen and auth_time must be integers")
        if payload["auth_time"] + self.absolute_lifetime <= self.clock():
            raise InvalidToken("the login is older than the absolute session lifetime")
        return Claims(
            username=payload["sub"],
            jti=payload["jti"],
            family=payload["fid"],
            generation=payload["gen"],
            auth_time=payload["auth_time"],
            expires_at=payload["exp"],
            token_type=expected,
        )


def _unverified_kid(token: str) -> object:
    """The ``kid`` of a token's header, read only to choose the key that verifies it.

    Hand-written on purpose: ``jwt.get_unverified_header`` decodes and checks all three
    segments, which made every request parse the whole token twice (once here, once in
    ``decode_complete``). Only the header segment is read here, leniently; nothing read
    here is trusted: ``decode_complete`` re-reads the header strictly and verifies it, and
    :meth:`TokenService._check_header` refuses a verified header whose ``kid`` differs.
    """
    segment, dot, _ = token.partition(".")
    if not dot or len(segment) > MAX_HEADER_SEGMENT:
        raise InvalidToken("malformed token")
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, TypeError):  # binascii.Error and JSONDecodeError are ValueErrors
        raise InvalidToken("malformed header") from None
    if not isinstance(header, dict):
        raise InvalidToken("malformed header")
    return header.get("kid")
