"""A cookie-session Flask app of the contract, over the session interface its design brings.

Flask decides what a session *is* in its session interface (``app.session_interface``):
where the data lives, when it expires, what the cookie holds. A session design is therefore
a subclass of one of Flask's interfaces plus the few decisions below (:class:`SessionDesign`)
that Flask's interface has no method for: what a login, a logout and a cart change do to
the store. Everything else is the same whatever the design, so it is written once here:
the cookie's attributes, the users and the login throttle in Redis, CSRF, the views.

The session's layout (:data:`USER`, :data:`CSRF`, :data:`STARTED_AT`, :data:`CART`) is
defined here too, so a design reads the same keys the views write.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import redis
from flask import Flask, Response, current_app, jsonify, request, session
from flask.sessions import SessionInterface, SessionMixin

from shared import flask_api, redis_users
from shared.bodies import login_fields
from shared.cart import add_line, parse_add_item, remove_line, render_cart
from shared.errors import ApiError, unauthenticated
from shared.flask_api import check_login_throttle, json_body, no_content
from shared.passwords import verify_password, warm_up
from shared.redis_store import STORE_ERRORS, connect
from shared.settings import Settings

#: Session keys: the logged-in username, the CSRF token, when the session started (the
#: absolute timeout counts from it) and the cart (product id -> quantity).
USER = "user"
CSRF = "csrf"
STARTED_AT = "created_at"
CART = "cart"

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Where the app's Redis client (users, throttle, and whatever the design keeps) lives.
REDIS_EXTENSION = "authkit.redis"

Lines = dict[str, int]
CartChange = Callable[[Lines], Lines]


class SessionDesign(Protocol):
    """What a design's session interface decides beyond what Flask asks of it."""

    def anonymous_csrf(self, app: Flask, session: SessionMixin) -> Response:
        """The ``GET /csrf`` answer for a visitor who is not logged in."""

    def renew_id(self, session: SessionMixin) -> None:
        """Before a login fills the session: let nothing of the visitor's session live on."""

    def logged_in(self, username: str, session: SessionMixin) -> None:
        """After a login filled the session."""

    def logged_out(self, username: str, session: SessionMixin) -> None:
        """Before this session is cleared at logout."""

    def logged_out_everywhere(self, username: str) -> None:
        """``/logout-all``: end every session of ``username`` the design can reach."""

    def save_cart(self, app: Flask, session: SessionMixin, change: CartChange) -> Lines:
        """Apply ``change`` to the session's cart, keep it, and return the new cart."""


#: Builds a design's session interface from the app, its Redis client and the settings.
InterfaceFactory = Callable[[Flask, redis.Redis, Settings], SessionInterface]


def outlived(data: Mapping[str, Any], absolute_seconds: int) -> bool:
    """True when the session in ``data`` started longer ago than the absolute timeout.

    A design's session interface calls this where it loads a session, so however the idle
    timeout slides, no session (nor a copy of its cookie) is accepted past this age.
    """
    return time.time() - data.get(STARTED_AT, 0) > absolute_seconds


class RememberedCookieLifetime:
    """The cookie's lifetime, for a session interface that knows ``absolute_seconds``.

    Without ``remember`` at login the session is not *permanent* in Flask's terms and the
    cookie carries no ``Expires``: it ends with the browser. A remembered session's cookie
    lasts the idle timeout from this response, cut at the absolute deadline, so the browser
    never keeps it longer than the server would accept it; each interface re-sends it as
    the idle window slides. The timeouts themselves stay the server's (the signature's age
    or the store's TTL, and :func:`outlived`).
    """

    absolute_seconds: int

    def get_expiration_time(self, app: Flask, session: SessionMixin) -> datetime | None:
        if not session.permanent:
            return None
        idle_end = datetime.now(UTC) + app.permanent_session_lifetime
        started = session.get(STARTED_AT, 0)
        return min(idle_end, datetime.fromtimestamp(started + self.absolute_seconds, tz=UTC))


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def create_app(
    import_name: str,
    own_name: str,
    session_interface: InterfaceFactory,
    settings: Settings | None = None,
) -> Flask:
    """The app of one design; settings come from the environment unless given."""
    settings = settings or Settings.from_env()
    app = Flask(import_name)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        # Flask 3.1: old keys that still verify the session cookie (never sign it).
        SECRET_KEY_FALLBACKS=list(settings.secret_key_fallbacks),
        # The cookie: host-only (no Domain), Path=/, HttpOnly, SameSite=Lax, and with
        # COOKIE_SECURE=1 also Secure under the __Host- prefix, which browsers only accept
        # from HTTPS with Path=/ and no Domain (OWASP Session Management Cheat Sheet).
        SESSION_COOKIE_NAME="__Host-session" if settings.cookie_secure else "session",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PATH="/",
        SESSION_COOKIE_DOMAIN=None,
        # Flask's name for a session's lifetime: the idle timeout, which each design's
        # session interface slides with activity.
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=settings.session_idle_seconds),
        MAX_COOKIE_SIZE=settings.cookie_max_bytes,
    )
    client = connect(settings.require_redis_url(), settings.store_timeout_seconds)
    app.extensions[REDIS_EXTENSION] = client
    app.session_interface = session_interface(app, client, settings)
    flask_api.install(app, store_errors=STORE_ERRORS, allowed_hosts=list(settings.allowed_hosts))
    flask_api.install_login_throttle(app, client)
    flask_api.install_public_routes(app, settings, own_name, client.ping)
    app.before_request(refuse_cross_site_writes)
    for rule, view, methods in ROUTES:
        app.add_url_rule(
            rule, view.__name__, view, methods=methods, provide_automatic_options=False
        )
    warm_up()  # the first unknown-user login must not be slower than the others
    return app


def _design() -> SessionDesign:
    return current_app.session_interface  # type: ignore[return-value]


def refuse_cross_site_writes() -> None:
    """Refuse unsafe requests a browser marks as cross-site (Fetch Metadata), login included.

    SameSite=Lax already keeps the cookie off cross-site POSTs in current browsers; this
    is the second, header-based layer the OWASP CSRF cheat sheet recommends.
    """
    if request.method in UNSAFE_METHODS and request.headers.get("Sec-Fetch-Site") == "cross-site":
        raise ApiError("csrf_failed", "Cross-site requests may not change state.")


def current_user() -> str:
    """The logged-in username, or 401. No store call: the session interface loaded the
    session (and refused an outlived one) before the view ran."""
    username = session.get(USER)
    if not username:
        raise unauthenticated()
    return username


def check_csrf() -> None:
    """Synchronizer-token check: the header must equal the token kept in the session."""
    expected = session.get(CSRF, "")
    sent = request.headers.get("X-CSRF-Token", "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise ApiError("csrf_failed", "Missing or wrong X-CSRF-Token header.")


def csrf() -> Response:
    """The session's CSRF token; a visitor who is not logged in gets the design's."""
    if session.get(USER) and session.get(CSRF):
        return jsonify(csrf_token=session[CSRF])
    return _design().anonymous_csrf(current_app, session)


def login() -> Response:
    username, password, remember = login_fields(json_body())
    count_failure = check_login_throttle(username)  # 429 before the password is looked at
    stored_hash = redis_users.password_hash(current_app.extensions[REDIS_EXTENSION], username)
    if not verify_password(stored_hash, password):
        count_failure()
        raise ApiError("invalid_credentials", "Wrong username or password.")
    # Fixation defence: nothing of the session the browser came with (an anonymous one, or
    # one planted by an attacker) is carried over; a new CSRF token and start time.
    _design().renew_id(session)
    session.clear()
    session.update({USER: username, CSRF: new_csrf_token(), STARTED_AT: time.time(), CART: {}})
    if remember:  # a cookie that outlives the browser only when asked for
        session.permanent = True  # (not set otherwise: the key would grow every cookie)
    _design().logged_in(username, session)
    return jsonify(username=username, csrf_token=session[CSRF])


def me() -> Response:
    return jsonify(username=current_user())


def logout() -> Response:
    username = current_user()
    check_csrf()
    _design().logged_out(username, session)
    session.clear()  # the session interface then expires the cookie
    return no_content()


def logout_all() -> Response:
    username = current_user()
    check_csrf()
    _design().logged_out_everywhere(username)
    session.clear()
    return no_content()


def get_cart() -> Response:
    current_user()
    return jsonify(render_cart(session.get(CART, {})))


def add_cart_item() -> Response:
    current_user()
    check_csrf()
    product_id, quantity = parse_add_item(json_body())
    lines = _design().save_cart(
        current_app, session, lambda cart: add_line(cart, product_id, quantity)
    )
    return jsonify(render_cart(lines))


def remove_cart_item(product_id: str) -> Response:
    current_user()
    check_csrf()
    lines = _design().save_cart(current_app, session, lambda cart: remove_line(cart, product_id))
    return jsonify(render_cart(lines))


ROUTES: list[tuple[str, Callable[..., Response], list[str]]] = [
    ("/csrf", csrf, ["GET"]),
    ("/login", login, ["POST"]),
    ("/me", me, ["GET"]),
    ("/logout", logout, ["POST"]),
    ("/logout-all", logout_all, ["POST"]),
    ("/cart", get_cart, ["GET"]),
    ("/cart/items", add_cart_item, ["POST"]),
    ("/cart/items/<product_id>", remove_cart_item, ["DELETE"]),
]
