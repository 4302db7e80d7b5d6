"""The cart: every rule of ``POST /cart/items`` and ``DELETE /cart/items/{id}``."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from authkit.clients import ApiClient
from authkit.launcher import Target
from shared.catalog import PRODUCTS_BY_ID
from tests.contract.test_public import assert_json_error


def test_a_new_cart_is_empty(logged_in: ApiClient) -> None:
    response = logged_in.get("/cart")
    assert response.status_code == 200
    assert response.json() == {"items": [], "total_cents": 0}
    assert response.headers["Cache-Control"] == "no-store"


def test_adding_prices_lines_from_the_catalogue(logged_in: ApiClient) -> None:
    logged_in.add_item("sku-002", 2)
    response = logged_in.add_item("sku-005", 1)
    assert response.status_code == 200, response.text
    cart = response.json()
    price2, price5 = (
        PRODUCTS_BY_ID["sku-002"]["price_cents"],
        PRODUCTS_BY_ID["sku-005"]["price_cents"],
    )
    assert cart["items"] == [
        {"product_id": "sku-002", "name": PRODUCTS_BY_ID["sku-002"]["name"], "quantity": 2,
         "unit_price_cents": price2, "line_total_cents": 2 * price2},
        {"product_id": "sku-005", "name": PRODUCTS_BY_ID["sku-005"]["name"], "quantity": 1,
         "unit_price_cents": price5, "line_total_cents": price5},
    ]  # fmt: skip
    assert cart["total_cents"] == 2 * price2 + price5
    assert logged_in.get("/cart").json() == cart


def test_adding_to_a_line_accumulates_up_to_99(logged_in: ApiClient) -> None:
    assert logged_in.add_item("sku-003", 60).status_code == 200
    assert logged_in.add_item("sku-003", 39).json()["items"][0]["quantity"] == 99
    body = assert_json_error(logged_in.add_item("sku-003", 1), 422, "validation_error")
    assert "quantity" in body["error"]["fields"]
    assert logged_in.get("/cart").json()["items"][0]["quantity"] == 99


def test_quantity_must_be_an_integer_from_1_to_99(logged_in: ApiClient) -> None:
    for quantity in (0, -1, 100, 5000, "2", 2.5, 2.0, True, False, None, [], {}, "1e2"):
        response = logged_in.post(
            "/cart/items", json={"product_id": "sku-001", "quantity": quantity}
        )
        body = assert_json_error(response, 422, "validation_error")
        assert "quantity" in body["error"]["fields"], quantity
    assert logged_in.get("/cart").json()["items"] == []


def test_numbers_json_should_not_contain_are_refused(logged_in: ApiClient) -> None:
    for raw in ("NaN", "Infinity", "-Infinity", "1e400", "9" * 5000):
        response = logged_in.post(
            "/cart/items",
            data=f'{{"product_id": "sku-001", "quantity": {raw}}}',
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code in (400, 422), (raw, response.status_code)
        assert response.json()["error"]["code"] in ("invalid_json", "validation_error")
    assert logged_in.get("/cart").json()["items"] == []


def test_unknown_product_is_404(logged_in: ApiClient) -> None:
    for product_id in ("sku-999", "SKU-001", "sku-001 ", "../sku-001"):
        assert_json_error(logged_in.add_item(product_id, 1), 404, "not_found")


def test_missing_product_id_is_422(logged_in: ApiClient) -> None:
    for body in (
        {"quantity": 1},
        {"product_id": 7, "quantity": 1},
        {"product_id": "", "quantity": 1},
    ):
        error = assert_json_error(logged_in.post("/cart/items", json=body), 422, "validation_error")
        assert "product_id" in error["error"]["fields"]


def test_extra_fields_are_ignored_never_applied(logged_in: ApiClient) -> None:
    response = logged_in.post(
        "/cart/items",
        json={"product_id": "sku-004", "quantity": 1, "price_cents": 1, "unit_price_cents": 1,
              "user_id": "alice", "username": "alice", "total_cents": 0},
    )  # fmt: skip
    assert response.status_code == 200
    item = response.json()["items"][0]
    assert item["unit_price_cents"] == PRODUCTS_BY_ID["sku-004"]["price_cents"]


def test_removing_a_line(logged_in: ApiClient) -> None:
    logged_in.add_item("sku-001", 1)
    logged_in.add_item("sku-002", 1)
    response = logged_in.delete("/cart/items/sku-001")
    assert response.status_code == 200
    assert [i["product_id"] for i in response.json()["items"]] == ["sku-002"]
    assert_json_error(logged_in.delete("/cart/items/sku-001"), 404, "not_found")
    assert_json_error(logged_in.delete("/cart/items/sku-999"), 404, "not_found")


def test_no_anonymous_carts(target: Target) -> None:
    client = target.client()
    assert_json_error(client.get("/cart"), 401, "unauthenticated")
    assert_json_error(client.add_item("sku-001", 1), 401, "unauthenticated")
    assert_json_error(client.delete("/cart/items/sku-001"), 401, "unauthenticated")


def test_concurrent_adds_from_two_tabs_all_count(target: Target, logged_in: ApiClient) -> None:
    """20 adds at once from two tabs of one login: none may be lost (last-write-wins is a bug),
    unless the cart lives in the cookie, where last write wins by construction (declared)."""
    if target.declaration("cart_in") == "credential":
        _a_stale_tab_loses_the_other_tabs_write(logged_in)
        return
    tabs = [logged_in, logged_in.another_tab()]
    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(lambda i: tabs[i % 2].add_item("sku-007", 1), range(20)))
    assert [r.status_code for r in responses] == [200] * 20
    assert logged_in.get("/cart").json()["items"][0]["quantity"] == 20


def _a_stale_tab_loses_the_other_tabs_write(first_tab: ApiClient) -> None:
    """Both tabs hold the same cookie; each write returns a new cookie to its own tab only."""
    second_tab = first_tab.another_tab()
    assert first_tab.add_item("sku-007", 1).status_code == 200
    response = second_tab.add_item("sku-008", 1)  # still sends the cookie without sku-007
    assert response.status_code == 200
    assert [i["product_id"] for i in response.json()["items"]] == ["sku-008"]
    # ...and the first tab's cookie knows nothing of sku-008: the tabs now disagree, and
    # whichever cookie the browser keeps last is the cart.
    assert [i["product_id"] for i in first_tab.get("/cart").json()["items"]] == ["sku-007"]
