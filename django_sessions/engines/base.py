"""What every engine adds to Django's stock ``SessionStore``, in one place.

Laid out like Django's own ``django/contrib/sessions/backends/base.py``: the behaviour lives
here and each engine module is one small page saying where its sessions are kept. Each
engine's ``SessionStore`` lists :class:`ContractSession` first among its bases, so what is
defined here wins over the stock backend's methods:

* **the absolute timeout**: the login time is kept in the session (:meth:`mark_login`); a
  session read past it is refused (:meth:`load`), and ``get_expiry_age()`` and
  ``get_expiry_date()`` are both capped at it, so that they describe the same moment and
  nothing a store keeps (a row's ``expire_date``, a Redis TTL) outlives it;
* **a store error is an error**: the engines read their store in :meth:`read` and let a
  store error surface (answered 503), where Django's ``cache`` and ``cached_db`` backends
  treat a failed read as "no session";
* **the async API is the sync API**: Django's backends implement ``aload``, ``asave``, ...
  a second time, which would skip both points above; here each one runs its sync method in
  a thread (``asgiref``'s ``sync_to_async``, as Django's base does for its defaults);
* **the sliding idle expiry**, written back under the engine's :meth:`locked` at most once
  per slide step (the ``db`` engine has a cheaper way of its own);
* **the cookie's lifetime**: it ends with the browser unless the login asked to be
  remembered (:meth:`mark_login`), then it lasts the capped expiry age.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.utils import timezone

#: Session key holding the login time (seconds since the epoch) for the absolute timeout.
LOGIN_AT_KEY = "_auth_login_at"
#: Session key holding when the idle expiry was last pushed forward.
SLID_AT_KEY = "_authkit_slid_at"
#: Session key set by a login with ``remember``: the cookie outlives the browser.
REMEMBER_KEY = "_authkit_remember"


#: The characters of every session key Django issues (``get_random_string``).
_KEY_CHARS = frozenset(VALID_KEY_CHARS)


def issued_key_chars(key: str | None) -> bool:
    """Whether ``key`` holds only characters of the keys Django issues: a cookie holding
    anything else (a NUL, which PostgreSQL refuses in text; a control character or a space,
    which memcached refuses in a key) is no session, like an unknown key."""
    return set(key or "") <= _KEY_CHARS


class SessionVanished(Exception):
    """The session is gone (logged out or expired by a concurrent request)."""


def past_absolute_timeout(data: dict[str, Any]) -> bool:
    """Whether a session's data says it logged in longer ago than the absolute timeout."""
    login_at = data.get(LOGIN_AT_KEY)
    return login_at is not None and time.time() - login_at > settings.SESSION_ABSOLUTE_SECONDS


class ContractSession:
    """The absolute timeout, store errors and the async API for any stock ``SessionStore``.

    An engine provides ``read()`` (its store's data, or ``{}``; a store error raised) and
    ``locked()`` (re-read the session under the engine's lock, let the caller change it,
    write it back; :class:`SessionVanished` if it is gone). They are not declared here:
    this class comes first in each engine's bases, so a declaration would hide theirs.
    """

    # -- absolute timeout -------------------------------------------------------------------

    def mark_login(self, remember: bool = False) -> None:
        """Start the absolute timeout now (call right after ``django.contrib.auth.login``),
        and choose the cookie's lifetime.

        Without ``remember``, a browser-session cookie: what ``set_expiry(0)`` would ask for
        each session, ``SESSION_EXPIRE_AT_BROWSER_CLOSE`` already does for all, and storing
        the ``0`` would add bytes to every signed cookie and session row. With it, the
        cookie gets a ``Max-Age``: the idle age capped at the absolute deadline (see
        :meth:`get_expiry_age`), re-sent as the idle window slides
        (``django_sessions.middleware.SlidingSessionMiddleware``). The session's own expiry
        is the same either way: ``set_expiry(seconds)`` would have changed it, and the file
        engine then stops checking the idle age (it reads a number there as "that many
        seconds left", whatever the file's age), so the choice is a key of its own.
        """
        now = time.time()
        self[LOGIN_AT_KEY] = now  # type: ignore[index]
        self[SLID_AT_KEY] = now  # type: ignore[index]
        if remember:
            self[REMEMBER_KEY] = True  # type: ignore[index]

    def get_expire_at_browser_close(self) -> bool:
        if self.get(REMEMBER_KEY):  # type: ignore[attr-defined]
            return False
        return super().get_expire_at_browser_close()  # type: ignore[misc]

    def absolute_deadline(self) -> datetime | None:
        """When this session must end whatever its activity (None: not logged in).

        Reads the data already loaded only: Django's backends ask for the expiry while they
        load (``get_expiry_age(expiry=...)`` promises not to load), and asking the session
        would load it again.
        """
        login_at = (getattr(self, "_session_cache", None) or {}).get(LOGIN_AT_KEY)
        if login_at is None:
            return None
        return datetime.fromtimestamp(login_at + settings.SESSION_ABSOLUTE_SECONDS, tz=UTC)

    def get_expiry_date(self, **kwargs: Any) -> datetime:
        idle_expiry = super().get_expiry_date(**kwargs)  # type: ignore[misc]
        deadline = self.absolute_deadline()
        return idle_expiry if deadline is None else min(idle_expiry, deadline)

    def get_expiry_age(self, **kwargs: Any) -> int:
        """The idle age capped at the deadline, counted as Django counts it (whole seconds,
        rounded down); zero or less means "already expired", as for Django's own ages."""
        idle_age = super().get_expiry_age(**kwargs)  # type: ignore[misc]
        deadline = self.absolute_deadline()
        if deadline is None:
            return idle_age
        left = deadline - kwargs.get("modification", timezone.now())
        return min(idle_age, left.days * 86400 + left.seconds)

    # -- load -------------------------------------------------------------------------------

    def load(self) -> dict[str, Any]:
        data = self.read()  # type: ignore[attr-defined]
        if data and past_absolute_timeout(data):
            self.discard_expired()
            return {}
        return data

    def discard_expired(self) -> None:
        """Forget a session read past its absolute timeout, as Django forgets a missing one."""
        self._session_key = None

    # -- the async API: the sync one in a thread --------------------------------------------

    async def aload(self) -> dict[str, Any]:
        return await sync_to_async(self.load)()

    async def asave(self, must_create: bool = False) -> None:
        await sync_to_async(self.save)(must_create)  # type: ignore[attr-defined]

    async def acreate(self) -> None:
        await sync_to_async(self.create)()  # type: ignore[attr-defined]

    async def aexists(self, session_key: str) -> bool:
        return await sync_to_async(self.exists)(session_key)  # type: ignore[attr-defined]

    async def adelete(self, session_key: str | None = None) -> None:
        await sync_to_async(self.delete)(session_key)  # type: ignore[attr-defined]

    async def aflush(self) -> None:
        await sync_to_async(self.flush)()  # type: ignore[attr-defined]

    async def acycle_key(self) -> None:
        await sync_to_async(self.cycle_key)()  # type: ignore[attr-defined]

    async def aget_expiry_age(self, **kwargs: Any) -> int:
        return await sync_to_async(self.get_expiry_age)(**kwargs)

    async def aget_expiry_date(self, **kwargs: Any) -> datetime:
        return await sync_to_async(self.get_expiry_date)(**kwargs)

    async def aget_expire_at_browser_close(self) -> bool:
        return await sync_to_async(self.get_expire_at_browser_close)()

    @classmethod
    async def aclear_expired(cls) -> None:
        await sync_to_async(cls.clear_expired)()  # type: ignore[attr-defined]

    # -- sliding idle expiry ----------------------------------------------------------------

    def slide_expiry_if_due(self) -> bool:
        """Write the session back (under the engine's lock) once per slide step of activity."""
        if self.modified or not self.session_key or LOGIN_AT_KEY not in self:  # type: ignore[attr-defined,operator]
            return False
        last = self.get(SLID_AT_KEY) or self.get(LOGIN_AT_KEY)  # type: ignore[attr-defined]
        if time.time() - last < settings.SESSION_SLIDE_STEP_SECONDS:
            return False
        try:
            with self.locked() as session:  # type: ignore[attr-defined]
                session[SLID_AT_KEY] = time.time()
        except SessionVanished:
            return False
        return True
