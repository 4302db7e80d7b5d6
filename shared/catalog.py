"""The product catalogue: fixed, in memory, identical for every variant.

It is public data and never changes during a run, so keeping it out of any store means
``GET /products`` measures the framework alone and a cart line can be priced without I/O.
"""

from __future__ import annotations

from typing import TypedDict


class Product(TypedDict):
    id: str
    name: str
    price_cents: int


_NAMES = [
    "Espresso beans 1 kg",
    "Pour-over kettle",
    "Ceramic dripper",
    "Paper filters (100)",
    "Burr grinder",
    "Milk frother",
    "Double-wall glass",
    "Travel mug",
    "Digital scale",
    "Cold brew jar",
    "Tamper 58 mm",
    "Knock box",
    "Descaler",
    "Cleaning tablets",
    "Chai spice mix",
    "Matcha tin",
    "Oat milk carton",
    "Cocoa powder",
    "Barista apron",
    "Latte art pitcher",
    "Moka pot 6-cup",
    "French press",
    "Aeropress",
    "Gift card",
]

PRODUCTS: list[Product] = [
    {"id": f"sku-{i:03d}", "name": name, "price_cents": 250 + (i * 1375) % 9000}
    for i, name in enumerate(_NAMES, start=1)
]

PRODUCTS_BY_ID: dict[str, Product] = {p["id"]: p for p in PRODUCTS}
