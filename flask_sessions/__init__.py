"""flask-sessions: Flask + Flask-Session, session data in Redis, an opaque ID in the cookie.

The classic server-side session design: the browser holds a random ID and nothing else;
everything the server knows about the visit (who is logged in, the CSRF token, the cart)
is in Redis under that ID. Logging out deletes the record, so the ID dies at once.
"""

from __future__ import annotations

from flask import Flask

from flask_sessions.session_store import SlidingRedisSessionInterface
from flask_sessions.views import api
from shared import flask_api, page
from shared.passwords import warm_up
from shared.redis_store import STORE_ERRORS, connect
from shared.settings import Settings

VARIANT_NAME = "flask-sessions"


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app; settings come from the environment unless given."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        # The cookie: host-only (no Domain), Path=/, HttpOnly, SameSite=Lax, and with
        # COOKIE_SECURE=1 also Secure under the __Host- prefix, which browsers only accept
        # from HTTPS with Path=/ and no Domain (OWASP Session Management Cheat Sheet).
        SESSION_COOKIE_NAME="__Host-session" if settings.cookie_secure else "session",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PATH="/",
        SESSION_COOKIE_DOMAIN=None,
        # Flask-Session writes every session back on every request unless told not to;
        # the idle timeout slides with GETEX on read instead (see session_store.py).
        SESSION_REFRESH_EACH_REQUEST=False,
        AUTHKIT_SETTINGS=settings,
    )
    client = connect(settings.require_redis_url(), settings.store_timeout_seconds)
    app.session_interface = SlidingRedisSessionInterface(
        app,
        client,
        idle_seconds=settings.session_idle_seconds,
        absolute_seconds=settings.session_absolute_seconds,
    )
    flask_api.install(app, store_errors=STORE_ERRORS, allowed_hosts=list(settings.allowed_hosts))
    flask_api.install_login_throttle(app, client)
    app.register_blueprint(api)
    page.register_flask(app)  # the demo page at /
    warm_up()
    return app
