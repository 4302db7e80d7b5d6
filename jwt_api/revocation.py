"""What happens to a token after it is issued: nothing (stateless) or a Redis denylist.

Both classes have the same methods, so the views never ask which mode they serve.

Denylist data (every key under ``authkit:jwt:``):

* ``revoked-jti:<jti>``: one revoked access token, until it would have expired.
* ``revoked-family:<fid>``: a revoked family (logout, or refresh-token reuse), until the
  last token the family could hold would have expired. Access and refresh tokens of one
  login, and every pair refreshed from it, share the family, so this one key kills them all.
* ``used-refresh:<jti>``: a refresh token already exchanged (each works once).
* ``generation:<user>``: bumped by ``/logout-all``; a token carrying a smaller ``gen`` is
  dead. One small integer per user instead of a record of every token issued. It has no
  TTL: if it expired, the number would restart at 0 and could match an old token's again
  (in an app with a users table it would be a column there).

The private Redis runs with ``appendonly yes`` / ``appendfsync always``, so a revocation
survives a restart of Redis, a crash included.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import redis

from jwt_api.tokens import Claims
from shared.errors import unauthenticated

PREFIX = "authkit:jwt:"

#: Atomic refresh-token exchange, one round trip. KEYS: used-refresh:<jti>,
#: revoked-family:<fid>, generation:<user>. ARGV: the token's gen, seconds to remember the
#: jti as used, seconds to keep the family revoked. Lua, because "check the family, mark the
#: jti used, or else revoke the family" must not interleave with a concurrent exchange.
_EXCHANGE_REFRESH = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 'revoked' end
if tonumber(redis.call('GET', KEYS[3]) or '0') > tonumber(ARGV[1]) then return 'revoked' end
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[2]) then return 'ok' end
redis.call('SET', KEYS[2], 'reused', 'EX', ARGV[3])
return 'reused'
"""


class StatelessRevocation:
    """Nothing is stored: a token is valid until ``exp`` whatever the user does.

    Logout and logout-all only tell the client to forget its tokens; a copy kept by anyone
    else keeps working until it expires. Refresh rotation still hands out new pairs but
    cannot notice that an old refresh token is presented twice (no memory of use).
    """

    def check(self, claims: Claims) -> None:
        """No store lookup at all on an authenticated request (zero Redis commands)."""

    def generation(self, username: str) -> int:
        return 0

    def revoke_family(self, claims: Claims) -> None:
        pass

    def revoke_all(self, username: str) -> None:
        pass

    def exchange_refresh(self, claims: Claims) -> None:
        pass


class DenylistRevocation:
    """Revocations in Redis, checked on every authenticated request (fails closed)."""

    def __init__(
        self,
        client: redis.Redis,
        refresh_ttl: int,
        absolute_lifetime: int,
        leeway: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.refresh_ttl = refresh_ttl
        self.absolute_lifetime = absolute_lifetime
        self.leeway = leeway
        self.clock = clock
        self._exchange = client.register_script(_EXCHANGE_REFRESH)

    @staticmethod
    def _keys(claims: Claims) -> tuple[str, str, str]:
        return (
            f"{PREFIX}revoked-jti:{claims.jti}",
            f"{PREFIX}revoked-family:{claims.family}",
            f"{PREFIX}generation:{claims.username}",
        )

    def check(self, claims: Claims) -> None:
        """401 if the token, its family or the user's older tokens are revoked.

        One Redis command, one round trip: ``MGET`` of the jti key, the family key and the
        user's generation. A Redis error propagates and answers 503: never let a token
        through unchecked.
        """
        revoked_jti, revoked_family, generation = self.client.mget(self._keys(claims))
        if revoked_jti is not None or revoked_family is not None:
            raise unauthenticated()
        if int(generation or 0) > claims.generation:
            raise unauthenticated()

    def generation(self, username: str) -> int:
        """The user's current generation, carried by every token issued now (one GET)."""
        return int(self.client.get(f"{PREFIX}generation:{username}") or 0)

    def _seconds_left(self, expires_at: float) -> int:
        # The leeway is a margin for instances whose clocks lag Redis's a little.
        return max(1, math.ceil(expires_at + self.leeway - self.clock()))

    def _family_seconds_left(self, claims: Claims) -> int:
        # A family's newest refresh token was issued at the latest now, so it expires by
        # now + refresh TTL, and never after the absolute deadline.
        now = self.clock()
        family_end = min(now + self.refresh_ttl, claims.auth_time + self.absolute_lifetime)
        return self._seconds_left(family_end)

    def revoke_family(self, claims: Claims) -> None:
        """Logout: deny this access token and its whole family (one round trip, 2 SETs)."""
        jti_key, family_key, _ = self._keys(claims)
        pipe = self.client.pipeline(transaction=False)
        pipe.set(jti_key, "logout", ex=self._seconds_left(claims.expires_at))
        pipe.set(family_key, "logout", ex=self._family_seconds_left(claims))
        pipe.execute()

    def revoke_all(self, username: str) -> None:
        """Logout-all: every token issued before now carries a smaller generation (one INCR)."""
        self.client.incr(f"{PREFIX}generation:{username}")

    def exchange_refresh(self, claims: Claims) -> None:
        """Let a refresh token be used once; a second use revokes its family (RFC 9700).

        One round trip (a Lua script): 401 if the family is revoked or the token is
        older than the last logout-all; 401 and the family revoked if the token was
        already used, so both the thief and the victim must log in again.
        """
        _, family_key, generation_key = self._keys(claims)
        used_key = f"{PREFIX}used-refresh:{claims.jti}"
        outcome = self._exchange(
            keys=[used_key, family_key, generation_key],
            args=[
                claims.generation,
                self._seconds_left(claims.expires_at),
                self._family_seconds_left(claims),
            ],
        )
        if outcome != b"ok":
            raise unauthenticated()


Revocation = StatelessRevocation | DenylistRevocation
