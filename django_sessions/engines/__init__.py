"""Django's session engines, with what the contract needs on top of each.

``DJANGO_SESSION_ENGINE`` (read by ``django_sessions/settings.py``) picks one module here:
``db`` (the default), ``cache`` (Django's built-in Redis cache backend), ``cached_db``,
``file`` or ``signed_cookies``. The views, the users and the CSRF handling are the same for
all of them; only where the session lives changes.

As in ``django.contrib.sessions.backends``, the behaviour they share is in :mod:`.base`
(the absolute timeout, store errors, the async API, the sliding idle expiry) and each engine
module subclasses Django's stock ``SessionStore`` with only what its store needs: how it is
read, and ``locked()``, a read-modify-write that a concurrent request cannot undo (a lock
per engine; none is possible for signed cookies, which is declared).
"""
