"""The Redis client of every Redis-backed variant: same timeouts, no silent retries.

``flask-sessions`` and both JWT modes talk to Redis through this one factory, so a Redis
outage costs them the same and the comparison stays fair.
"""

from __future__ import annotations

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

#: The exceptions that mean "Redis is down or too slow": they answer 503 store_unavailable.
STORE_ERRORS: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


def connect(url: str, timeout: float) -> redis.Redis:
    """A client that fails fast: bounded socket waits and no client-side retries.

    redis-py retries a failed command with backoff by default, which turns an outage into
    multi-second hangs per request; with ``Retry(NoBackoff(), 0)`` a down Redis costs at
    most ``timeout`` before the request answers 503. A connection broken by a Redis restart
    is replaced when the pool hands it out next, so the app recovers by itself.
    """
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
    )
