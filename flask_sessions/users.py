"""Seeding the users into Redis before the server starts (``authkit serve`` runs this)."""

from __future__ import annotations

from shared import redis_users
from shared.redis_store import connect
from shared.settings import Settings


def seed_users() -> None:
    settings = Settings.from_env()
    client = connect(settings.require_redis_url(), timeout=10)
    redis_users.seed(client)
