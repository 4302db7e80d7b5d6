"""Focused tests of flask-cookie: no store per read, the cookie's size, and its 4 KB guard.

The revocation half (a copy of the cookie outlives logout and logout-all) is asserted by
the contract suite from the declarations; what is specific to a cookie that *is* the
session is here.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis

from authkit.clients import SessionClient
from authkit.compare.probes import credential_sizes
from authkit.launcher import Target
from tests.contract.test_public import assert_json_error
from tests.targets import Fleet
from tests.test_flask_sessions import commands_during


@pytest.fixture(scope="module")
def cookie_target(fleet: Fleet) -> Iterator[Target]:
    with fleet.dedicated("flask-cookie") as target:
        yield target


def _login(target: Target) -> SessionClient:
    client: SessionClient = target.client()  # type: ignore[assignment]
    assert client.login("alice", "alice-pass-123").status_code == 200
    return client


def test_reads_and_cart_writes_cost_no_store_call(cookie_target: Target) -> None:
    store = redis.Redis.from_url(cookie_target.stores.redis_url)
    client = _login(cookie_target)

    def journey() -> None:
        for _ in range(5):
            assert client.get("/me").status_code == 200
            assert client.add_item("sku-001", 1).status_code == 200
            assert client.get("/cart").status_code == 200
        assert client.logout().status_code == 204

    assert commands_during(store, journey) == {}
    assert cookie_target.declaration("store_calls_per_read") == 0
    # Logging in is what needs the store: one HGET for the user's hash, and the login
    # throttle's three windows read (shared/throttle.py; only failures write).
    assert commands_during(store, lambda: _login(cookie_target)) == {"hget": 1, "get": 3}


def test_cookie_size_grows_with_the_cart(cookie_target: Target) -> None:
    sizes = credential_sizes(cookie_target.url, "session", "user0100", "pw-0100")
    print(f"flask-cookie Cookie header bytes by cart lines: {sizes}")
    assert sizes["0"] < sizes["1"] < sizes["10"] < sizes["24"]
    # The contract's largest cart (every product) still fits in 4 KB, compressed JSON.
    assert sizes["24"] < 4096


def test_a_cart_that_would_pass_the_cookie_limit_is_refused_and_kept(fleet: Fleet) -> None:
    """Lower the limit (the contract's carts never reach 4 KB) and push past it."""
    with fleet.dedicated("flask-cookie", {"COOKIE_MAX_BYTES": "270"}) as target:
        client = _login(target)
        added, response = 0, None
        for number in range(1, 25):
            response = client.add_item(f"sku-{number:03d}", 99)
            if response.status_code != 200:
                break
            added = number
        assert response is not None and 0 < added < 24, added
        body = assert_json_error(response, 422, "cookie_too_large")
        assert "270" in body["error"]["message"]
        # The old session is re-signed (the idle timeout slides), never a cookie over the limit.
        assert len(response.headers.get("Set-Cookie", "")) <= 270
        cart = client.get("/cart").json()["items"]
        assert [i["product_id"] for i in cart] == [f"sku-{n:03d}" for n in range(1, added + 1)]
        assert client.get("/me").status_code == 200, "still logged in"
        assert client.delete("/cart/items/sku-001").status_code == 200, "shrinking is allowed"


def test_a_copy_taken_before_logout_works_until_the_absolute_timeout(fleet: Fleet) -> None:
    with fleet.dedicated("flask-cookie", {"SESSION_ABSOLUTE_SECONDS": "3"}) as target:
        client = _login(target)
        assert client.add_item("sku-005", 2).status_code == 200
        copy = client.credential()
        assert client.logout().status_code == 204
        replayed = client.replay(copy)
        assert replayed.get("/me").status_code == 200
        assert replayed.get("/cart").json()["items"][0]["quantity"] == 2, "the cart too"
        for _ in range(40):  # bounded poll, no timing assertion: it must end, then stay dead
            if replayed.get("/me").status_code == 401:
                break
            time.sleep(0.25)
        assert_json_error(replayed.get("/me"), 401, "unauthenticated")


def test_short_secret_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.settings import SettingsError

    monkeypatch.setenv("SECRET_KEY", "short")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    from flask_cookie import create_app

    with pytest.raises(SettingsError):
        create_app()
