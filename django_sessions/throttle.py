"""The login throttle's ``limits`` storage on Django's ORM (the variant's own database).

``limits`` ships storages for Redis, Memcached, MongoDB and others but none for SQL; the
fixed-window strategy needs only a counter with an expiry per key, which is one row of
:class:`django_sessions.models.ThrottleCounter`, updated under a row lock (PostgreSQL
``SELECT ... FOR UPDATE``; on SQLite the ``BEGIN IMMEDIATE`` transaction is the lock).
"""

from __future__ import annotations

import time

from django.db import DatabaseError, IntegrityError, transaction
from limits.storage import Storage

from django_sessions.models import ThrottleCounter
from shared.throttle import LoginThrottle

_throttle: LoginThrottle | None = None


class DjangoStorage(Storage):
    """A ``limits`` storage (fixed windows only) over the ``ThrottleCounter`` table."""

    STORAGE_SCHEME = None

    @property
    def base_exceptions(self) -> type[Exception]:
        return DatabaseError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        for _attempt in range(2):  # a concurrent first insert of the key: retry once
            try:
                with transaction.atomic():
                    row = ThrottleCounter.objects.select_for_update().filter(key=key).first()
                    if row is None or row.expires_at <= now:
                        if row is None:
                            # A new window: the moment to drop windows that have ended.
                            ThrottleCounter.objects.filter(expires_at__lte=now).delete()
                        row = row or ThrottleCounter(key=key)
                        row.count, row.expires_at = amount, now + expiry
                    else:
                        row.count += amount
                    row.save()
                    return row.count
            except IntegrityError:
                continue
        raise IntegrityError(f"could not count throttle key {key!r}")

    def get(self, key: str) -> int:
        row = ThrottleCounter.objects.filter(key=key, expires_at__gt=time.time()).first()
        return row.count if row else 0

    def get_expiry(self, key: str) -> float:
        row = ThrottleCounter.objects.filter(key=key).first()
        return row.expires_at if row else time.time()

    def check(self) -> bool:
        try:
            ThrottleCounter.objects.exists()
        except DatabaseError:
            return False
        return True

    def reset(self) -> int | None:
        deleted, _ = ThrottleCounter.objects.all().delete()
        return deleted

    def clear(self, key: str) -> None:
        ThrottleCounter.objects.filter(key=key).delete()


def login_throttle() -> LoginThrottle:
    """The process's throttle (settings read once, at first use)."""
    global _throttle
    if _throttle is None:
        _throttle = LoginThrottle(DjangoStorage())
    return _throttle
