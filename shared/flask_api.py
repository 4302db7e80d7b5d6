"""JSON plumbing for the Flask variants: error envelopes, security headers, strict bodies.

``flask-sessions`` and ``jwt-*`` differ in auth, not in how they speak JSON, so this is
shared. Flask answers errors with HTML pages by default; every one of them is replaced by
the contract's envelope here, and no response ever carries a stack trace.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError

from shared.bodies import check_body_size, parse_json_object
from shared.errors import (
    STORE_RETRY_AFTER_SECONDS,
    ApiError,
    code_for_status,
    error_body,
    store_unavailable,
)
from shared.http_policy import security_headers
from shared.settings import MAX_BODY_BYTES


def error_response(error: ApiError) -> Response:
    response = jsonify(error.body())
    response.status_code = error.status
    if error.code == "store_unavailable":
        response.headers["Retry-After"] = str(STORE_RETRY_AFTER_SECONDS)
    return response


def no_content() -> Response:
    """A 204: no body, hence no ``Content-Type`` (Flask would say text/html)."""
    response = Response(status=204)
    del response.headers["Content-Type"]
    return response


def json_body() -> dict[str, Any]:
    """The request's JSON object body, parsed strictly (see :mod:`shared.bodies`)."""
    check_body_size(request.content_length)
    return parse_json_object(request.get_data(cache=False), request.content_type)


def install(app: Flask, store_errors: tuple[type[BaseException], ...]) -> None:
    """Give ``app`` the contract's error envelope, body limit and headers.

    ``store_errors`` are the exceptions that mean "the store is down or too slow"; they
    answer 503 ``store_unavailable`` wherever they are raised, including while Flask opens
    or saves a session (Flask reports those as a 500 wrapping the original exception).
    """
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
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
        response.headers.update(security_headers(request.path, response.status_code))
        return response


def _store_unavailable(_error: BaseException) -> Response:
    return error_response(store_unavailable())
