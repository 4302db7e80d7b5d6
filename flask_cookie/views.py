"""The API's views. Auth state is ``flask.session``: Flask's signed cookie, nothing stored.

Same contract as flask-sessions (JSON errors, ``X-CSRF-Token`` on unsafe requests,
``Sec-Fetch-Site`` refused when cross-site); the differences are where the state lives.
"""

from __future__ import annotations

import hmac
import secrets
import time

import redis
from flask import Blueprint, Response, current_app, jsonify, request, session

from flask_cookie.session_cookie import SlidingCookieSessionInterface
from shared import redis_users
from shared.bodies import require_string_fields
from shared.cart import add_line, parse_add_item, remove_line, render_cart
from shared.catalog import PRODUCTS
from shared.errors import ApiError, store_unavailable, unauthenticated
from shared.flask_api import check_login_throttle, json_body, no_content
from shared.passwords import verify_password

api = Blueprint("api", __name__)

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _users() -> redis.Redis:
    return current_app.extensions["authkit_users"]


def _new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


@api.before_app_request
def refuse_cross_site_writes() -> None:
    """Refuse unsafe requests a browser marks as cross-site (Fetch Metadata), login included."""
    if request.method in UNSAFE_METHODS and request.headers.get("Sec-Fetch-Site") == "cross-site":
        raise ApiError("csrf_failed", "Cross-site requests may not change state.")


def current_user() -> str:
    """The logged-in username, or 401. No store call: the cookie carries the session.

    Flask already refused a cookie signed longer ago than the idle timeout; the absolute
    timeout is checked here, from the login time signed into the cookie, so a copy of the
    cookie cannot outlive it either.
    """
    username = session.get("user")
    if not username:
        raise unauthenticated()
    settings = current_app.config["AUTHKIT_SETTINGS"]
    if time.time() - session.get("created_at", 0) > settings.session_absolute_seconds:
        session.clear()
        raise unauthenticated()
    return username


def check_csrf() -> None:
    """Synchronizer-token check: the header must equal the token kept in the session."""
    expected = session.get("csrf", "")
    sent = request.headers.get("X-CSRF-Token", "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise ApiError("csrf_failed", "Missing or wrong X-CSRF-Token header.")


def _store_cart(lines: dict[str, int]) -> Response:
    """Put ``lines`` in the session, unless the cookie would grow past what browsers keep.

    A browser silently drops a cookie over its limit, and with it the login and the whole
    cart; refusing the change (422 ``cookie_too_large``) keeps the old cookie and cart.
    """
    interface: SlidingCookieSessionInterface = current_app.session_interface  # type: ignore[assignment]
    limit = current_app.config["MAX_COOKIE_SIZE"]
    size = interface.cookie_size(current_app, {**session, "cart": lines})
    if size > limit:
        raise ApiError(
            "cookie_too_large",
            f"The cart would make the session cookie {size} bytes; browsers keep {limit}.",
        )
    session["cart"] = lines
    return jsonify(render_cart(lines))


@api.get("/health")
def health() -> Response:
    try:
        _users().ping()
    except Exception as exc:
        raise store_unavailable() from exc
    return jsonify(status="ok", variant="flask-cookie")


@api.get("/products")
def products() -> Response:
    return jsonify(products=PRODUCTS)


@api.get("/csrf")
def csrf() -> Response:
    """The session's CSRF token, starting an anonymous session when there is none."""
    if "csrf" not in session:
        session["csrf"] = _new_csrf_token()
        session["created_at"] = time.time()
    return jsonify(csrf_token=session["csrf"])


@api.post("/login")
def login() -> Response:
    username, password = require_string_fields(json_body(), "username", "password")
    count_failure = check_login_throttle(username)  # 429 before the password is looked at
    stored_hash = redis_users.password_hash(_users(), username)
    if not verify_password(stored_hash, password):
        count_failure()
        raise ApiError("invalid_credentials", "Wrong username or password.")
    # Nothing to fixate: there is no server-side ID. A new CSRF token and login time make
    # a new cookie, and nothing from the anonymous cookie is carried over.
    session.clear()
    session.update(user=username, csrf=_new_csrf_token(), created_at=time.time(), cart={})
    return jsonify(username=username, csrf_token=session["csrf"])


@api.get("/me")
def me() -> Response:
    return jsonify(username=current_user())


@api.post("/logout")
def logout() -> Response:
    """Ask the browser to drop the cookie. A copy of it stays valid: nothing is revoked."""
    current_user()
    check_csrf()
    session.clear()
    return no_content()


@api.post("/logout-all")
def logout_all() -> Response:
    """Only this browser's cookie can be dropped: other devices' cookies are out of reach
    (reaching them would need a per-user record checked on every read, i.e. a store)."""
    current_user()
    check_csrf()
    session.clear()
    return no_content()


@api.get("/cart")
def get_cart() -> Response:
    current_user()
    return jsonify(render_cart(session.get("cart", {})))


@api.post("/cart/items")
def add_cart_item() -> Response:
    current_user()
    check_csrf()
    product_id, quantity = parse_add_item(json_body())
    return _store_cart(add_line(session.get("cart", {}), product_id, quantity))


@api.delete("/cart/items/<product_id>")
def remove_cart_item(product_id: str) -> Response:
    current_user()
    check_csrf()
    return _store_cart(remove_line(session.get("cart", {}), product_id))
