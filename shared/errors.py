"""The error envelope every variant answers with.

One table of codes keeps the status for each code identical across frameworks, so a
client (and the contract suite) can rely on ``error.code`` alone.
"""

from __future__ import annotations

from typing import Any

#: Every error code of the contract and the HTTP status it is sent with.
STATUS_BY_CODE: dict[str, int] = {
    "invalid_json": 400,
    "bad_request": 400,
    "unauthenticated": 401,
    "invalid_credentials": 401,
    "csrf_failed": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "validation_error": 422,
    # flask-cookie: the change would make the session cookie larger than browsers keep.
    "cookie_too_large": 422,
    "rate_limited": 429,
    "internal_error": 500,
    "store_unavailable": 503,
}

#: The code for an error status that a framework or server produced on its own (a 404
#: from the router, a 413 from the body limit...), when no view said which code it is.
CODE_BY_STATUS: dict[int, str] = {
    400: "bad_request",
    401: "unauthenticated",
    403: "csrf_failed",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    503: "store_unavailable",
}


def code_for_status(status: int) -> str:
    return CODE_BY_STATUS.get(status, "bad_request" if status < 500 else "internal_error")


#: Seconds a client should wait before retrying a 503 (sent as ``Retry-After``).
STORE_RETRY_AFTER_SECONDS = 1


class ApiError(Exception):
    """An error the API answers with instead of a result.

    Framework code raises it anywhere below a view; each variant turns it into a JSON
    response with :func:`error_body` and :attr:`status`.
    """

    def __init__(self, code: str, message: str, fields: dict[str, str] | None = None) -> None:
        if code not in STATUS_BY_CODE:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields

    @property
    def status(self) -> int:
        return STATUS_BY_CODE[self.code]

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.fields)


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    """The JSON document of an error: ``{"error": {"code", "message"[, "fields"]}}``."""
    error: dict[str, Any] = {"code": code, "message": message}
    if fields is not None:
        error["fields"] = fields
    return {"error": error}


def unauthenticated() -> ApiError:
    return ApiError("unauthenticated", "Authentication required.")


def store_unavailable() -> ApiError:
    return ApiError("store_unavailable", "The store is unavailable; try again shortly.")
