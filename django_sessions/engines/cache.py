"""``DJANGO_SESSION_ENGINE=cache``: sessions only in the cache: Redis (Django's
``RedisCache``) or, with ``DJANGO_CACHE=memcached``, memcached (``PyMemcacheCache``, see
:mod:`django_sessions.memcached`).

The fastest of Django's engines and the one the Django docs warn about: the cache is the
only copy, so whatever the cache loses (a restart of a Redis without persistence or of any
memcached, an eviction under memory pressure) logs people out and empties their carts.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Iterator
from typing import Any

from django.contrib.sessions.backends.cache import SessionStore as CacheSessionStore

from django_sessions.engines.base import ContractSession, SessionVanished, issued_key_chars
from shared.errors import store_unavailable

#: How long a cart update may hold the session's lock, and wait for it.
LOCK_SECONDS = 5


class SessionStore(ContractSession, CacheSessionStore):
    def _validate_session_key(self, key: str | None) -> bool:
        # Only a key this backend could have issued becomes a cache key (memcached answers
        # a key with a control character or a space with an error, not a miss).
        return bool(super()._validate_session_key(key)) and issued_key_chars(key)

    def read(self) -> dict[str, Any]:
        # The stock load() treats *any* cache error as "no session" (meant for memcached's
        # invalid keys, refused above), which turns an outage into 401s; here it is a 503.
        data = self._cache.get(self.cache_key)
        if data is None:
            self._session_key = None
            return {}
        return data

    @contextlib.contextmanager
    def locked(self) -> Iterator[SessionStore]:
        """Re-read the session under a lock, let the caller change it, write it back.

        Django's cache API has no lock and its clients are private, so this is the classic
        ``add``-based lock (Redis ``SET NX`` with a timeout; memcached's ``add``, atomic on
        the server) on a key next to the session:
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
