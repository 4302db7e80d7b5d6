"""What a store outage does: fail closed with 503, never a 500 or a hang, then recover.

Each test gets servers *and stores* of its own, because it kills the store. Redis and
memcached are killed with SIGKILL (a crash); PostgreSQL gets an immediate shutdown. The
private Redis fsyncs its append-only file before each reply, so the crash comes right after
the last acknowledged write, which must survive it; memcached keeps nothing, so the sessions
are gone after its restart, as declared.
django-sessions on SQLite (its default) has no server to kill; its outage is the database
file locked by another process (a backup, a migration, a stuck writer).
"""

from __future__ import annotations

import time

import requests

from authkit.clients import ApiClient
from authkit.launcher import Target
from tests.contract.test_public import assert_json_error
from tests.targets import Fleet, only_targets, parse_target_id, stoppable_store

#: Generous bound on how long a request may take while the store is down or frozen:
#: the variants use 0.5 s store timeouts, so this only catches a hung worker.
BOUND = 5


def _store(target: Target):
    """The server the variant's sessions depend on: Redis, memcached, or PostgreSQL."""
    stores = target.stores
    if target.variant.uses_redis:
        return stores.redis
    return stores.memcached if target.variant.uses_memcached else stores.postgres


def _assert_fsync_before_reply(target: Target) -> None:
    """The crash test's precondition: Redis fsyncs its append-only file before it replies.

    Under ``appendfsync everysec`` an acknowledged write may not be in the file yet (see
    :class:`authkit.services.PrivateRedis`), and the test below would then judge a setting,
    not the variant. PostgreSQL acknowledges a commit only once it is durable.
    """
    if target.variant.store != "redis":
        return
    import redis

    client = redis.Redis.from_url(_store(target).url)
    try:
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        assert client.config_get("appendfsync") == {"appendfsync": "always"}
    finally:
        client.close()


def _wait_healthy(target: Target) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if requests.get(target.url + "/health", timeout=BOUND).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError("the variant did not recover after the store came back")


def _assert_unavailable(response: requests.Response) -> None:
    assert_json_error(response, 503, "store_unavailable")
    assert response.headers.get("Retry-After")


def _check_outage(target: Target, client: ApiClient) -> None:
    _assert_unavailable(requests.get(target.url + "/health", timeout=BOUND))
    me = client.get("/me", timeout=BOUND)
    if target.declaration("me_while_store_down") == "ok":
        assert me.status_code == 200
    else:
        _assert_unavailable(me)
    if target.declaration("cart_in") == "credential":  # the cart travels in the cookie
        tab = client.another_tab()  # (a copy, so the cart checked after recovery is unchanged)
        assert tab.get("/cart", timeout=BOUND).status_code == 200
        assert tab.add_item("sku-001", 1).status_code == 200
    else:
        _assert_unavailable(client.get("/cart", timeout=BOUND))
        _assert_unavailable(client.add_item("sku-001", 1))
    login = target.client().post(
        "/login", json={"username": "bob", "password": "bob-pass-123"}, timeout=BOUND
    )
    _assert_unavailable(login)
    assert "Set-Cookie" not in login.headers, "no credential may be issued while down"
    assert "access_token" not in login.text
    # Public data needs no store.
    assert requests.get(target.url + "/products", timeout=BOUND).status_code == 200


@only_targets(stoppable_store)
def test_store_crash_then_recovery(target_id: str, fleet: Fleet) -> None:
    with fleet.dedicated(target_id) as target:
        client, revoked = target.client(), target.client()
        assert client.login("alice", "alice-pass-123").status_code == 200
        assert client.add_item("sku-002", 3).status_code == 200
        assert revoked.login("user0001", "pw-0001").status_code == 200
        revoked_credential = revoked.credential()
        assert revoked.logout().status_code == 204
        _assert_fsync_before_reply(target)

        _store(target).kill()
        try:
            _check_outage(target, client)
        finally:
            _store(target).start()
        _wait_healthy(target)

        if target.declaration("survives_store_restart"):
            assert client.get("/me").status_code == 200
            items = client.get("/cart").json()["items"]
            assert [(i["product_id"], i["quantity"]) for i in items] == [("sku-002", 3)]
        else:  # a store that keeps nothing (memcached): the session is gone, as declared
            assert_json_error(client.get("/me"), 401, "unauthenticated")
        if target.declaration("revocation") == "immediate":
            replay = revoked.replay(revoked_credential)
            assert replay.get("/me").status_code == 401, "a revocation must survive a restart"
        fresh = target.client()
        assert fresh.login("bob", "bob-pass-123").status_code == 200
        assert fresh.add_item("sku-003", 1).status_code == 200


@only_targets(stoppable_store)
def test_stalled_store_answers_503_without_hanging(target_id: str, fleet: Fleet) -> None:
    with fleet.dedicated(target_id) as target:
        client = target.client()
        assert client.login("alice", "alice-pass-123").status_code == 200
        _store(target).pause()
        try:
            started = time.monotonic()
            if target.declaration("cart_in") == "credential":  # needs no store: login does
                _assert_unavailable(target.client().login("bob", "bob-pass-123"))
                _assert_unavailable(requests.get(target.url + "/health", timeout=BOUND))
            else:
                _assert_unavailable(client.get("/cart", timeout=BOUND))
                _assert_unavailable(client.add_item("sku-001", 1))
            elapsed = time.monotonic() - started
        finally:
            _store(target).resume()
        print(f"{target_id}: two requests against a frozen store took {elapsed:.2f}s")
        _wait_healthy(target)
        assert client.get("/me").status_code == 200
        assert client.add_item("sku-001", 1).status_code == 200


@only_targets(stoppable_store)
def test_two_instances_share_one_store(target_id: str, fleet: Fleet) -> None:
    """Log in on one instance, use the credential on the other, log out on the first."""
    with (
        fleet.dedicated(target_id) as first,
        fleet.dedicated(target_id, stores=first.stores) as second,
    ):
        one = first.client()
        assert one.login("alice", "alice-pass-123").status_code == 200
        other = one.replay(one.credential())
        other.base_url = second.url
        assert other.get("/me").json() == {"username": "alice"}
        added = other.add_item("sku-004", 2)
        assert added.status_code == 200
        if first.declaration("cart_in") == "credential":
            # The cart is in the cookie the second instance just returned, not in a store
            # the first instance could read: only whoever holds that cookie sees it.
            assert added.json()["items"][0]["quantity"] == 2
            assert one.get("/cart").json()["items"] == []
        else:
            assert one.get("/cart").json()["items"][0]["quantity"] == 2
        credential = one.credential()
        assert one.logout().status_code == 204
        replay = one.replay(credential)
        replay.base_url = second.url
        if first.declaration("revocation") == "immediate":
            assert replay.get("/me").status_code == 401


def on_sqlite(target_id: str) -> bool:
    """Targets that write their sessions to an SQLite file: Django's ``db`` and
    ``cached_db`` engines (the cache, file and cookie engines write elsewhere)."""
    variant, database = parse_target_id(target_id)
    engine = variant.env.get("DJANGO_SESSION_ENGINE", "db")
    return variant.store == "database" and database == "sqlite" and engine in ("db", "cached_db")


#: The SQLite busy timeout of the server under test: a write waits this long for the lock.
SQLITE_TIMEOUT = 1


@only_targets(on_sqlite)
def test_sqlite_locked_by_another_process(target_id: str, fleet: Fleet) -> None:
    """Another process holds the database's write lock (a backup, a migration, a stuck
    writer): every write answers 503 once the busy timeout has passed, never a 500 or a
    hang; reads go on (WAL lets readers past a writer); nothing is lost; it recovers."""
    import sqlite3

    env = {"SQLITE_TIMEOUT_SECONDS": str(SQLITE_TIMEOUT)}
    with fleet.dedicated(target_id, env) as target:
        client = target.client()
        assert client.login("alice", "alice-pass-123").status_code == 200
        assert client.add_item("sku-002", 3).status_code == 200
        path = target.stores.sqlite_path()
        holder = sqlite3.connect(path, isolation_level=None, timeout=10)
        try:
            holder.execute("BEGIN IMMEDIATE")  # the write lock, as any other writer takes it
            _assert_unavailable(client.add_item("sku-001", 1))
            _assert_unavailable(client.delete("/cart/items/sku-002", timeout=BOUND))
            login = target.client().post(
                "/login", json={"username": "bob", "password": "bob-pass-123"}, timeout=BOUND
            )
            _assert_unavailable(login)
            assert "sessionid" not in login.headers.get("Set-Cookie", ""), "no session issued"
            # Reads need no write lock: the session and user still load.
            assert client.get("/me", timeout=BOUND).json() == {"username": "alice"}
            items = client.get("/cart", timeout=BOUND).json()["items"]
            assert [(i["product_id"], i["quantity"]) for i in items] == [("sku-002", 3)]
            assert requests.get(target.url + "/products", timeout=BOUND).status_code == 200
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        _wait_healthy(target)
        assert client.add_item("sku-001", 1).status_code == 200
        items = client.get("/cart").json()["items"]
        assert sorted((i["product_id"], i["quantity"]) for i in items) == [
            ("sku-001", 1),
            ("sku-002", 3),
        ]
        fresh = target.client()
        assert fresh.login("bob", "bob-pass-123").status_code == 200
        assert client.logout().status_code == 204
