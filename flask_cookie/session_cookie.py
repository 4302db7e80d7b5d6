"""Flask's signed-cookie session, re-signed on every authenticated response.

Flask's :class:`~flask.sessions.SecureCookieSessionInterface` rejects a cookie whose
signature is older than ``PERMANENT_SESSION_LIFETIME``, but it re-issues the cookie (with a
fresh timestamp) only for *permanent* sessions. The contract wants a browser-session cookie
(no ``Expires``) whose idle timeout slides with activity, so this subclass re-issues it for
every logged-in session instead. Everything else (signing, serialisation, attributes) is
Flask's own.

It also measures the ``Set-Cookie`` header a session would produce, so the views can refuse
a cart that would make the cookie too big for a browser to keep (browsers drop such a
cookie silently, which would log the user out and lose the cart).
"""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from werkzeug.http import dump_cookie


class SlidingCookieSessionInterface(SecureCookieSessionInterface):
    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        return session.modified or "user" in session

    def cookie_size(self, app: Flask, data: dict) -> int:
        """Bytes of the ``Set-Cookie`` value that would carry ``data`` (as Werkzeug counts)."""
        value = self.get_signing_serializer(app).dumps(data)  # type: ignore[union-attr]
        header = dump_cookie(
            self.get_cookie_name(app),
            value,
            httponly=self.get_cookie_httponly(app),
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
        )
        return len(header.encode())
