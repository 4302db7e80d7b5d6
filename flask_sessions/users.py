"""Seeding the users into Redis before the server starts (``authkit serve`` runs this)."""

from __future__ import annotations

from flask_sessions.session_store import redis_client
from shared import redis_users
from shared.settings import Settings


def seed_users() -> None:
    settings = Settings.from_env()
    client = redis_client(settings.require_redis_url(), timeout=10)
    redis_users.seed(client)
