"""URL routes of the contract (no trailing slashes: the contract's paths are exact)."""

from __future__ import annotations

from django.urls import path

from django_sessions import views

urlpatterns = [
    path("", views.page, name="page"),
    path("app.js", views.page, name="page-js"),
    path("app.css", views.page, name="page-css"),
    path("health", views.health, name="health"),
    path("products", views.products, name="products"),
    path("csrf", views.csrf, name="csrf"),
    path("login", views.login_view, name="login"),
    path("me", views.me, name="me"),
    path("cart", views.cart, name="cart"),
    path("cart/items", views.add_cart_item, name="cart-items"),
    path("cart/items/<str:product_id>", views.remove_cart_item, name="cart-item"),
    path("logout", views.logout_view, name="logout"),
    path("logout-all", views.logout_all, name="logout-all"),
]

handler400 = "django_sessions.errors.bad_request"
handler403 = "django_sessions.errors.permission_denied"
handler404 = "django_sessions.errors.page_not_found"
handler500 = "django_sessions.errors.server_error"
