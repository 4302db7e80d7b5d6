"""What every Flask app of the kit has in common, whatever its auth: error envelopes,
security headers, the host check, strict bodies, the login throttle and the public routes.

The Flask designs differ in auth, not in how they speak JSON, so this is shared. Flask
answers errors with HTML pages by default; every one of them is replaced by the contract's
envelope here, and no response ever carries a stack trace.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis
from flask import Flask, Response, current_app, jsonify, request
from limits.storage import RedisStorage
from werkzeug.exceptions import HTTPException, InternalServerError

from shared import page
from shared.bodies import check_body_size, parse_json_object
from shared.catalog import PRODUCTS
from shared.errors import (
    STORE_RETRY_AFTER_SECONDS,
    ApiError,
    code_for_status,
    error_body,
    store_unavailable,
)
from shared.http_policy import security_headers
from shared.settings import MAX_BODY_BYTES, Settings
from shared.throttle import LoginThrottle, client_address


def error_response(error: ApiError) -> Response:
    response = jsonify(error.body())
    response.status_code = error.status
    if error.code == "store_unavailable":
        response.headers["Retry-After"] = str(STORE_RETRY_AFTER_SECONDS)
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def install_login_throttle(app: Flask, client: redis.Redis) -> None:
    """The shared login throttle (:mod:`shared.throttle`), counting in the app's Redis.

    ``limits`` gets the app's own connection pool, so the throttle fails as fast as every
    other Redis call (503 ``store_unavailable``) when Redis is down.
    """
    storage = RedisStorage("redis://", connection_pool=client.connection_pool,
                           key_prefix="authkit-throttle")  # fmt: skip
    app.extensions["authkit.login_throttle"] = LoginThrottle(storage)


def check_login_throttle(username: str) -> Callable[[], None]:
    """Refuse a throttled login (429) and return what to call if the password is wrong."""
    throttle: LoginThrottle = current_app.extensions["authkit.login_throttle"]
    address = client_address(request.remote_addr, request.headers.get("X-Forwarded-For"))
    throttle.check(username, address)
    return lambda: throttle.failed(username, address)


def no_content() -> Response:
    """A 204: no body, hence no ``Content-Type`` (Flask would say text/html)."""
    response = Response(status=204)
    del response.headers["Content-Type"]
    return response


def raw_body() -> bytes:
    """The request body, refused with 413 when over the limit, whether declared or chunked.

    A chunked body has no ``Content-Length``; Werkzeug then caps the stream at
    ``MAX_CONTENT_LENGTH`` and ``get_data()`` returns the first 16 KiB *without an error*,
    so the app would act on a truncated body that a proxy saw whole. Reading one byte past
    the limit from the server's (de-chunking) input tells the two cases apart.
    """
    check_body_size(request.content_length)
    if (
        request.content_length is None
        and "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    ):
        raw = request.environ["wsgi.input"].read(MAX_BODY_BYTES + 1)
        check_body_size(len(raw))
        return raw
    return request.get_data(cache=False)


def json_body() -> dict[str, Any]:
    """The request's JSON object body, parsed strictly (see :mod:`shared.bodies`)."""
    return parse_json_object(raw_body(), request.content_type)


def install(
    app: Flask,
    store_errors: tuple[type[BaseException], ...],
    allowed_hosts: list[str] | None = None,
) -> None:
    """Give ``app`` the contract's error envelope, body limit, headers and host check.

    ``store_errors`` are the exceptions that mean "the store is down or too slow"; they
    answer 503 ``store_unavailable`` wherever they are raised, including while Flask opens
    or saves a session (Flask reports those as a 500 wrapping the original exception).
    """
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    # Django's ALLOWED_HOSTS for Flask: a request for another Host is a 400 before routing
    # (Flask 3.1 checks TRUSTED_HOSTS when it builds the URL adapter), so a forged Host can
    # never reach a URL the app builds (password-reset-style host header injection).
    if allowed_hosts is not None:
        app.config["TRUSTED_HOSTS"] = allowed_hosts
    # A route answers the methods it declares; OPTIONS is not one (no CORS here), so it
    # gets 405 + Allow like any other undeclared method, as in django-sessions.
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
    app.json.sort_keys = False  # keep the contract's field order, and skip the sorting work

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> Response:
        return error_response(error)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        status = error.code or 500
        code = code_for_status(status)
        message = {
            "not_found": "No such resource.",
            "method_not_allowed": f"{request.method} is not allowed here.",
            "payload_too_large": f"Request bodies are limited to {MAX_BODY_BYTES} bytes.",
            "bad_request": "The request could not be understood.",
        }.get(code, error.description or "Bad request.")
        response = jsonify(error_body(code, message))
        response.status_code = status
        for name, value in error.get_headers():
            if name.lower() == "allow":
                response.headers["Allow"] = value
        return response

    for store_error in store_errors:
        app.register_error_handler(store_error, _store_unavailable)

    @app.errorhandler(InternalServerError)
    def _internal_error(error: InternalServerError) -> Response:
        original = getattr(error, "original_exception", None)
        if isinstance(original, ApiError):
            return error_response(original)
        if store_errors and isinstance(original, store_errors):
            return _store_unavailable(original)
        response = jsonify(error_body("internal_error", "Something went wrong on our side."))
        response.status_code = 500
        return response

    @app.after_request
    def _security_headers(response: Response) -> Response:
        for name, value in security_headers(request.path, response.status_code).items():
            response.headers.setdefault(name, value)
        return response


def install_public_routes(
    app: Flask, settings: Settings, own_name: str, ping: Callable[[], object]
) -> None:
    """``/health``, ``/products`` and the demo page: what a visitor reaches without logging in.

    ``/health`` names the app as the registry serves it (``AUTHKIT_VARIANT`` through
    :class:`Settings`), else ``own_name``; ``ping`` reaches the store the app cannot work
    without, so a store that is down answers 503 through the ``store_errors`` handlers.
    """
    variant = settings.variant or own_name

    def health() -> Response:
        ping()
        return jsonify(status="ok", variant=variant)

    def products() -> Response:
        return jsonify(products=PRODUCTS)

    for rule, view in (("/health", health), ("/products", products)):
        app.add_url_rule(
            rule, view.__name__, view, methods=["GET"], provide_automatic_options=False
        )
    page.register_flask(app)


def _store_unavailable(_error: BaseException) -> Response:
    return error_response(store_unavailable())
