"""``shared/openapi.yaml`` is the contract: it must be valid and every variant must match it.

Each response the suite provokes here is checked against the schema the spec documents for
its path, method and status, so the spec cannot drift from what the servers do.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import requests
import yaml
from openapi_spec_validator import validate

from authkit.clients import ApiClient
from authkit.launcher import Target

SPEC_PATH = Path(__file__).resolve().parents[2] / "shared" / "openapi.yaml"


@cache
def spec() -> dict[str, Any]:
    return yaml.safe_load(SPEC_PATH.read_text())


def _resolve(node: Any) -> Any:
    """Inline every local ``$ref`` (the spec is small and has no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = spec()
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return _resolve(target)
        return {key: _resolve(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(item) for item in node]
    return node


def assert_documented(response: requests.Response, path: str, method: str) -> None:
    """The response's status is documented for this operation and its body fits the schema."""
    operation = spec()["paths"][path][method.lower()]
    status = str(response.status_code)
    assert status in operation["responses"], f"{method} {path} -> {status} is not documented"
    documented = _resolve(operation["responses"][status])
    content = documented.get("content")
    if content is None:
        assert response.content == b"", f"{method} {path} -> {status} should have no body"
        return
    assert response.headers["Content-Type"].startswith("application/json")
    jsonschema.validate(response.json(), content["application/json"]["schema"])


def test_the_spec_is_valid_openapi_3_1() -> None:
    validate(spec())
    assert spec()["openapi"].startswith("3.1")


def test_responses_match_the_spec(target: Target, client: ApiClient) -> None:
    assert_documented(
        requests.get(target.url + "/health", timeout=5, verify=target.verify), "/health", "GET"
    )
    assert_documented(client.get("/products"), "/products", "GET")
    assert_documented(client.get("/me"), "/me", "GET")
    assert_documented(client.get("/cart"), "/cart", "GET")
    assert_documented(client.login("alice", "wrong-password"), "/login", "POST")
    assert_documented(client.post("/login", json={"username": ""}), "/login", "POST")
    assert_documented(
        client.post("/login", data="{", headers={"Content-Type": "application/json"}),
        "/login",
        "POST",
    )
    assert_documented(
        client.post("/login", data="x", headers={"Content-Type": "text/plain"}), "/login", "POST"
    )
    assert_documented(client.login("alice", "alice-pass-123"), "/login", "POST")
    assert_documented(client.get("/me"), "/me", "GET")
    assert_documented(client.add_item("sku-001", 2), "/cart/items", "POST")
    assert_documented(client.add_item("sku-001", 0), "/cart/items", "POST")
    assert_documented(client.add_item("sku-404", 1), "/cart/items", "POST")
    assert_documented(client.get("/cart"), "/cart", "GET")
    assert_documented(client.delete("/cart/items/sku-001"), "/cart/items/{product_id}", "DELETE")
    assert_documented(client.delete("/cart/items/sku-001"), "/cart/items/{product_id}", "DELETE")
    if target.style == "session":
        assert_documented(client.get("/csrf"), "/csrf", "GET")
    else:
        assert_documented(client.get("/csrf"), "/csrf", "GET")  # 404: no CSRF token to get
        assert_documented(client.refresh(), "/token/refresh", "POST")  # type: ignore[attr-defined]
    assert_documented(client.logout(), "/logout", "POST")
    assert_documented(client.logout_all(), "/logout-all", "POST")


def test_every_documented_operation_is_served(target: Target) -> None:
    not_for_style = {"session": {"/token/refresh"}, "bearer": {"/csrf"}}[target.style]
    for path, operations in spec()["paths"].items():
        if path in not_for_style:
            continue
        concrete = path.replace("{product_id}", "sku-001")
        for method in operations:
            response = requests.request(
                method.upper(), target.url + concrete, timeout=10, verify=target.verify
            )
            assert response.status_code not in (404, 405) or path.endswith("{product_id}"), (
                f"{method.upper()} {path} is documented but not served"
            )
            assert response.status_code < 500
