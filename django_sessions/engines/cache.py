"""``DJANGO_SESSION_ENGINE=cache``: sessions only in Redis (Django's ``RedisCache``).

The fastest of Django's engines and the one the Django docs warn about: the cache is the
only copy, so whatever Redis loses (a restart without persistence, an eviction under
``maxmemory``) logs people out and empties their carts.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Iterator
from typing import Any

from django.contrib.sessions.backends.cache import SessionStore as CacheSessionStore

from django_sessions.engines.base import ContractSession, SessionVanished
from shared.errors import store_unavailable

#: How long a cart update may hold the session's lock, and wait for it.
LOCK_SECONDS = 5


class SessionStore(ContractSession, CacheSessionStore):
    def read(self) -> dict[str, Any]:
        # The stock load() treats *any* cache error as "no session" (meant for memcached's
        # invalid keys), which turns a Redis outage into 401s; here it surfaces as a 503.
        data = self._cache.get(self.cache_key)
        if data is None:
            self._session_key = None
            return {}
        return data

    @contextlib.contextmanager
    def locked(self) -> Iterator[SessionStore]:
        """Re-read the session under a lock, let the caller change it, write it back.

        Django's cache API has no lock and its Redis client is private, so this is the
        classic ``add``-based lock (SET NX with a timeout) on a key next to the session:
        hand-written because it is four lines on public API, with a token so that a lock
        which timed out and was taken by another request is not released by this one.
        """
        if self.session_key is None:
            raise SessionVanished
        lock_key, token = self.cache_key + ":lock", secrets.token_hex(8)
        deadline = time.monotonic() + LOCK_SECONDS
        while not self._cache.add(lock_key, token, LOCK_SECONDS):
            if time.monotonic() > deadline:
                raise store_unavailable()
            time.sleep(0.005)
        try:
            data = self._cache.get(self.cache_key)
            if data is None:
                raise SessionVanished
            self._session_cache = data
            self.accessed = True
            yield self
            self._cache.set(self.cache_key, self._session_cache, self.get_expiry_age())
            self.modified = False
        finally:
            if self._cache.get(lock_key) == token:
                self._cache.delete(lock_key)
