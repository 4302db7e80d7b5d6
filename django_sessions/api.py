"""Small helpers the JSON views share: allowed methods, JSON bodies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from shared.bodies import check_body_size, parse_json_object


def allow(*methods: str) -> Callable:
    """``require_http_methods`` that also tells ``ApiAccessMiddleware`` the methods.

    Django checks methods inside the view, i.e. after every middleware ran, so an
    unauthenticated ``GET /logout`` would get 401 rather than 405. Recording the methods on
    the view lets the middleware answer 405 first, as a router does.
    """

    def decorator(view: Callable) -> Callable:
        wrapped = require_http_methods(list(methods))(view)
        wrapped.allowed_methods = frozenset(methods)
        return wrapped

    return decorator


def json_body(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object body, parsed strictly (see :mod:`shared.bodies`)."""
    content_length = request.META.get("CONTENT_LENGTH") or ""
    check_body_size(int(content_length) if content_length.isdigit() else None)
    return parse_json_object(request.body, request.META.get("CONTENT_TYPE"))


def no_content() -> HttpResponse:
    """A 204: no body, hence no ``Content-Type`` (Django would say text/html)."""
    response = HttpResponse(status=204)
    del response["Content-Type"]
    return response
