"""User records for both JWT modes: argon2id hashes in one Redis hash (shared layout)."""

from __future__ import annotations

import redis

from shared import redis_users
from shared.passwords import verify_password


def check_password(client: redis.Redis, username: str, password: str) -> bool:
    """True for the right password; unknown users cost the same (a dummy hash is checked)."""
    return verify_password(redis_users.password_hash(client, username), password)
