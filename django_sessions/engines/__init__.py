"""Django's other session engines, with what the contract needs on top of each.

``DJANGO_SESSION_ENGINE`` (read by ``django_sessions/settings.py``) picks one: ``db`` (the
default, :mod:`django_sessions.session_store`), ``cache`` (Django's built-in Redis cache
backend), ``cached_db``, ``file`` or ``signed_cookies``. The views, the users and the CSRF
handling are the same for all of them; only where the session lives changes.

Each engine module subclasses Django's stock ``SessionStore`` and adds the three things the
views and middleware call, as :mod:`django_sessions.session_store` does for ``db``:

* ``mark_login()``: start the absolute timeout (the login time is kept in the session);
* ``locked()``: a read-modify-write of the session that a concurrent request cannot undo
  (a lock per engine; none is possible for signed cookies, which is declared);
* ``slide_expiry_if_due()``: push the idle expiry forward at most once per step, by writing
  the session back under ``locked()`` (never this request's possibly stale copy).

Two more things every engine needs and the stock ones do not do: a store that is down must
answer 503 (Django's ``cache`` and ``cached_db`` backends treat a failed cache read as "no
session"), and a session past its absolute timeout must be refused when it is read.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from django.conf import settings

from django_sessions.session_store import LOGIN_AT_KEY, SessionVanished

#: Session key holding when the idle expiry was last pushed forward.
SLID_AT_KEY = "_authkit_slid_at"

__all__ = ["LOGIN_AT_KEY", "SLID_AT_KEY", "ContractSessionMixin", "SessionVanished"]


def past_absolute_timeout(data: dict[str, Any]) -> bool:
    """Whether a session's data says it logged in longer ago than the absolute timeout."""
    login_at = data.get(LOGIN_AT_KEY)
    return login_at is not None and time.time() - login_at > settings.SESSION_ABSOLUTE_SECONDS


class ContractSessionMixin:
    """``mark_login`` and the sliding idle expiry, for any engine that has ``locked()``."""

    def mark_login(self) -> None:
        now = time.time()
        self[LOGIN_AT_KEY] = now  # type: ignore[index]
        self[SLID_AT_KEY] = now  # type: ignore[index]

    def get_expiry_age(self, **kwargs: Any) -> int:
        """The idle age, capped so that nothing outlives the absolute timeout (cache TTLs,
        file expiry). Reads the loaded data only: this runs while a session is loading."""
        age = super().get_expiry_age(**kwargs)  # type: ignore[misc]
        login_at = (getattr(self, "_session_cache", None) or {}).get(LOGIN_AT_KEY)
        if login_at is None:
            return age
        left = int(login_at + settings.SESSION_ABSOLUTE_SECONDS - time.time()) + 1
        return max(1, min(age, left))

    def locked(self) -> contextlib.AbstractContextManager[Any]:
        raise NotImplementedError

    def slide_expiry_if_due(self) -> bool:
        """Write the session back (under the engine's lock) once per slide step of activity."""
        if self.modified or not self.session_key or LOGIN_AT_KEY not in self:  # type: ignore[attr-defined,operator]
            return False
        last = self.get(SLID_AT_KEY) or self.get(LOGIN_AT_KEY)  # type: ignore[attr-defined]
        if time.time() - last < settings.SESSION_SLIDE_STEP_SECONDS:
            return False
        try:
            with self.locked() as session:
                session[SLID_AT_KEY] = time.time()
        except SessionVanished:
            return False
        return True
