"""Redis outages and restarts, for both JWT modes: what each declares, over real HTTP.

The module owns its Redis, so stopping it disturbs no other test.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from authkit.launcher import Launcher, Target
from authkit.server import Stores
from authkit.variants import get_variant

pytestmark = pytest.mark.fault

SECRET = "fault-secret-" + "f" * 40
ENV = {"SEED_LOAD_USERS": "5", "SECRET_KEY": SECRET, "STORE_TIMEOUT_SECONDS": "0.5"}
TIMEOUT = 10


@pytest.fixture(scope="module")
def stores() -> Iterator[Stores]:
    with Launcher.private_stores(redis=True) as started:
        yield started


@pytest.fixture(scope="module")
def servers(stores: Stores) -> Iterator[dict[str, Target]]:
    launcher = Launcher(env=ENV)
    with (
        launcher.dedicated("jwt-stateless", stores=stores) as stateless,
        launcher.dedicated("jwt-denylist", stores=stores) as denylist,
    ):
        yield {"jwt-stateless": stateless, "jwt-denylist": denylist}


def login(url: str, username: str) -> dict[str, Any]:
    password = {"alice": "alice-pass-123", "bob": "bob-pass-123"}[username]
    response = requests.post(
        url + "/login", json={"username": username, "password": password}, timeout=TIMEOUT
    )
    assert response.status_code == 200, response.text
    return response.json()


def get(url: str, path: str, token: str) -> requests.Response:
    return requests.get(url + path, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)


def assert_store_unavailable(response: requests.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "store_unavailable"
    assert response.headers["Retry-After"] == "1"


def wait_until_healthy(url: str, bound_seconds: float = 20) -> None:
    """Poll /health until it answers 200 (bounded; a loaded CI machine may be slow)."""
    deadline = time.monotonic() + bound_seconds
    while time.monotonic() < deadline:
        if requests.get(url + "/health", timeout=TIMEOUT).status_code == 200:
            return
        time.sleep(0.05)
    raise AssertionError(f"{url} did not recover after Redis came back")


def test_redis_down_then_back(stores: Stores, servers: dict[str, Target]) -> None:
    stateless, denylist = servers["jwt-stateless"].url, servers["jwt-denylist"].url
    s_pair, d_pair = login(stateless, "alice"), login(denylist, "alice")
    assert stores.redis is not None
    stores.redis.stop()
    try:
        # Declared me_while_store_down: stateless "ok", denylist "store_unavailable".
        assert get_variant("jwt-stateless").behaviour.me_while_store_down == "ok"
        assert get(stateless, "/me", s_pair["access_token"]).json() == {"username": "alice"}
        assert_store_unavailable(get(denylist, "/me", d_pair["access_token"]))  # fails closed
        for url, pair in ((stateless, s_pair), (denylist, d_pair)):
            assert_store_unavailable(get(url, "/cart", pair["access_token"]))
            assert_store_unavailable(requests.get(url + "/health", timeout=TIMEOUT))
            assert_store_unavailable(
                requests.post(
                    url + "/login",
                    json={"username": "bob", "password": "bob-pass-123"},
                    timeout=TIMEOUT,
                )
            )
        # A stateless refresh needs no store; the denylist must record the use first.
        s_refresh = requests.post(
            stateless + "/token/refresh",
            json={"refresh_token": s_pair["refresh_token"]},
            timeout=TIMEOUT,
        )
        assert s_refresh.status_code == 200
        assert_store_unavailable(
            requests.post(
                denylist + "/token/refresh",
                json={"refresh_token": d_pair["refresh_token"]},
                timeout=TIMEOUT,
            )
        )
        # An invalid token is still a 401: authentication is checked before the store.
        assert get(denylist, "/me", "garbage").status_code == 401
    finally:
        stores.redis.start()
    for url, pair in ((stateless, s_pair), (denylist, d_pair)):
        wait_until_healthy(url)
        assert get(url, "/me", pair["access_token"]).status_code == 200
        assert get(url, "/cart", pair["access_token"]).status_code == 200


def test_denylist_revocations_survive_a_redis_restart(
    stores: Stores, servers: dict[str, Target]
) -> None:
    url = servers["jwt-denylist"].url
    logged_out = login(url, "bob")
    other_device = login(url, "alice")
    this_device = login(url, "alice")
    bearer = {"Authorization": f"Bearer {logged_out['access_token']}"}
    assert requests.post(url + "/logout", headers=bearer, timeout=TIMEOUT).status_code == 204
    this_bearer = {"Authorization": f"Bearer {this_device['access_token']}"}
    assert (
        requests.post(url + "/logout-all", headers=this_bearer, timeout=TIMEOUT).status_code == 204
    )
    assert stores.redis is not None
    # A clean restart (SIGTERM); the SIGKILL case is tests/contract/test_faults.py's.
    stores.redis.restart()
    wait_until_healthy(url)
    assert get(url, "/me", logged_out["access_token"]).status_code == 401
    refreshed = requests.post(
        url + "/token/refresh", json={"refresh_token": logged_out["refresh_token"]}, timeout=10
    )
    assert refreshed.status_code == 401
    assert get(url, "/me", other_device["access_token"]).status_code == 401
    assert get(url, "/me", login(url, "alice")["access_token"]).status_code == 200


def test_a_hung_redis_answers_503_instead_of_hanging(
    stores: Stores, servers: dict[str, Target]
) -> None:
    import os
    import signal

    url = servers["jwt-denylist"].url
    pair = login(url, "alice")
    assert stores.redis is not None and stores.redis.proc is not None
    pid = stores.redis.proc.pid
    os.kill(pid, signal.SIGSTOP)  # Redis accepts connections (kernel backlog) but never answers
    try:
        # The client's socket timeout (STORE_TIMEOUT_SECONDS=0.5) turns the hang into a 503;
        # without it this request would run into the test's own 10 s timeout and fail.
        assert_store_unavailable(get(url, "/me", pair["access_token"]))
        assert_store_unavailable(requests.get(url + "/health", timeout=TIMEOUT))
    finally:
        os.kill(pid, signal.SIGCONT)
    wait_until_healthy(url)
    assert get(url, "/me", pair["access_token"]).status_code == 200
