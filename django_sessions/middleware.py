"""Middleware that makes Django speak the contract: JSON errors, check order, sliding expiry.

Order in ``settings.MIDDLEWARE`` matters and is explained there.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.http import http_date

from django_sessions.api import allowed_methods
from django_sessions.errors import (
    bad_request_response,
    csrf_failed_response,
    error_response,
    method_not_allowed_response,
    payload_too_large_response,
    response_for_status,
    unauthenticated_response,
)
from shared.bodies import check_body_size
from shared.errors import ApiError
from shared.http_policy import security_headers

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
        try:
            request.get_host()  # ALLOWED_HOSTS, checked before any work
        except DisallowedHost:
            response: HttpResponse = bad_request_response()
        else:
            response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            replacement = response_for_status(response.status_code)
            for header in ("Allow", "Retry-After"):
                if header in response:
                    replacement[header] = response[header]
            response = replacement
        for name, value in security_headers(request.path, response.status_code).items():
            response.setdefault(name, value)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, ApiError):
            return error_response(exception)
        if isinstance(exception, RequestDataTooBig):
            return payload_too_large_response()
        # Anything else, a store error (database or Redis) included, goes on to handler500
        # (django_sessions.errors.server_error): the one place an outage becomes a 503.
        return None


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
        allowed = allowed_methods(view_func)
        if allowed is not None and request.method not in allowed:
            return method_not_allowed_response(request.method or "", allowed)
        # Same decision as LoginRequiredMiddleware.process_view, but public views are decided
        # first, so they never load the user. A database outage while loading the session
        # or the user raises a store error, which handler500 answers with 503.
        if getattr(view_func, "login_required", True) and not request.user.is_authenticated:
            return self.handle_no_permission(request, view_func)
        if (
            request.method not in SAFE_METHODS
            and request.headers.get("Sec-Fetch-Site") == "cross-site"
        ):
            return csrf_failed_response("cross-site request (Sec-Fetch-Site).")
        if request.method not in SAFE_METHODS:
            # Before CsrfViewMiddleware, which parses form and multipart bodies itself
            # (looking for csrfmiddlewaretoken): a declared oversize body is refused
            # before anything reads it.
            length = request.META.get("CONTENT_LENGTH") or ""
            try:
                check_body_size(int(length) if length.isdigit() else None)
            except ApiError as error:
                return error_response(error)
        return None

    def handle_no_permission(self, request, view_func):  # type: ignore[override]
        return unauthenticated_response()  # an API answers 401; no redirect to a login page


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's ``SessionMiddleware``, except that a session cookie the view set is kept.

    The stock one expires the session cookie of every request whose session is empty. The
    anonymous visitor's cookie (``views.csrf``, :mod:`shared.anonymous_csrf`) is exactly
    that: a value in the session cookie that names no stored session. The view sets it the
    ordinary way, ``response.set_cookie``, and what the view chose is what is sent.
    """

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        chosen = response.cookies.get(settings.SESSION_COOKIE_NAME)
        # A copy: the stock middleware changes the cookie in place when it expires it.
        chosen = chosen.copy() if chosen is not None else None
        response = super().process_response(request, response)
        if chosen is not None:
            response.cookies[settings.SESSION_COOKIE_NAME] = chosen
        return response


class SlidingSessionMiddleware:
    """Slide the session's idle expiry after the view ran (see ``slide_expiry_if_due``), and
    the remembered cookie's ``Max-Age`` with it.

    Sits just inside ``SessionMiddleware`` so that it sees the session after the view and
    ``CsrfViewMiddleware`` have changed it, and before ``SessionMiddleware`` saves it.
    ``SessionMiddleware`` re-sends the cookie only with a session it saves; a slide that
    wrote the store itself leaves it unsaved, so a remembered (persistent) cookie is re-sent
    here, with the age the store now has: the cookie lasts as long as the session does.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = request.session
        if response.status_code < 500 and session.accessed:
            slid = session.slide_expiry_if_due()  # a store error -> handler500 -> 503
            if slid and not session.modified and not session.get_expire_at_browser_close():
                max_age = session.get_expiry_age()
                response.set_cookie(
                    settings.SESSION_COOKIE_NAME,
                    session.session_key,
                    max_age=max_age,
                    expires=http_date(time.time() + max_age),
                    domain=settings.SESSION_COOKIE_DOMAIN,
                    path=settings.SESSION_COOKIE_PATH,
                    secure=settings.SESSION_COOKIE_SECURE or None,
                    httponly=settings.SESSION_COOKIE_HTTPONLY or None,
                    samesite=settings.SESSION_COOKIE_SAMESITE,
                )
        return response
