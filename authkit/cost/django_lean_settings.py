"""django-sessions' settings with the per-request work that settings can remove, removed.

Measured by ``authkit cost`` only (the row ``django-sessions-lean``); it is not a variant
of the kit and the contract suite does not run it. Same design (database sessions read on
every request, the user loaded through the ORM and checked against its session auth hash,
so logout and logout-all stay immediate), same code; only settings change:

* ``SecurityMiddleware`` is dropped: of everything it can do, this API uses only the
  ``X-Content-Type-Options: nosniff`` header, which ``ApiResponseMiddleware`` sets on every
  response anyway (HSTS and the HTTPS redirect belong to the TLS terminator here).
* ``DatabaseDeadlineMiddleware`` is dropped: it only acts on PostgreSQL and this row runs on
  SQLite.
* ``CSRF_USE_SESSIONS = False``: the CSRF secret lives in Django's ``csrftoken`` cookie
  instead of the session, so a public ``GET`` (``/products``) no longer loads the session
  (one SELECT less there) and CSRF checks no longer touch it. The CSRF protection stays
  Django's own; the token is no longer bound to the session, which is the price.

What settings cannot remove is the bulk of the overhead: the ORM building and compiling the
two ``.get()`` queries (see ``authkit cost``'s attribution), which no setting reaches.
"""

from django_sessions.settings import *  # noqa: F403
from django_sessions.settings import MIDDLEWARE

MIDDLEWARE = [
    m
    for m in MIDDLEWARE
    if m
    not in (
        "django.middleware.security.SecurityMiddleware",
        "django_sessions.deadline.DatabaseDeadlineMiddleware",
    )
]
CSRF_USE_SESSIONS = False
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
