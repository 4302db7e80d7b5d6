"""User records in Redis, for the variants whose only store is Redis.

``flask-sessions`` and both JWT modes keep users the same way (one hash, username to
argon2id hash), so a login costs them the same single ``HGET`` plus the shared hash.
"""

from __future__ import annotations

import redis

from shared.redis_store import connect
from shared.settings import Settings
from shared.users import seed_password_hashes

USERS_KEY = "authkit:users"


def seed(client: redis.Redis, count: int | None = None) -> int:
    """Store every seed user's password hash; returns how many users there are."""
    hashes = seed_password_hashes(count)
    client.hset(USERS_KEY, mapping=hashes)
    return len(hashes)


def seed_from_env() -> None:
    """The ``prepare`` hook of every variant that keeps its users in Redis: seed the users
    (``SEED_LOAD_USERS``) into ``REDIS_URL`` before the server starts."""
    client = connect(Settings.from_env().require_redis_url(), timeout=10)
    try:
        seed(client)
    finally:
        client.close()


def password_hash(client: redis.Redis, username: str) -> str | None:
    """The stored hash for ``username``, or ``None`` for an unknown user."""
    value = client.hget(USERS_KEY, username)
    return value.decode() if isinstance(value, bytes) else value
