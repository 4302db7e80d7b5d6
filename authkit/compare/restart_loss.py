"""What a Redis restart loses, observed: with the append-only file, and without persistence.

The seed's warning about cache-backed sessions ("if your cache server restarts, all sessions
will be lost") as a measured row, for every variant that keeps something in Redis. One probe
per variant: a private Redis and server of its own; log in, fill a cart, revoke a second
login; make one more write and crash Redis (SIGKILL) right after it is acknowledged; start it
again, first with its append-only file, then without persistence; and look at what is left.

- **sessions**: the first login's credential still works;
- **carts**: its cart still holds both lines (read again after a fresh login if need be);
- **users**: a user can still log in (the Redis-only variants keep the users in Redis);
- **revocations**: the revoked credential is still refused (variants that revoke at once).

``last_write_kept`` says whether the write acknowledged just before the crash survived. A
process crash loses none with ``appendfsync everysec``: Redis writes the AOF before it
replies and the kernel keeps what was written; only an OS crash or power cut can lose the
last second (two when an fsync stalls), which cannot be observed without crashing the machine.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import requests

from authkit.server import Stores, serving
from authkit.services import PrivateRedis
from authkit.variants import Variant
from shared.users import load_user

#: What a restart can take away, in report order.
ITEMS = ("sessions", "carts", "users", "revocations")
PERSISTENCE_ORDER = ("append-only", "none")  # "none" last: it empties Redis for good
TIMEOUT = 10


@dataclass
class _Client:
    """Just enough of a client for either auth style, keeping the newest cookie it was sent."""

    url: str
    style: str
    cookie: str = ""
    csrf: str = ""
    token: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def headers(self, unsafe: bool) -> dict[str, str]:
        if self.style == "bearer":
            return {"Authorization": f"Bearer {self.token}"} if self.token else {}
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if unsafe and self.csrf:
            headers["X-CSRF-Token"] = self.csrf
        return headers

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        for _ in range(20):  # 503 means "not reachable yet" (a pooled connection the restart
            response = requests.request(  # broke), not "lost": ask again, bounded
                method, self.url + path, headers=self.headers(method != "GET"), timeout=TIMEOUT,
                **kwargs,
            )  # fmt: skip
            if response.status_code != 503:
                break
            time.sleep(0.1)
        for header in response.raw.headers.getlist("Set-Cookie") if response.raw else []:
            pair = header.split(";", 1)[0]
            if pair.split("=", 1)[1]:  # an emptied cookie is a deletion
                self.cookie = pair
        return response

    def login(self, username: str, password: str) -> bool:
        response = self.request("POST", "/login", json={"username": username, "password": password})
        if response.status_code != 200:
            return False
        body = response.json()
        self.csrf, self.token = body.get("csrf_token", ""), body.get("access_token", "")
        return True

    def add(self, product_id: str) -> None:
        response = self.request(
            "POST", "/cart/items", json={"product_id": product_id, "quantity": 1}
        )
        response.raise_for_status()

    def copy(self) -> _Client:
        return _Client(self.url, self.style, self.cookie, self.csrf, self.token)

    def cart_ids(self) -> list[str] | None:
        response = self.request("GET", "/cart")
        if response.status_code != 200:
            return None
        return [item["product_id"] for item in response.json()["items"]]


def _wait_healthy(url: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not become healthy after the Redis restart")


def _restart_once(
    url: str, variant: Variant, redis: PrivateRedis, persistence: str, first_user: int
) -> dict[str, Any]:
    owner_name, owner_password = load_user(first_user)
    owner = _Client(url, variant.style)
    assert owner.login(owner_name, owner_password), "login before the restart"
    owner.add("sku-001")
    revoked = _Client(url, variant.style)
    assert revoked.login(*load_user(first_user + 1))
    revoked_copy = revoked.copy()
    revoked.request("POST", "/logout").raise_for_status()
    owner.add("sku-002")  # the last acknowledged write before the crash

    redis.kill()
    redis.persistence = persistence
    redis.start()
    _wait_healthy(url)

    kept: dict[str, bool | None] = {}
    kept["sessions"] = owner.request("GET", "/me").status_code == 200
    fresh = _Client(url, variant.style)
    kept["users"] = fresh.login(*load_user(first_user + 2))
    cart = owner.cart_ids() if kept["sessions"] else None
    if cart is None:  # the session is gone: log in again to look for a per-user cart
        again = _Client(url, variant.style)
        cart = again.cart_ids() if again.login(owner_name, owner_password) else None
    kept["carts"] = cart is not None and {"sku-001", "sku-002"} <= set(cart)
    if variant.behaviour.revocation == "immediate":
        kept["revocations"] = revoked_copy.request("GET", "/me").status_code == 401
    else:
        kept["revocations"] = None  # nothing was revoked to begin with
    return {
        "persistence": persistence,
        "kept": kept,
        "lost": [item for item in ITEMS if kept.get(item) is False],
        "last_write_kept": bool(cart and "sku-002" in cart),
    }


def observe_restart_loss(variant: Variant) -> dict[str, dict[str, Any]]:
    """Crash and restart a private Redis under ``variant``, with and without persistence.

    Returns ``{"append-only": {...}, "none": {...}}``, each with ``kept`` (item -> bool, or
    None when not applicable), ``lost`` (the items lost) and ``last_write_kept``.
    """
    if not variant.uses_redis:
        raise ValueError(f"{variant.name} keeps nothing in Redis")
    stores = Stores()
    stores.redis = PrivateRedis(persistence="append-only").start()
    stores.redis_url = stores.redis.url
    results: dict[str, dict[str, Any]] = {}
    try:
        with serving(variant, stores, extra_env={"SEED_LOAD_USERS": "8"}) as server:
            for index, persistence in enumerate(PERSISTENCE_ORDER):
                results[persistence] = _restart_once(
                    server.url, variant, stores.redis, persistence, first_user=3 * index
                )
    finally:
        stores.close()
    return results


def restart_loss_rows(variants: list[Variant]) -> dict[str, dict[str, dict[str, Any]]]:
    """The observed row for every Redis-backed variant in ``variants`` (for the report)."""
    return {v.name: observe_restart_loss(v) for v in variants if v.uses_redis}
