"""``DJANGO_SESSION_ENGINE=signed_cookies``: the whole session in a signed cookie.

No session store: the cookie holds the user's ID, the session auth hash, the CSRF secret
and the cart (``django.core.signing``, HMAC-SHA256, compressed JSON; readable by the
client, not changeable). What follows, declared and tested:

* logout cannot revoke a copy of the cookie (it is valid until the idle or absolute
  timeout inside it);
* but ``/logout-all`` *does* reach every device: Django checks the session auth hash
  against the user row on every request, and bumping the user's session generation
  (``django_sessions.models.User``) makes every cookie of that user fail the check;
* no lock is possible: two tabs writing at once each send back their own cookie, and the
  last one the browser keeps wins;
* the cookie grows with the cart; a change that would take it past what browsers keep
  is refused (422 ``cookie_too_large``) and the old cart kept.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.signed_cookies import SessionStore as SignedCookieStore

from django_sessions.engines.base import ContractSession, SessionVanished
from shared.errors import ApiError


class SessionStore(ContractSession, SignedCookieStore):
    def read(self) -> dict[str, Any]:
        return SignedCookieStore.load(self)  # the signature and the idle age (max_age) checked

    def discard_expired(self) -> None:
        self.create()  # the stock answer to a cookie it refuses: a new, empty session

    def cookie_size(self) -> int:
        """Bytes of ``name=value`` plus the attributes SessionMiddleware will add."""
        attributes = "; HttpOnly; Path=/; SameSite=Lax" + (
            "; Secure" * settings.SESSION_COOKIE_SECURE
        )
        return len(f"{settings.SESSION_COOKIE_NAME}={self._get_session_key()}{attributes}")

    @contextlib.contextmanager
    def locked(self) -> Iterator[SessionStore]:
        """No lock exists for a cookie: change this request's copy and re-sign it."""
        if not self._session:
            raise SessionVanished
        before = dict(self._session)
        yield self
        if self.cookie_size() > settings.SESSION_COOKIE_MAX_BYTES:
            self._session_cache = before
            raise ApiError(
                "cookie_too_large",
                f"The change would make the session cookie larger than browsers keep "
                f"({settings.SESSION_COOKIE_MAX_BYTES} bytes); nothing was changed.",
            )
        self.modified = True
