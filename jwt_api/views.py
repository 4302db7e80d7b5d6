"""The HTTP API of the contract, for both JWT modes (the mode lives in the services)."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request

from jwt_api.auth import authenticate
from jwt_api.services import services
from jwt_api.tokens import REFRESH, InvalidToken, TokenPair
from jwt_api.users import check_password
from shared.bodies import login_fields, parse_json_object, require_string_fields
from shared.cart import MAX_QUANTITY, parse_add_item, render_cart
from shared.errors import ApiError, unauthenticated
from shared.flask_api import check_login_throttle, json_body, no_content, raw_body


def _token_response(username: str, pair: TokenPair) -> dict[str, Any]:
    return {
        "username": username,
        "access_token": pair.access_token,
        "refresh_token": pair.refresh_token,
        "token_type": "Bearer",
        "expires_in": pair.expires_in,
    }


def _optional_json_body() -> None:
    """Logout needs no body; one that is sent must still be JSON (415/400/413 otherwise)."""
    raw = raw_body()
    if raw:
        parse_json_object(raw, request.content_type)


def login() -> dict[str, Any]:
    # ``remember`` changes nothing here: the tokens are the same either way, and where the
    # client keeps them (memory or storage that outlives the browser) is the client's choice.
    username, password, _remember = login_fields(json_body())
    count_failure = check_login_throttle(username)  # 429 before the password is looked at
    found = services()
    if not check_password(found.redis, username, password):
        count_failure()
        raise ApiError("invalid_credentials", "Wrong username or password.")
    generation = found.revocation.generation(username)
    return _token_response(username, found.tokens.issue_pair(username, generation))


def refresh() -> dict[str, Any]:
    """Exchange a refresh token for a new pair in the same family (rotation)."""
    (token,) = require_string_fields(json_body(), "refresh_token")
    found = services()
    try:
        claims = found.tokens.verify(token, REFRESH)
    except InvalidToken:
        raise unauthenticated() from None
    found.revocation.exchange_refresh(claims)  # denylist: once only, reuse kills the family
    pair = found.tokens.issue_pair(
        claims.username, claims.generation, family=claims.family, auth_time=claims.auth_time
    )
    return _token_response(claims.username, pair)


def me() -> dict[str, str]:
    return {"username": authenticate().username}


def get_cart() -> dict[str, Any]:
    username = authenticate().username
    return render_cart(services().carts.get(username))


def add_cart_item() -> dict[str, Any]:
    username = authenticate().username
    product_id, quantity = parse_add_item(json_body())
    return render_cart(services().carts.add(username, product_id, quantity, MAX_QUANTITY))


def remove_cart_item(product_id: str) -> dict[str, Any]:
    username = authenticate().username
    return render_cart(services().carts.remove(username, product_id))


def logout() -> Response:
    claims = authenticate()
    _optional_json_body()
    services().revocation.revoke_family(claims)  # stateless: nothing to do, nothing stored
    return no_content()


def logout_all() -> Response:
    claims = authenticate()
    _optional_json_body()
    services().revocation.revoke_all(claims.username)  # stateless: nothing to do
    return no_content()


def register(app: Flask) -> None:
    """The token routes, on the app itself: the bearer challenge (:mod:`jwt_api.app`)
    knows the login by its endpoint name, ``login``."""
    routes = [
        ("/login", login, ["POST"]),
        ("/token/refresh", refresh, ["POST"]),
        ("/me", me, ["GET"]),
        ("/cart", get_cart, ["GET"]),
        ("/cart/items", add_cart_item, ["POST"]),
        ("/cart/items/<product_id>", remove_cart_item, ["DELETE"]),
        ("/logout", logout, ["POST"]),
        ("/logout-all", logout_all, ["POST"]),
    ]
    for rule, view, methods in routes:
        app.add_url_rule(
            rule, view.__name__, view, methods=methods, provide_automatic_options=False
        )
