"""Minimal Django (no apps, no database, no session or auth middleware): the baseline for
``django-sessions``.

Settings are configured in this module so the baseline needs no project; the URLs answer
the contract's JSON with a fixed user and cart, through Django's request/response cycle.
"""

from __future__ import annotations

from django.conf import settings

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="baseline-has-no-secrets-baseline-has-no-secrets",
        ROOT_URLCONF=__name__,
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        INSTALLED_APPS=[],
        DATABASES={},
        MIDDLEWARE=["django.middleware.common.CommonMiddleware"],
        USE_TZ=True,
        APPEND_SLASH=False,
    )

from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.http import require_http_methods

from loadtests.baselines import FIXED_CART, FIXED_USER, LOGIN_BODY, cart_with, cart_without
from shared.bodies import parse_json_object
from shared.cart import parse_add_item, render_cart
from shared.catalog import PRODUCTS
from shared.errors import ApiError


def _json(data: object, status: int = 200, public: bool = False) -> JsonResponse:
    response = JsonResponse(data, status=status, safe=False)
    response["X-Content-Type-Options"] = "nosniff"
    if not public:
        response["Cache-Control"] = "no-store"
    return response


def _body(request: HttpRequest) -> dict:
    return parse_json_object(request.body, request.content_type)


def _errors(view):  # the contract's envelope for ApiError, as a variant would answer
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except ApiError as error:
            return _json(error.body(), status=error.status)

    return wrapped


@require_http_methods(["GET"])
def health(request: HttpRequest) -> HttpResponse:
    return _json({"status": "ok", "variant": "django-bare"}, public=True)


@require_http_methods(["GET"])
def products(request: HttpRequest) -> HttpResponse:
    return _json({"products": PRODUCTS}, public=True)


@require_http_methods(["POST"])
@_errors
def login(request: HttpRequest) -> HttpResponse:
    _body(request)
    return _json(LOGIN_BODY)


@require_http_methods(["GET"])
def csrf(request: HttpRequest) -> HttpResponse:
    return _json({"csrf_token": "baseline"})


@require_http_methods(["GET"])
def me(request: HttpRequest) -> HttpResponse:
    return _json({"username": FIXED_USER})


@require_http_methods(["GET"])
def cart(request: HttpRequest) -> HttpResponse:
    return _json(render_cart(FIXED_CART))


@require_http_methods(["POST"])
@_errors
def add_item(request: HttpRequest) -> HttpResponse:
    return _json(cart_with(*parse_add_item(_body(request))))


@require_http_methods(["DELETE"])
def remove_item(request: HttpRequest, product_id: str) -> HttpResponse:
    return _json(cart_without(product_id))


@require_http_methods(["POST"])
def logout(request: HttpRequest) -> HttpResponse:
    return HttpResponse(status=204)


urlpatterns = [
    path("health", health),
    path("products", products),
    path("login", login),
    path("csrf", csrf),
    path("me", me),
    path("cart", cart),
    path("cart/items", add_item),
    path("cart/items/<str:product_id>", remove_item),
    path("token/refresh", login),
    path("logout", logout),
    path("logout-all", logout),
]

application = get_wsgi_application()
