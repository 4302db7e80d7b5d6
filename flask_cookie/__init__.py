"""flask-cookie: Flask's own default session, a signed cookie that holds everything.

This is the design of the Flask quickstart (``flask.session`` with
:class:`~flask.sessions.SecureCookieSessionInterface`): no session store at all. The browser
holds the user, the CSRF token and the cart in a cookie signed with ``SECRET_KEY``
(itsdangerous, HMAC-SHA1 over zlib-compressed JSON). The cookie is signed, not encrypted: the
browser can read it, but cannot change it.

What follows from that, each declared in ``authkit/variants.py`` and tested:

- reading the session costs no store call: the request carries it;
- logout cannot revoke anything: it asks the browser to drop the cookie, and a copy taken
  before still works until the idle or absolute timeout written inside it runs out;
- ``/logout-all`` cannot reach the other devices' cookies;
- the cookie grows with the cart, and two tabs writing at once lose one write (each tab
  sends back the cookie it holds: last write wins);
- Redis holds only the users, so it is needed to log in and for ``/health``, nothing else.
"""

from __future__ import annotations

import os
from datetime import timedelta

from flask import Flask

from flask_cookie.session_cookie import SlidingCookieSessionInterface
from flask_cookie.views import api
from shared import flask_api, page
from shared.passwords import warm_up
from shared.redis_store import STORE_ERRORS, connect
from shared.settings import Settings

VARIANT_NAME = "flask-cookie"
#: What browsers keep of one cookie: RFC 6265 §6.1 asks for at least 4096 bytes per cookie
#: (name, value and attributes); Flask's ``MAX_COOKIE_SIZE`` default (4093) is that limit as
#: Werkzeug measures a ``Set-Cookie`` value. ``COOKIE_MAX_BYTES`` lowers it for tests.
DEFAULT_COOKIE_MAX_BYTES = 4093


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app; settings come from the environment unless given."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        # Same cookie attributes as flask-sessions (host-only, HttpOnly, SameSite=Lax,
        # __Host- prefix and Secure with COOKIE_SECURE=1) and a browser-session cookie.
        SESSION_COOKIE_NAME="__Host-session" if settings.cookie_secure else "session",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PATH="/",
        SESSION_COOKIE_DOMAIN=None,
        # Flask checks the signature's timestamp against this on every read, permanent
        # session or not: it is the idle timeout (the cookie is re-signed on every
        # authenticated response, see session_cookie.py).
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=settings.session_idle_seconds),
        MAX_COOKIE_SIZE=int(os.environ.get("COOKIE_MAX_BYTES") or DEFAULT_COOKIE_MAX_BYTES),
        AUTHKIT_SETTINGS=settings,
    )
    app.session_interface = SlidingCookieSessionInterface()
    # Users only: the session itself never touches Redis.
    app.extensions["authkit_users"] = connect(
        settings.require_redis_url(), settings.store_timeout_seconds
    )
    flask_api.install(app, store_errors=STORE_ERRORS, allowed_hosts=list(settings.allowed_hosts))
    # Failed logins are counted in Redis, beside the users (the only thing stored).
    flask_api.install_login_throttle(app, app.extensions["authkit_users"])
    app.register_blueprint(api)
    page.register_flask(app)  # the demo page at /
    warm_up()
    return app
