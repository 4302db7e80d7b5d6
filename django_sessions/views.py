"""The contract's endpoints as plain Django JSON views.

Every view needs a logged-in user unless marked ``@login_not_required`` (Django 5.1's
``LoginRequiredMiddleware``, answering 401 here), and every unsafe one passes Django's
``CsrfViewMiddleware`` (header ``X-CSRF-Token``, secret kept in the session) unless marked
``@csrf_exempt``. Errors are raised as ``shared.errors.ApiError`` and rendered by the
middleware.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.views.decorators.csrf import csrf_exempt

from django_sessions.api import allow, json_body, no_content
from django_sessions.engines.base import SessionVanished
from django_sessions.throttle import login_throttle
from shared import anonymous_csrf
from shared import page as web_page
from shared.bodies import login_fields
from shared.cart import add_line, parse_add_item, remove_line, render_cart
from shared.catalog import PRODUCTS
from shared.errors import ApiError, unauthenticated
from shared.throttle import client_address

#: The registry name this app is served as (``AUTHKIT_VARIANT``), else its own.
VARIANT = settings.ENV.variant or "django-sessions"
#: Session key of the cart: product id -> quantity.
CART_KEY = "cart"


@login_not_required
@allow("GET")
def health(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:  # a connection failure -> 503 via handler500
        cursor.execute("SELECT 1")
    cache.get("authkit:health")  # Redis for the cache engines (a Redis error -> 503)
    return JsonResponse({"status": "ok", "variant": VARIANT})


@login_not_required
@allow("GET")
def products(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"products": PRODUCTS})


@login_not_required
@allow("GET", "HEAD")
def page(request: HttpRequest) -> HttpResponse:
    """The demo page and its assets (:mod:`shared.page`), the same bytes as every variant."""
    response = HttpResponse(web_page.asset_bytes(request.path))
    for name, value in web_page.asset_headers(request.path).items():
        response[name] = value
    return response


@login_not_required
@allow("GET")
def csrf(request: HttpRequest) -> JsonResponse:
    """The session's CSRF token; an anonymous visitor's is derived, not stored.

    ``get_token`` on an anonymous request would store a session row per caller, which let
    anyone fill the sessions table; see :mod:`shared.anonymous_csrf`. The anonymous ID goes
    in the session cookie, which :class:`django_sessions.middleware.SessionMiddleware`
    leaves as set here (the stock one would expire a cookie whose session it cannot find).
    """
    if request.user.is_authenticated:
        return JsonResponse({"csrf_token": session_csrf_token(request)})
    visitor = anonymous_csrf.anonymous_id(
        settings.SECRET_KEY,
        request.COOKIES.get(settings.SESSION_COOKIE_NAME),
        settings.SECRET_KEY_FALLBACKS,
    )
    response = JsonResponse({"csrf_token": anonymous_csrf.token_for(settings.SECRET_KEY, visitor)})
    response.set_cookie(
        settings.SESSION_COOKIE_NAME,
        visitor,
        path=settings.SESSION_COOKIE_PATH,
        domain=settings.SESSION_COOKIE_DOMAIN,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=settings.SESSION_COOKIE_HTTPONLY,
        samesite=settings.SESSION_COOKIE_SAMESITE,
    )
    return response


def session_csrf_token(request: HttpRequest) -> str:
    """The session's CSRF secret, as the token clients send back in ``X-CSRF-Token``.

    ``get_token`` makes sure the session has a secret, but returns it masked afresh on every
    call: a defence against BREACH for tokens embedded in compressed HTML pages. This API
    serves no compressed pages, and the contract promises one stable token per session, so
    the secret itself is handed out; Django's check accepts a token masked or not.
    """
    get_token(request)
    return request.META["CSRF_COOKIE"]


# Login is exempt from the token (a first-time visitor has no session to hold one). Login
# CSRF is still blocked: the body must be application/json (a cross-site form cannot send
# that without a CORS preflight, which this API never grants), Sec-Fetch-Site: cross-site is
# refused by ApiAccessMiddleware, and the cookie is SameSite=Lax.
@csrf_exempt
@login_not_required
@allow("POST")
def login_view(request: HttpRequest) -> JsonResponse:
    username, password, remember = login_fields(json_body(request))
    address = client_address(
        request.META.get("REMOTE_ADDR"), request.headers.get("X-Forwarded-For")
    )
    throttle = login_throttle()
    throttle.check(username, address)  # 429 before the password is looked at
    user = authenticate(request, username=username, password=password)
    if user is None:
        throttle.failed(username, address)
        raise ApiError("invalid_credentials", "Wrong username or password.")
    # login() gives the session a new key (the pre-login key is deleted: fixation defence),
    # stores the user's session auth hash, and rotates the CSRF secret.
    login(request, user)
    request.session.mark_login(remember)
    return JsonResponse(
        {"username": user.get_username(), "csrf_token": session_csrf_token(request)}
    )


@allow("GET")
def me(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"username": request.user.get_username()})


@allow("GET")
def cart(request: HttpRequest) -> JsonResponse:
    return JsonResponse(render_cart(request.session.get(CART_KEY, {})))


@allow("POST")
def add_cart_item(request: HttpRequest) -> JsonResponse:
    product_id, quantity = parse_add_item(json_body(request))
    try:
        with request.session.locked() as session:
            session[CART_KEY] = add_line(session.get(CART_KEY, {}), product_id, quantity)
    except SessionVanished:  # logged out by a concurrent request
        raise unauthenticated() from None
    return JsonResponse(render_cart(request.session[CART_KEY]))


@allow("DELETE")
def remove_cart_item(request: HttpRequest, product_id: str) -> JsonResponse:
    try:
        with request.session.locked() as session:
            session[CART_KEY] = remove_line(session.get(CART_KEY, {}), product_id)
    except SessionVanished:
        raise unauthenticated() from None
    return JsonResponse(render_cart(request.session[CART_KEY]))


@allow("POST")
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)  # deletes the session row; SessionMiddleware expires the cookie
    return no_content()


@allow("POST")
def logout_all(request: HttpRequest) -> HttpResponse:
    request.user.end_all_sessions()  # every other session fails its auth hash check
    logout(request)
    return no_content()
