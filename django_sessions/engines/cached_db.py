"""``DJANGO_SESSION_ENGINE=cached_db``: write-through to the database, reads from Redis.

Every write goes to the database and to the cache; reads come from the cache and fall back
to the database, so a Redis restart only costs a cold cache, never a session. Unlike the
stock backend, a Redis that is down answers 503 instead of being skipped: the cache is in
the request path, and silently serving from a stale or partial cache is worse.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDbSessionStore

from django_sessions.engines.base import ContractSession
from django_sessions.engines.db import DatabaseSession


class SessionStore(ContractSession, CachedDbSessionStore, DatabaseSession):
    """Django's cached_db on top of the ``db`` engine's row handling (error mapping, locks)."""

    def read(self) -> dict[str, Any]:
        data = self._cache.get(self.cache_key)  # a Redis error surfaces (503)
        if data is None:
            data = DatabaseSession.read(self)  # the row, with its absolute-capped expiry
            if data:  # (the row's expiry, given: asking the session would load it again)
                expiry_age = self.get_expiry_age(expiry=self.stored_expiry)
                self._cache.set(self.cache_key, data, expiry_age)
        return data

    def save(self, must_create: bool = False) -> None:
        # The database first, as the stock backend does; but a Redis error surfaces instead
        # of being logged and skipped, which would leave the old copy for the next read.
        DatabaseSession.save(self, must_create)
        self._cache.set(self.cache_key, self._session, self.get_expiry_age())

    @contextlib.contextmanager
    def locked(self) -> Iterator[SessionStore]:
        """The ``db`` engine's row lock, with the cache written while it is still held.

        Written after the commit, two writers' cache updates can land in the other order and
        leave the older copy in the cache, which every read then serves (seen: 19 of 20
        concurrent adds read back). Under the lock they land in the lock's order. If the
        commit fails after the cache was written, the cached copy is dropped, so no read
        serves what the database did not keep.
        """
        try:
            with DatabaseSession.locked(self) as session:
                yield session
                self._cache.set(self.cache_key, self._session_cache, self.get_expiry_age())
        except BaseException:
            with contextlib.suppress(Exception):
                self._cache.delete(self.cache_key)
            raise
