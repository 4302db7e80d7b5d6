"""Focused tests of ``django-memcached``: Django's cache engine on a private memcached.

The contract suite runs against it with its declarations (the outage answers, the
concurrent cart adds, the timeouts); what is specific to memcached is here: a read costs one
memcached ``get`` (half of ``store_calls_per_read``), and the cart's lock (``cart_lock``:
``add_lock``) is a key taken with memcached's atomic ``add``, next to the session. What a
restart of memcached loses is in ``test_store_persistence.py``.
"""

from __future__ import annotations

from pymemcache.client.base import Client

from authkit.clients import SessionClient
from authkit.compare.measure import memcached_commandstats
from authkit.launcher import Launcher, Target
from tests.contract.test_public import assert_json_error
from tests.targets import Fleet

TARGET = "django-memcached[sqlite]"
#: Django's cache key of a session (``KEY_PREFIX:VERSION:key``; no prefix on stores of
#: the target's own) and the engine's lock key next to it.
SESSION_KEY = ":1:django.contrib.sessions.cache{}"
LOCK_KEY = SESSION_KEY + ":lock"


def _login(target: Target) -> SessionClient:
    client: SessionClient = target.client()  # type: ignore[assignment]
    assert client.login("alice", "alice-pass-123").status_code == 200
    return client


def _memcached(target: Target) -> Client:
    assert target.stores is not None and target.stores.memcached is not None
    port = target.stores.memcached.port
    return Client(("127.0.0.1", port), connect_timeout=2, timeout=2, default_noreply=False)


def _session_id(client: SessionClient) -> str:
    (value,) = [v for k, v in client.http.cookies.get_dict().items() if k.endswith("sessionid")]
    return value


def test_a_read_costs_one_memcached_get(fleet: Fleet) -> None:
    """The memcached half of ``store_calls_per_read`` (the other is the user SELECT)."""
    with fleet.dedicated(TARGET) as target:
        client = _login(target)
        assert client.get("/me").status_code == 200
        url = target.stores.memcached_url
        before = memcached_commandstats(url)
        for _ in range(5):
            assert client.get("/me").status_code == 200
        after = memcached_commandstats(url)
        calls = {k: after[k] - before[k] for k in after if after[k] != before[k]}
        assert calls == {"get": 5}, calls


def test_the_cart_lock_is_a_memcached_add_next_to_the_session(fleet: Fleet) -> None:
    """Another holder of the lock key makes a cart write wait, then answer 503 (never write
    past the lock); once the key is gone the write goes through, once."""
    with fleet.dedicated(TARGET) as target:
        client = _login(target)
        session_id = _session_id(client)
        store = _memcached(target)
        try:
            # Precondition: the session lives under the key the lock is named after.
            assert store.get(SESSION_KEY.format(session_id)) is not None
            assert store.add(LOCK_KEY.format(session_id), b"held elsewhere", expire=60)
            assert_json_error(client.add_item("sku-005", 1), 503, "store_unavailable")
            assert client.get("/cart").json()["items"] == [], "nothing written past the lock"
            assert store.delete(LOCK_KEY.format(session_id))
            assert client.add_item("sku-005", 1).status_code == 200
            items = client.get("/cart").json()["items"]
            assert [(i["product_id"], i["quantity"]) for i in items] == [("sku-005", 1)]
            assert store.get(LOCK_KEY.format(session_id)) is None, "the lock was released"
        finally:
            store.close()


def test_targets_sharing_one_memcached_do_not_see_each_others_sessions() -> None:
    """memcached has no databases: each target the launcher starts on the shared memcached
    gets a key prefix of its own, as each gets a Redis database of its own."""
    with Launcher(env={"SEED_LOAD_USERS": "4"}) as launcher:
        first, second = launcher.target(TARGET), launcher.target(TARGET)
        assert first.stores is second.stores and first.stores.memcached is not None
        client = _login(first)
        assert client.get("/me").status_code == 200  # precondition: the session works
        elsewhere = client.replay(client.credential())
        elsewhere.base_url = second.url
        assert_json_error(elsewhere.get("/me"), 401, "unauthenticated")
