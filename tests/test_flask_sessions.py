"""Focused tests of flask-sessions: what each request costs in Redis, and what is stored.

The Redis command counts are the numbers the comparison report explains, so they are
asserted exactly here, measured from Redis's own ``INFO commandstats`` over real HTTP.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import redis

from authkit.clients import SessionClient
from authkit.launcher import Target
from authkit.server import Stores
from tests.targets import Fleet


@pytest.fixture(scope="module")
def flask_target(fleet: Fleet) -> Iterator[Target]:
    with fleet.dedicated("flask-sessions") as target:
        yield target


@pytest.fixture
def store(flask_target: Target) -> redis.Redis:
    stores: Stores = flask_target.stores
    return redis.Redis.from_url(stores.redis_url)


def command_counts(store: redis.Redis) -> dict[str, int]:
    return {
        name.removeprefix("cmdstat_"): stats["calls"]
        for name, stats in store.info("commandstats").items()
    }


#: Commands redis-py sends when it opens a connection (``CLIENT SETINFO``, ``HELLO``).
CONNECTION_SETUP = {"hello", "client|setinfo", "select", "auth"}


def commands_during(store: redis.Redis, action) -> dict[str, int]:
    before = command_counts(store)
    action()
    after = command_counts(store)
    delta = {name: after[name] - before.get(name, 0) for name in after}
    # INFO itself is counted once between the two snapshots.
    delta["info"] -= 1
    # A gunicorn worker's first connection says hello; that is the connection, not the request.
    return {name: calls for name, calls in delta.items() if calls and name not in CONNECTION_SETUP}


def _login(target: Target) -> SessionClient:
    client: SessionClient = target.client()  # type: ignore[assignment]
    assert client.login("alice", "alice-pass-123").status_code == 200
    return client


def test_an_authenticated_read_costs_one_getex(flask_target: Target, store: redis.Redis) -> None:
    """GETEX reads the session and slides its idle expiry in one round trip; no write back."""
    client = _login(flask_target)
    calls = commands_during(store, lambda: [client.get("/me") for _ in range(10)])
    assert calls == {"getex": 10}
    assert flask_target.declaration("store_calls_per_read") == 1


def test_a_cart_add_is_one_optimistic_transaction(flask_target: Target, store: redis.Redis) -> None:
    """GETEX (load) + WATCH, GET, MULTI, SET KEEPTTL, EXEC (the race-free update)."""
    client = _login(flask_target)
    calls = commands_during(store, lambda: client.add_item("sku-001", 1))
    assert calls == {"getex": 1, "watch": 1, "get": 1, "multi": 1, "set": 1, "exec": 1}


def test_login_stores_a_session_and_indexes_it_by_user(
    flask_target: Target, store: redis.Redis
) -> None:
    client = _login(flask_target)
    name, sid = client.session_cookie()
    assert name == "session"
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", sid), "32 random bytes, base64url: 256 bits"
    ttl = store.ttl(f"session:{sid}")
    assert 0 < ttl <= 1800
    assert sid.encode() in store.smembers("user-sessions:alice")
    raw = store.get(f"session:{sid}")
    assert b"alice" in raw and b"created_at" in raw
    client.logout()
    assert not store.exists(f"session:{sid}")
    assert sid.encode() not in store.smembers("user-sessions:alice")


def test_anonymous_requests_cost_nothing(flask_target: Target, store: redis.Redis) -> None:
    """No cookie, no Redis: public pages and refused requests never touch the store."""
    client = flask_target.client()
    calls = commands_during(store, lambda: [client.get("/products"), client.get("/me")])
    assert calls == {}


def test_short_secret_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from flask_sessions import create_app
    from shared.settings import SettingsError

    monkeypatch.setenv("SECRET_KEY", "too-short")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    with pytest.raises(SettingsError, match="at least 32"):
        create_app()
