"""Small helpers the JSON views share: allowed methods, JSON bodies."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from shared.bodies import check_body_size, is_json_content_type, parse_json_object
from shared.errors import ApiError
from shared.settings import MAX_BODY_BYTES

#: The methods each view accepts (declared with :func:`allow`), by the undecorated view.
_ALLOWED_METHODS: dict[Callable, frozenset[str]] = {}


def allow(*methods: str) -> Callable:
    """``require_http_methods`` that also declares the methods to ``ApiAccessMiddleware``.

    Django checks methods inside the view, i.e. after every middleware ran, so an
    unauthenticated ``GET /logout`` would get 401 rather than 405. The middleware answers
    405 first, as a router does, from the methods declared here (see
    :func:`allowed_methods`).
    """

    def decorator(view: Callable) -> Callable:
        _ALLOWED_METHODS[view] = frozenset(methods)
        return require_http_methods(list(methods))(view)

    return decorator


def allowed_methods(view_func: Callable) -> frozenset[str] | None:
    """The methods declared with :func:`allow` for the view a URL resolved to (None: none).

    A table kept by this module rather than an attribute on the view function: the
    declaration has one owner, and the middleware asks it in plain sight. The lookup sees
    through Django's decorators (``csrf_exempt`` wraps the view in a new function) by
    following the ``__wrapped__`` links ``functools.wraps`` leaves, down to the view as
    written.
    """
    return _ALLOWED_METHODS.get(inspect.unwrap(view_func))


def json_body(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object body, parsed strictly (see :mod:`shared.bodies`)."""
    content_length = request.META.get("CONTENT_LENGTH") or ""
    check_body_size(int(content_length) if content_length.isdigit() else None)
    content_type = request.META.get("CONTENT_TYPE")
    if not is_json_content_type(content_type):
        # Decided before touching request.body: CsrfViewMiddleware has already parsed a
        # form or multipart body, and reading request.body after that raises (a 500).
        raise ApiError("unsupported_media_type", "Request bodies must be application/json.")
    return parse_json_object(_raw_body(request), content_type)


def _raw_body(request: HttpRequest) -> bytes:
    """The body, chunked ones included, refused with 413 when over the limit.

    Django reads ``CONTENT_LENGTH`` bytes and treats a chunked body (no length) as empty;
    the server's input stream de-chunks it, and one byte past the limit says "too large".
    """
    if (
        not request.META.get("CONTENT_LENGTH")
        and "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    ):
        raw = request.META["wsgi.input"].read(MAX_BODY_BYTES + 1)
        check_body_size(len(raw))
        return raw
    return request.body


def no_content() -> HttpResponse:
    """A 204: no body, hence no ``Content-Type`` (Django would say text/html)."""
    response = HttpResponse(status=204)
    del response["Content-Type"]
    return response
