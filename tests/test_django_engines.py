"""Focused tests of Django's other session engines (same views, ``DJANGO_SESSION_ENGINE``).

The contract suite runs against each engine with its declarations; what is specific to one
engine is here: file sessions are not shared by instances that do not share the directory,
and a signed cookie grows with the cart and is refused past what browsers keep. What a
Redis restart does to ``cache`` and ``cached_db`` is in ``test_store_persistence.py``.
"""

from __future__ import annotations

import tempfile

import redis

from authkit.clients import SessionClient
from authkit.compare.probes import credential_sizes
from authkit.launcher import Target
from authkit.server import Stores
from tests.contract.test_public import assert_json_error
from tests.targets import Fleet
from tests.test_flask_sessions import commands_during


def _login(target: Target) -> SessionClient:
    client: SessionClient = target.client()  # type: ignore[assignment]
    assert client.login("alice", "alice-pass-123").status_code == 200
    return client


def _read_on(client: SessionClient, other: Target) -> int:
    elsewhere = client.replay(client.credential())
    elsewhere.base_url = other.url
    return elsewhere.get("/me").status_code


def test_file_sessions_are_shared_only_through_the_directory(fleet: Fleet) -> None:
    with (
        Stores() as stores,  # one database (the users) for all three instances
        tempfile.TemporaryDirectory() as one_dir,
        tempfile.TemporaryDirectory() as other_dir,
        fleet.dedicated("django-file", {"SESSION_FILE_PATH": one_dir}, stores=stores) as first,
        fleet.dedicated("django-file", {"SESSION_FILE_PATH": one_dir}, stores=stores) as same_dir,
        fleet.dedicated("django-file", {"SESSION_FILE_PATH": other_dir}, stores=stores) as other,
    ):
        client = _login(first)
        assert _read_on(client, same_dir) == 200
        assert _read_on(client, other) == 401, "another directory knows no such session"


def test_signed_cookie_grows_with_the_cart(fleet: Fleet) -> None:
    target = fleet.get("django-signed-cookies[sqlite]")
    sizes = credential_sizes(target.url, "session", "user0101", "pw-0101")
    print(f"django-signed-cookies Cookie header bytes by cart lines: {sizes}")
    assert sizes["0"] < sizes["1"] < sizes["10"] < sizes["24"] < 4096


def test_a_signed_cookie_past_the_limit_is_refused_and_the_cart_kept(fleet: Fleet) -> None:
    with fleet.dedicated("django-signed-cookies[sqlite]", {"COOKIE_MAX_BYTES": "400"}) as target:
        client = _login(target)
        added, response = 0, None
        for number in range(1, 25):
            response = client.add_item(f"sku-{number:03d}", 99)
            if response.status_code != 200:
                break
            added = number
        assert response is not None and 0 < added < 24, added
        assert_json_error(response, 422, "cookie_too_large")
        cart = client.get("/cart").json()["items"]
        assert [i["product_id"] for i in cart] == [f"sku-{n:03d}" for n in range(1, added + 1)]
        assert client.get("/me").status_code == 200, "still logged in"


def test_a_read_costs_one_redis_get_with_the_cache_engines(fleet: Fleet) -> None:
    """The Redis half of ``store_calls_per_read`` (the other is the user SELECT)."""
    for target_id in ("django-cache[sqlite]", "django-cached-db[sqlite]"):
        with fleet.dedicated(target_id) as target:
            store = redis.Redis.from_url(target.stores.redis_url)
            client = _login(target)
            assert client.get("/me").status_code == 200  # warm (cached_db: fills the cache)
            calls = commands_during(store, lambda c=client: [c.get("/me") for _ in range(5)])
            assert calls == {"get": 5}, (target_id, calls)
