"""``DJANGO_SESSION_ENGINE=db``: Django's database backend, one row per session.

The stock backend stays in charge of keys, signing, loading and saving;
:class:`DatabaseSession` adds what the ``cached_db`` engine shares with this one:

* the absolute timeout costs nothing per request here: every save caps the row's
  ``expire_date`` (see :mod:`django_sessions.engines.base`), the stock query already ignores
  rows past it, and ``clearsessions`` removes idle-expired and absolutely expired rows alike;
* **a locked read-modify-write** for the cart (:meth:`DatabaseSession.locked`), because a
  session row is last-write-wins: two tabs adding to the cart at once would lose one add;
* "the database is down" kept apart from "the session row vanished": the stock ``save()``
  reports both as ``UpdateError`` (which ``SessionMiddleware`` turns into a 400
  ``SessionInterrupted``), while the first must answer 503.

:class:`SessionStore` adds a sliding idle timeout cheaper than the other engines' (only
``expire_date`` is updated).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import InterfaceError, OperationalError, router, transaction
from django.utils import timezone

from django_sessions.engines.base import ContractSession, SessionVanished, issued_key_chars


class DatabaseSession(DatabaseSessionStore):
    """Django's database backend: where the row is read, saved and locked."""

    #: ``expire_date`` of the row as last read or written by this request (None: no row).
    stored_expiry: datetime | None = None

    def _validate_session_key(self, key: str | None) -> bool:
        # Only a key this backend could have issued is looked up.
        return bool(super()._validate_session_key(key)) and issued_key_chars(key)

    def read(self) -> dict[str, Any]:
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

    # -- locked read-modify-write -----------------------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[DatabaseSession]:
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


class SessionStore(ContractSession, DatabaseSession):
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
