"""Middleware that makes Django speak the contract: JSON errors, check order, sliding expiry.

Order in ``settings.MIDDLEWARE`` matters and is explained there.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

from django_sessions.errors import (
    STORE_ERRORS,
    csrf_failed_response,
    error_response,
    method_not_allowed_response,
    payload_too_large_response,
    response_for_status,
    store_unavailable_response,
    unauthenticated_response,
)
from shared.errors import ApiError

#: Paths whose successful answers are public and the same for everyone (may be cached).
PUBLIC_PATHS = frozenset({"/products", "/health"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class ApiResponseMiddleware:
    """Outermost layer: the contract's headers on every response, JSON for every error.

    Exceptions raised by views arrive in :meth:`process_exception`; those raised by other
    middleware are turned into responses by Django's ``handler500``/``handler400``
    (see :mod:`django_sessions.errors`). Anything that still comes out as a non-JSON error
    (e.g. a bare ``HttpResponseNotAllowed``) is replaced by an envelope here.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.get_host()  # ALLOWED_HOSTS: DisallowedHost -> handler400, before any work
        response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            replacement = response_for_status(response.status_code)
            for header in ("Allow", "Retry-After"):
                if header in response:
                    replacement[header] = response[header]
            response = replacement
        response["X-Content-Type-Options"] = "nosniff"
        if request.path not in PUBLIC_PATHS or response.status_code >= 400:
            response["Cache-Control"] = "no-store"
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, ApiError):
            return error_response(exception)
        if isinstance(exception, RequestDataTooBig):
            return payload_too_large_response()
        if isinstance(exception, STORE_ERRORS):
            return store_unavailable_response()
        return None  # a real bug: handler500 answers 500 JSON and Django logs the traceback


class ApiAccessMiddleware(LoginRequiredMiddleware):
    """Django 5.1's login-required-by-default, answering in the contract's order.

    Runs in ``process_view``, before ``CsrfViewMiddleware``, so an unsafe request is checked
    in the contract's order: method (405, as a router would), authentication (401), then
    Fetch Metadata (``Sec-Fetch-Site: cross-site`` -> 403), then Django's CSRF token check
    (403), then the view parses the body. Public views opt out of authentication with
    Django's ``@login_not_required``; views declare their methods with
    :func:`django_sessions.api.allow`.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):  # type: ignore[override]
        allowed = getattr(view_func, "allowed_methods", None)
        if allowed is not None and request.method not in allowed:
            return method_not_allowed_response(request.method or "", allowed)
        # Same decision as LoginRequiredMiddleware.process_view, but public views are decided
        # first, so they never load the user, and a database outage answers 503.
        if getattr(view_func, "login_required", True):
            try:
                authenticated = request.user.is_authenticated
            except STORE_ERRORS:  # the session or the user could not be loaded
                return store_unavailable_response()
            if not authenticated:
                return self.handle_no_permission(request, view_func)
        if (
            request.method not in SAFE_METHODS
            and request.headers.get("Sec-Fetch-Site") == "cross-site"
        ):
            return csrf_failed_response("cross-site request (Sec-Fetch-Site).")
        return None

    def handle_no_permission(self, request, view_func):  # type: ignore[override]
        return unauthenticated_response()  # an API answers 401; no redirect to a login page


class SlidingSessionMiddleware:
    """Slide the session's idle expiry after the view ran (see ``slide_expiry_if_due``).

    Sits just inside ``SessionMiddleware`` so that it sees the session after the view and
    ``CsrfViewMiddleware`` have changed it, and before ``SessionMiddleware`` saves it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = request.session
        if response.status_code < 500 and session.accessed:
            try:
                session.slide_expiry_if_due()
            except STORE_ERRORS:
                return store_unavailable_response()
        return response
