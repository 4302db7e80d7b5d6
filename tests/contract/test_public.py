"""The public face of every variant: health, catalogue, and errors for bad URLs and methods."""

from __future__ import annotations

import requests

from authkit.launcher import Target
from shared.catalog import PRODUCTS


def assert_json_error(response: requests.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    body = response.json()
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert "Traceback" not in response.text
    return body


def test_health_names_the_variant(target: Target) -> None:
    response = requests.get(target.url + "/health", timeout=5, verify=target.verify)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    if target.variant:
        assert body["variant"] == target.variant.name


def test_products_lists_the_shared_catalogue(target: Target) -> None:
    response = requests.get(target.url + "/products", timeout=5, verify=target.verify)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    products = response.json()["products"]
    assert len(products) >= 20
    assert products == PRODUCTS
    assert all(type(p["price_cents"]) is int for p in products)


def test_wrong_method_is_a_json_405_with_allow(target: Target) -> None:
    for method, path, allowed in [
        ("PUT", "/me", "GET"),
        ("DELETE", "/products", "GET"),
        ("GET", "/login", "POST"),
        ("GET", "/logout", "POST"),
        ("GET", "/cart/items", "POST"),
    ]:
        response = requests.request(method, target.url + path, timeout=5, verify=target.verify)
        assert_json_error(response, 405, "method_not_allowed")
        assert allowed in {m.strip() for m in response.headers["Allow"].split(",")}
