"""The user model: Django's standard user plus a session generation for ``/logout-all``.

Why a generation number folded into the session auth hash, rather than deleting rows:
Django's database sessions are not indexed by user (``session_data`` is an opaque signed
blob), so "delete every session of this user" would mean decoding every row or keeping a side
table in step with every login, logout and expiry. Django already stores a hash of the user's
credentials in each session at ``login()`` and compares it with ``get_session_auth_hash()`` on
every request (``django.contrib.auth.get_user``), which is how a password change logs out
other devices. That check runs on the user row Django loads anyway, so bumping one integer
ends every session of the user, on every instance, at no extra query per request; a session
that fails the check is flushed (row deleted) the next time it is presented, and the rest are
removed by ``clearsessions`` once expired.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import F
from django.utils.crypto import salted_hmac


class User(AbstractUser):
    session_generation = models.PositiveIntegerField(
        default=0, help_text="Bumped to end every session of this user (POST /logout-all)."
    )

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Both get_session_auth_hash() and get_session_auth_fallback_hash() (SECRET_KEY
        # rotation) go through this method, so overriding it covers both.
        key_salt = "django_sessions.models.User.get_session_auth_hash"
        return salted_hmac(
            key_salt,
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def end_all_sessions(self) -> None:
        """Invalidate every session of this user (an atomic increment: no lost bump)."""
        type(self).objects.filter(pk=self.pk).update(session_generation=F("session_generation") + 1)


class ThrottleCounter(models.Model):
    """One window of the login throttle (``shared.throttle``), kept in the variant's database.

    django-sessions has no store besides its database, so the throttle's counters live
    here, next to the sessions, and hold across workers and instances like them.
    """

    key = models.CharField(max_length=200, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    #: When the window ends (seconds since the epoch).
    expires_at = models.FloatField(db_index=True)
