"""Django's database session backend with the three things the contract needs on top.

``SESSION_ENGINE = "django_sessions.session_store"``. The stock backend stays in charge of
keys, signing, loading and saving; this subclass adds:

* **an absolute timeout** that does not slide: every save caps the row's ``expire_date`` at
  login time + ``SESSION_ABSOLUTE_SECONDS``. The stock ``load()`` already ignores rows past
  ``expire_date``, so the check costs nothing per request, and ``clearsessions`` removes
  idle-expired and absolutely expired rows alike;
* **a cheap sliding idle timeout** (:meth:`SessionStore.slide_expiry_if_due`);
* **a locked read-modify-write** for the cart (:meth:`SessionStore.locked`), because a session
  row is last-write-wins: two tabs adding to the cart at once would lose one of the adds.

It also keeps "the database is down" apart from "the session row vanished": the stock
``save()`` reports both as ``UpdateError`` (which ``SessionMiddleware`` turns into a 400
``SessionInterrupted``), while the first must answer 503.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import InterfaceError, OperationalError, router, transaction
from django.utils import timezone

#: Session key holding the login time (seconds since the epoch) for the absolute timeout.
LOGIN_AT_KEY = "_auth_login_at"


def absolute_deadline(login_at: float | None) -> datetime | None:
    """When a session that logged in at ``login_at`` must end, whatever its activity."""
    if login_at is None:
        return None
    return datetime.fromtimestamp(login_at + settings.SESSION_ABSOLUTE_SECONDS, tz=UTC)


class SessionVanished(Exception):
    """The session row is gone (logged out or expired by a concurrent request)."""


class SessionStore(DatabaseSessionStore):
    #: ``expire_date`` of the row as last read or written by this request (None: no row).
    stored_expiry: datetime | None = None

    # -- absolute timeout -------------------------------------------------------------------

    def get_expiry_date(self, **kwargs: Any) -> datetime:
        idle_expiry = super().get_expiry_date(**kwargs)
        deadline = absolute_deadline(self.get(LOGIN_AT_KEY))
        return idle_expiry if deadline is None else min(idle_expiry, deadline)

    def mark_login(self) -> None:
        """Start the absolute timeout now (call right after ``django.contrib.auth.login``)."""
        self[LOGIN_AT_KEY] = time.time()

    # -- load / save ------------------------------------------------------------------------

    def load(self) -> dict[str, Any]:
        row = self._get_session_from_db()  # stock query: key matches and expire_date > now
        if row is None:
            self.stored_expiry = None
            return {}
        self.stored_expiry = row.expire_date
        return self.decode(row.session_data)

    def save(self, must_create: bool = False) -> None:
        try:
            super().save(must_create)
        except UpdateError as exc:
            # The stock backend turns every DatabaseError on update into UpdateError. A lost
            # connection is not a vanished session: let it surface as the store error it is.
            if isinstance(exc.__context__, OperationalError | InterfaceError):
                raise exc.__context__ from None
            raise
        self.stored_expiry = self.get_expiry_date()

    # -- sliding idle timeout ---------------------------------------------------------------

    def slide_expiry_if_due(self) -> bool:
        """Push ``expire_date`` forward, but only when that moves it by a real step.

        ``SESSION_SAVE_EVERY_REQUEST`` would rewrite the row (data and all) on every request,
        turning every read into a write. Instead the expiry moves only once it would move by
        at least ``SESSION_SLIDE_STEP_SECONDS`` (a tenth of the idle timeout by default: for
        30 minutes, at most one write per 3 minutes of activity per session). The price is
        precision on the safe side: an active session may end up to one step *earlier* than
        the idle timeout, never later. Only ``expire_date`` is updated, never the data, so a
        slide cannot overwrite a cart update made by a concurrent request (a full ``save()``
        of this request's possibly stale copy could). Returns whether a write happened.
        """
        if self.stored_expiry is None or self.modified or self.session_key is None:
            return False  # no row, or SessionMiddleware is about to save it anyway
        new_expiry = self.get_expiry_date()
        step = timedelta(seconds=settings.SESSION_SLIDE_STEP_SECONDS)
        if new_expiry - self.stored_expiry < step:
            return False
        self.model.objects.filter(
            session_key=self.session_key, expire_date__gt=timezone.now()
        ).update(expire_date=new_expiry)
        self.stored_expiry = new_expiry
        return True

    # -- locked read-modify-write -----------------------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[SessionStore]:
        """Re-read this session under a row lock, let the caller change it, write it back.

        PostgreSQL: ``SELECT ... FOR UPDATE`` makes a concurrent update of the same session
        wait until this one commits. SQLite ignores ``FOR UPDATE``; there the transaction
        itself is the lock, because the database is configured with
        ``transaction_mode="IMMEDIATE"`` (``BEGIN IMMEDIATE`` takes the write lock up front).
        The data is written inside the transaction and the store is left unmodified, so
        ``SessionMiddleware`` does not save this request's copy again afterwards.
        """
        if self.session_key is None:
            raise SessionVanished
        using = router.db_for_write(self.model)
        with transaction.atomic(using=using):
            row = (
                self.model.objects.using(using)
                .select_for_update()
                .filter(session_key=self.session_key, expire_date__gt=timezone.now())
                .first()
            )
            if row is None:
                raise SessionVanished
            self._session_cache = self.decode(row.session_data)
            self.accessed = True
            yield self
            expiry = self.get_expiry_date()
            self.model.objects.using(using).filter(session_key=self.session_key).update(
                session_data=self.encode(self._session_cache), expire_date=expiry
            )
        self.stored_expiry = expiry
        self.modified = False
