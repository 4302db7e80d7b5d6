"""Cart rules shared by every variant: what a valid line is and how a cart is shown.

Where the cart is stored is each variant's business (the session, a database row, a Redis
hash); what a cart *means* is the contract, so it is defined once here. A cart is a mapping
of product id to quantity.
"""

from __future__ import annotations

from typing import Any

from shared.catalog import PRODUCTS_BY_ID
from shared.errors import ApiError

MAX_QUANTITY = 99


def parse_add_item(data: dict[str, Any]) -> tuple[str, int]:
    """``(product_id, quantity)`` from a ``POST /cart/items`` body.

    Only these two fields are read; anything else (a price, a user id) is ignored and
    never applied. ``quantity`` must be a real integer: ``True`` is an ``int`` in Python
    and ``"2"`` or ``2.0`` are not integers in the contract.
    """
    product_id = data.get("product_id")
    quantity = data.get("quantity")
    problems: dict[str, str] = {}
    if not isinstance(product_id, str) or not product_id:
        problems["product_id"] = "must be a non-empty string"
    if type(quantity) is not int or not 1 <= quantity <= MAX_QUANTITY:
        problems["quantity"] = f"must be an integer from 1 to {MAX_QUANTITY}"
    if problems:
        raise ApiError("validation_error", "Some fields are invalid.", problems)
    if product_id not in PRODUCTS_BY_ID:
        raise ApiError("not_found", f"No product {product_id!r} in the catalogue.")
    return product_id, quantity


def add_line(lines: dict[str, int], product_id: str, quantity: int) -> dict[str, int]:
    """A new cart with ``quantity`` more of ``product_id``; a line never goes above 99."""
    new_quantity = lines.get(product_id, 0) + quantity
    if new_quantity > MAX_QUANTITY:
        raise ApiError(
            "validation_error",
            f"A cart line cannot hold more than {MAX_QUANTITY} items.",
            {"quantity": f"the line would hold {new_quantity}; the maximum is {MAX_QUANTITY}"},
        )
    return {**lines, product_id: new_quantity}


def remove_line(lines: dict[str, int], product_id: str) -> dict[str, int]:
    """A new cart without ``product_id``; 404 when the line is not in the cart."""
    if product_id not in lines:
        raise ApiError("not_found", f"No line for {product_id!r} in the cart.")
    return {pid: qty for pid, qty in lines.items() if pid != product_id}


def render_cart(lines: dict[str, int]) -> dict[str, Any]:
    """The ``GET /cart`` document for a cart, priced from the catalogue."""
    items = []
    for product_id, quantity in lines.items():
        product = PRODUCTS_BY_ID.get(product_id)
        if product is None:  # a product withdrawn from the catalogue drops out of carts
            continue
        items.append(
            {
                "product_id": product_id,
                "name": product["name"],
                "quantity": quantity,
                "unit_price_cents": product["price_cents"],
                "line_total_cents": product["price_cents"] * quantity,
            }
        )
    return {"items": items, "total_cents": sum(item["line_total_cents"] for item in items)}
