"""flask-sessions: Flask + Flask-Session, session data in Redis, an opaque ID in the cookie.

The classic server-side session design: the browser holds a random ID and nothing else;
everything the server knows about the visit (who is logged in, the CSRF token, the cart)
is in Redis under that ID. Logging out deletes the record, so the ID dies at once.

The design is its session interface (:mod:`.session_interface`); the endpoints, cookie
attributes and CSRF checks are :mod:`shared.flask_session_app`.
"""

from __future__ import annotations

import redis
from flask import Flask

from flask_sessions.session_interface import SlidingRedisSessionInterface
from shared import flask_session_app
from shared.settings import Settings

VARIANT_NAME = "flask-sessions"


def session_interface(
    app: Flask, client: redis.Redis, settings: Settings
) -> SlidingRedisSessionInterface:
    """Sessions in the app's Redis, beside the users."""
    return SlidingRedisSessionInterface(app, client, settings.session_absolute_seconds)


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app; settings come from the environment unless given."""
    return flask_session_app.create_app(__name__, VARIANT_NAME, session_interface, settings)
