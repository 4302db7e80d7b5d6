"""The Redis client both JWT modes use (users, carts and, in denylist mode, revocations)."""

from __future__ import annotations

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from shared.settings import Settings

#: The exceptions that mean "Redis is down or too slow": they answer 503 store_unavailable.
STORE_ERRORS: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


def connect(settings: Settings) -> redis.Redis:
    """A client that fails fast: bounded socket waits and no client-side retries.

    redis-py retries a failed command three times with backoff by default, which turns an
    outage into multi-second hangs per request; with ``Retry(NoBackoff(), 0)`` a down
    Redis costs at most ``STORE_TIMEOUT_SECONDS`` before the request answers 503. A
    connection broken by a Redis restart is replaced when the pool hands it out next
    (redis-py checks it), so the app recovers by itself.
    """
    timeout = settings.store_timeout_seconds
    return redis.Redis.from_url(
        settings.require_redis_url(),
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
    )
