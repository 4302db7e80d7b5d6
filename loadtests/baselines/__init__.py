"""Bare baselines: the same framework and server as the variants, with no auth at all.

Each variant's costs are shown as ratios to its framework's baseline, so what is left over
is what its auth design costs. A baseline answers the same URLs with the same JSON: a
fixed user for ``/me``, a fixed cart for ``/cart``, and a ``/login`` that checks nothing.
"""

from shared.cart import render_cart

#: The cart every baseline request sees (the baseline stores nothing).
FIXED_CART = {"sku-001": 2, "sku-005": 1}
FIXED_USER = "user0000"
#: What a baseline ``/login`` returns: the fields of both credential styles, all inert.
LOGIN_BODY = {
    "username": FIXED_USER,
    "csrf_token": "baseline",
    "access_token": "baseline",
    "refresh_token": "baseline",
    "token_type": "Bearer",
    "expires_in": 86400,
}


def prepare() -> None:
    """Nothing to migrate or seed: the baseline has no store."""


def cart_with(product_id: str, quantity: int) -> dict:
    """The fixed cart plus one line, priced as a variant would (nothing is kept)."""
    lines = dict(FIXED_CART)
    lines[product_id] = min(99, lines.get(product_id, 0) + quantity)
    return render_cart(lines)


def cart_without(product_id: str) -> dict:
    return render_cart({pid: qty for pid, qty in FIXED_CART.items() if pid != product_id})
