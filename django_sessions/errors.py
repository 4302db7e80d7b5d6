"""The contract's JSON error envelope for every error Django can produce.

Django answers errors with HTML pages (or, for 405, an empty body). These views replace them:
``handler400``/``403``/``404``/``500`` in ``urls.py``, ``CSRF_FAILURE_VIEW`` in settings, and
:func:`error_response` for ``shared.errors.ApiError`` raised by the views.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from django.core.exceptions import RequestDataTooBig
from django.db import DataError, InterfaceError, OperationalError
from django.http import HttpRequest, JsonResponse

from django_sessions.memcached import MemcachedUnavailable
from shared.errors import (
    STORE_RETRY_AFTER_SECONDS,
    ApiError,
    code_for_status,
    store_unavailable,
    unauthenticated,
)
from shared.redis_store import STORE_ERRORS as REDIS_ERRORS
from shared.settings import MAX_BODY_BYTES

#: What "the store is down or too slow" looks like: 503, so clients retry and monitoring
#: pages someone. Of the database's errors (PEP 249 classes, as Django re-raises them) only
#: these two mean that: psycopg 3 raises ``OperationalError`` for a refused or lost
#: connection and for server-side timeouts and overload (``QueryCanceled`` from
#: ``statement_timeout``, ``LockNotAvailable``, ``AdminShutdown``, ``TooManyConnections``:
#: SQLSTATE classes 08, 53, 55, 57), and ``InterfaceError`` when the client side of the
#: connection is unusable; sqlite3 raises ``OperationalError`` for "database is locked"
#: (its busy timeout) and a file it cannot open. ``DataError`` (SQLSTATE class 22: a NUL in
#: text, a string too long, a number out of range) is the database refusing a value the
#: request carried: a 400 (see :func:`server_error`). ``IntegrityError``, ``ProgrammingError``
#: and ``InternalError`` are refusals of what the code asked, which no input of this API
#: can cause: bugs, answered 500 and logged with their traceback.
STORE_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    *REDIS_ERRORS,
    MemcachedUnavailable,
)


def error_response(error: ApiError) -> JsonResponse:
    response = JsonResponse(error.body(), status=error.status)
    if error.code == "store_unavailable":
        response["Retry-After"] = str(STORE_RETRY_AFTER_SECONDS)
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def store_unavailable_response() -> JsonResponse:
    return error_response(store_unavailable())


def unauthenticated_response() -> JsonResponse:
    return error_response(unauthenticated())


def csrf_failed_response(reason: str = "") -> JsonResponse:
    # Django's reason ("CSRF token missing.", "Origin checking failed ...") helps the client
    # developer and reveals nothing the client did not send.
    message = f"CSRF check failed: {reason}" if reason else "CSRF check failed."
    return error_response(ApiError("csrf_failed", message))


def method_not_allowed_response(method: str, allowed: Iterable[str]) -> JsonResponse:
    response = error_response(ApiError("method_not_allowed", f"{method} is not allowed here."))
    response["Allow"] = ", ".join(sorted(allowed))
    return response


def payload_too_large_response() -> JsonResponse:
    return error_response(
        ApiError("payload_too_large", f"Request bodies are limited to {MAX_BODY_BYTES} bytes.")
    )


def bad_request_response() -> JsonResponse:
    return error_response(ApiError("bad_request", "The request could not be understood."))


def response_for_status(status: int) -> JsonResponse:
    """A generic envelope for an error response some Django component produced as HTML."""
    code = code_for_status(status)
    messages = {"not_found": "No such resource.", "internal_error": "Something went wrong."}
    return error_response(ApiError(code, messages.get(code, "The request failed.")))


# -- Django's error handlers (wired in urls.py and settings.CSRF_FAILURE_VIEW) --------------


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    # RequestDataTooBig is a SuspiciousOperation, which Django answers with 400; the
    # contract says 413. SessionInterrupted (the session was deleted by a concurrent logout
    # while this request ran) stays a 400.
    if isinstance(exception, RequestDataTooBig):
        return payload_too_large_response()
    return bad_request_response()


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return csrf_failed_response()


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return error_response(ApiError("not_found", "No such resource."))


def server_error(request: HttpRequest) -> JsonResponse:
    # Django calls this inside its ``except`` block, so the exception is still in flight.
    # An unreachable database is not our bug: 503, so clients retry, never a 500.
    exception = sys.exc_info()[1]
    if isinstance(exception, STORE_ERRORS):
        return store_unavailable_response()
    if isinstance(exception, DataError):
        # The views refuse the values they know a database cannot hold (see
        # shared.bodies.login_fields); this is the net under them, never an outage.
        return error_response(
            ApiError("bad_request", "The request holds a value the store cannot keep.")
        )
    if isinstance(exception, ApiError):
        return error_response(exception)
    return error_response(ApiError("internal_error", "Something went wrong on our side."))


def csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    return csrf_failed_response(reason)
