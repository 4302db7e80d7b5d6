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

from django_sessions.engines import ContractSessionMixin, past_absolute_timeout
from django_sessions.session_store import SessionStore as DatabaseSessionStore


class SessionStore(ContractSessionMixin, CachedDbSessionStore, DatabaseSessionStore):
    """Django's cached_db on top of this kit's database store (absolute timeout, locks)."""

    def load(self) -> dict[str, Any]:
        data = self._cache.get(self.cache_key)  # a Redis error surfaces (503)
        if data is None:
            data = DatabaseSessionStore.load(self)  # the row, with its absolute-capped expiry
            if data:  # (the row's expiry, given: asking the session would load it again)
                expiry_age = self.get_expiry_age(expiry=self.stored_expiry)
                self._cache.set(self.cache_key, data, expiry_age)
        if past_absolute_timeout(data):
            self._session_key = None
            return {}
        return data

    def save(self, must_create: bool = False) -> None:
        DatabaseSessionStore.save(self, must_create)
        self._cache.set(self.cache_key, self._session, self.get_expiry_age())

    @contextlib.contextmanager
    def locked(self) -> Iterator[SessionStore]:
        """The database row lock of the ``db`` engine, then the cache refreshed."""
        with DatabaseSessionStore.locked(self) as session:
            yield session
        self._cache.set(self.cache_key, self._session_cache, self.get_expiry_age())
