"""Seeding the users into Redis before the server starts (``authkit serve`` runs this).

Redis is this variant's only store, and it holds nothing but the users (one hash, the
layout of :mod:`shared.redis_users`): the sessions are in the cookies.
"""

from __future__ import annotations

from shared import redis_users
from shared.redis_store import connect
from shared.settings import Settings


def seed_users() -> None:
    settings = Settings.from_env()
    client = connect(settings.require_redis_url(), timeout=10)
    try:
        redis_users.seed(client)
    finally:
        client.close()
