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

The design is its session interface (:mod:`.session_interface`); the endpoints, cookie
attributes and CSRF checks are :mod:`shared.flask_session_app`.
"""

from __future__ import annotations

import redis
from flask import Flask

from flask_cookie.session_interface import SlidingCookieSessionInterface
from shared import flask_session_app
from shared.settings import Settings

VARIANT_NAME = "flask-cookie"


def session_interface(
    app: Flask, client: redis.Redis, settings: Settings
) -> SlidingCookieSessionInterface:
    """Sessions in the cookie: the app's Redis holds only the users."""
    return SlidingCookieSessionInterface(settings.session_absolute_seconds)


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app; settings come from the environment unless given."""
    return flask_session_app.create_app(__name__, VARIANT_NAME, session_interface, settings)
