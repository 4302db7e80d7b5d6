"""The API's views. Auth state is read from ``flask.session`` (Flask-Session, in Redis)."""

from __future__ import annotations

import hmac
import secrets
import time

from flask import Blueprint, Response, current_app, jsonify, request, session

from flask_sessions.session_store import SlidingRedisSessionInterface
from shared import anonymous_csrf, redis_users
from shared.bodies import require_string_fields
from shared.cart import add_line, parse_add_item, remove_line, render_cart
from shared.catalog import PRODUCTS
from shared.errors import ApiError, store_unavailable, unauthenticated
from shared.flask_api import check_login_throttle, json_body, no_content
from shared.passwords import verify_password

api = Blueprint("api", __name__)

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _store() -> SlidingRedisSessionInterface:
    return current_app.session_interface  # type: ignore[return-value]


def _new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


@api.before_app_request
def refuse_cross_site_writes() -> None:
    """Refuse unsafe requests a browser marks as cross-site (Fetch Metadata), login included.

    SameSite=Lax already keeps the cookie off cross-site POSTs in current browsers; this
    is the second, header-based layer the OWASP CSRF cheat sheet recommends.
    """
    if request.method in UNSAFE_METHODS and request.headers.get("Sec-Fetch-Site") == "cross-site":
        raise ApiError("csrf_failed", "Cross-site requests may not change state.")


def current_user() -> str:
    """The logged-in username, or 401. Costs no Redis call: the session is already loaded."""
    username = session.get("user")
    if not username:
        raise unauthenticated()
    return username


def check_csrf() -> None:
    """Synchronizer-token check: the header must equal the token kept in the session."""
    expected = session.get("csrf", "")
    sent = request.headers.get("X-CSRF-Token", "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise ApiError("csrf_failed", "Missing or wrong X-CSRF-Token header.")


def _cart_response(lines: dict[str, int]) -> Response:
    return jsonify(render_cart(lines))


@api.get("/health")
def health() -> Response:
    try:
        _store().client.ping()
    except Exception as exc:
        raise store_unavailable() from exc
    return jsonify(
        status="ok", variant=current_app.config["AUTHKIT_SETTINGS"].variant or "flask-sessions"
    )


@api.get("/products")
def products() -> Response:
    return jsonify(products=PRODUCTS)


@api.get("/csrf")
def csrf() -> Response:
    """The session's CSRF token; an anonymous visitor's is derived, not stored.

    Storing a session for every anonymous ``GET /csrf`` let anyone fill Redis; see
    :mod:`shared.anonymous_csrf`. A logged-in session's token is the one stored at login.
    """
    if session.get("user") and session.get("csrf"):
        return jsonify(csrf_token=session["csrf"])
    secret = current_app.config["SECRET_KEY"]
    cookie_name = current_app.config["SESSION_COOKIE_NAME"]
    visitor = anonymous_csrf.anonymous_id(secret, request.cookies.get(cookie_name))
    response = jsonify(csrf_token=anonymous_csrf.token_for(secret, visitor))
    interface = _store()
    response.set_cookie(
        cookie_name,
        visitor,
        path=interface.get_cookie_path(current_app),
        domain=interface.get_cookie_domain(current_app),
        secure=interface.get_cookie_secure(current_app),
        httponly=interface.get_cookie_httponly(current_app),
        samesite=interface.get_cookie_samesite(current_app),
    )
    return response


@api.post("/login")
def login() -> Response:
    username, password = require_string_fields(json_body(), "username", "password")
    count_failure = check_login_throttle(username)  # 429 before the password is looked at
    stored_hash = redis_users.password_hash(_store().client, username)
    if not verify_password(stored_hash, password):
        count_failure()
        raise ApiError("invalid_credentials", "Wrong username or password.")
    # Fixation defence: whatever ID the browser came with (an anonymous session from
    # /csrf, or one planted by an attacker) is deleted, and the session gets a new ID.
    _store().regenerate(session)
    session.clear()
    session.update(user=username, csrf=_new_csrf_token(), created_at=time.time(), cart={})
    _store().remember_for_user(username, session.sid)
    return jsonify(username=username, csrf_token=session["csrf"])


@api.get("/me")
def me() -> Response:
    return jsonify(username=current_user())


@api.post("/logout")
def logout() -> Response:
    username = current_user()
    check_csrf()
    _store().forget_for_user(username, session.sid)
    session.clear()  # Flask-Session then deletes the record and expires the cookie
    return no_content()


@api.post("/logout-all")
def logout_all() -> Response:
    username = current_user()
    check_csrf()
    _store().delete_all_for_user(username)
    session.clear()
    return no_content()


@api.get("/cart")
def get_cart() -> Response:
    current_user()
    return _cart_response(session.get("cart", {}))


@api.post("/cart/items")
def add_cart_item() -> Response:
    current_user()
    check_csrf()
    product_id, quantity = parse_add_item(json_body())

    def add(data: dict) -> dict:
        return {**data, "cart": add_line(data.get("cart", {}), product_id, quantity)}

    return _cart_response(_store().update_atomically(session.sid, add)["cart"])


@api.delete("/cart/items/<product_id>")
def remove_cart_item(product_id: str) -> Response:
    current_user()
    check_csrf()

    def remove(data: dict) -> dict:
        return {**data, "cart": remove_line(data.get("cart", {}), product_id)}

    return _cart_response(_store().update_atomically(session.sid, remove)["cart"])
