"""Flask's signed-cookie session, re-signed on every authenticated response.

Flask's :class:`~flask.sessions.SecureCookieSessionInterface` rejects a cookie whose
signature is older than ``PERMANENT_SESSION_LIFETIME`` (the idle timeout), but it re-issues
the cookie (with a fresh timestamp) only for *permanent* sessions. The contract wants a
browser-session cookie (no ``Expires``) whose idle timeout slides with activity, so this
subclass re-issues it for every logged-in session instead; a login with ``remember``
makes the session permanent, and its cookie's ``Expires`` slides with it
(:class:`~shared.flask_session_app.RememberedCookieLifetime`). Everything else (signing,
serialisation, attributes) is Flask's own.

What Flask's interface does not do and this module adds:
- the absolute timeout, from the start time signed into the cookie, so a copy of the
  cookie cannot outlive it either;
- a cart change that would make the cookie too big for a browser to keep is refused
  (browsers drop such a cookie silently, which would log the user out and lose the cart).
"""

from __future__ import annotations

import time

from flask import Flask, Request, Response, jsonify
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from werkzeug.http import dump_cookie

from shared.errors import ApiError
from shared.flask_session_app import (
    CART,
    CSRF,
    STARTED_AT,
    USER,
    CartChange,
    Lines,
    RememberedCookieLifetime,
    new_csrf_token,
    outlived,
)


class SlidingCookieSessionInterface(RememberedCookieLifetime, SecureCookieSessionInterface):
    def __init__(self, absolute_seconds: int) -> None:
        self.absolute_seconds = absolute_seconds

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """Flask's, ending a session that started longer ago than the absolute timeout."""
        session = super().open_session(app, request)
        if session and outlived(session, self.absolute_seconds):
            session.clear()  # now modified and empty: save_session expires the cookie
        return session

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        return session.modified or USER in session

    def cookie_size(self, app: Flask, data: dict) -> int:
        """Bytes of the ``Set-Cookie`` value that would carry ``data`` (as Werkzeug counts)."""
        value = self.get_signing_serializer(app).dumps(data)  # type: ignore[union-attr]
        header = dump_cookie(
            self.get_cookie_name(app),
            value,
            expires=self.get_expiration_time(app, SecureCookieSession(data)),
            httponly=self.get_cookie_httponly(app),
            domain=self.get_cookie_domain(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
        )
        return len(header.encode())

    # -- the design's decisions (shared.flask_session_app.SessionDesign) ----------------

    def anonymous_csrf(self, app: Flask, session: SessionMixin) -> Response:
        """The token is kept in the cookie session: it costs the server nothing to store."""
        if CSRF not in session:
            session[CSRF] = new_csrf_token()
            session[STARTED_AT] = time.time()
        return jsonify(csrf_token=session[CSRF])

    def renew_id(self, session: SessionMixin) -> None:
        """Nothing to fixate: there is no server-side ID; the login writes a new cookie."""

    def logged_in(self, username: str, session: SessionMixin) -> None:
        """Nothing is recorded: the cookie is the whole session."""

    def logged_out(self, username: str, session: SessionMixin) -> None:
        """Nothing to revoke: clearing the session asks the browser to drop the cookie, and
        a copy of it stays valid until its idle or absolute timeout."""

    def logged_out_everywhere(self, username: str) -> None:
        """Only this browser's cookie can be dropped: other devices' cookies are out of reach
        (reaching them would need a per-user record checked on every read, i.e. a store)."""

    def save_cart(self, app: Flask, session: SessionMixin, change: CartChange) -> Lines:
        """The cart is in the cookie, unless the change would grow it past what browsers keep:
        then it is refused (422 ``cookie_too_large``) and the old cookie and cart stay."""
        lines = change(session.get(CART, {}))
        limit = app.config["MAX_COOKIE_SIZE"]
        size = self.cookie_size(app, {**session, CART: lines})
        if size > limit:
            raise ApiError(
                "cookie_too_large",
                f"The cart would make the session cookie {size} bytes; browsers keep {limit}.",
            )
        session[CART] = lines
        return lines
