"""What a cache restart loses, observed: Redis with the append-only file and without
persistence, and memcached, which has no persistence at all.

The seed's warning about cache-backed sessions ("if your cache server restarts, all sessions
will be lost") as a measured row, for every variant that keeps something in Redis or
memcached. One probe per variant: a private store and server of its own; log in, fill a
cart, revoke a second login; make one more write and crash the store (SIGKILL) right after it
is acknowledged; start it again (Redis first with its append-only file, then without
persistence; memcached once, as it always starts: empty) and look at what is left.

- **sessions**: the first login's credential still works;
- **carts**: its cart still holds both lines (read again after a fresh login if need be);
- **users**: a user can still log in (the Redis-only variants keep the users in Redis);
- **revocations**: the revoked credential is still refused (variants that revoke at once).

``last_write_kept`` says whether the write acknowledged just before the crash survived. With
the kit's ``appendfsync always`` Redis writes and fsyncs the AOF before it replies, so neither
a process crash nor an OS crash loses one (why not ``everysec``: see
:class:`authkit.services.PrivateRedis`).

:func:`report_rows` turns the observations recorded in ``results.json`` into the report's
table, so what is observed and how it is shown are read in one place.
"""

from __future__ import annotations

import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from authkit.clients import ApiClient, client_for
from authkit.compare.results import TargetStatus
from authkit.launcher import Launcher
from authkit.server import Stores
from authkit.services import PrivateMemcached, PrivateRedis, PrivateServer
from authkit.variants import Variant
from shared.users import load_user

#: What a restart can take away, in report order.
ITEMS = ("sessions", "carts", "users", "revocations")
PERSISTENCE_ORDER = ("append-only", "none")  # "none" last: it empties Redis for good
#: memcached has one way to restart: empty (recorded as persistence "none").
MEMCACHED_ORDER = ("none",)


#: 503 means "not reachable yet" (a pooled connection the restart broke), not "lost": ask
#: again, a bounded number of times (urllib3's retry, on every method).
PATIENT = Retry(
    total=12,
    status_forcelist=(503,),
    allowed_methods=None,
    backoff_factor=0.05,
    backoff_max=1.0,
    respect_retry_after_header=False,
    raise_on_status=False,
)


def _patient(client: ApiClient) -> ApiClient:
    adapter = HTTPAdapter(max_retries=PATIENT)
    client.http.mount("http://", adapter)
    client.http.mount("https://", adapter)
    return client


def _client(url: str, variant: Variant) -> ApiClient:
    return _patient(client_for(variant.style, url))


def _logged_in(client: ApiClient, username: str, password: str) -> bool:
    return client.login(username, password).status_code == 200


def _add(client: ApiClient, product_id: str) -> None:
    client.add_item(product_id).raise_for_status()


def _cart_ids(client: ApiClient) -> list[str] | None:
    response = client.get("/cart")
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
    raise RuntimeError(f"{url} did not become healthy after the store restart")


def _restart_once(
    url: str, variant: Variant, store: PrivateServer, persistence: str, first_user: int
) -> dict[str, Any]:
    owner_name, owner_password = load_user(first_user)
    owner = _client(url, variant)
    assert _logged_in(owner, owner_name, owner_password), "login before the restart"
    _add(owner, "sku-001")
    revoked = _client(url, variant)
    assert _logged_in(revoked, *load_user(first_user + 1))
    revoked_copy = _patient(revoked.another_tab())
    revoked.logout().raise_for_status()
    _add(owner, "sku-002")  # the last acknowledged write before the crash

    store.kill()
    if isinstance(store, PrivateRedis):
        store.persistence = persistence
    store.start()
    _wait_healthy(url)

    kept: dict[str, bool | None] = {}
    kept["sessions"] = owner.get("/me").status_code == 200
    kept["users"] = _logged_in(_client(url, variant), *load_user(first_user + 2))
    cart = _cart_ids(owner) if kept["sessions"] else None
    if cart is None:  # the session is gone: log in again to look for a per-user cart
        again = _client(url, variant)
        cart = _cart_ids(again) if _logged_in(again, owner_name, owner_password) else None
    kept["carts"] = cart is not None and {"sku-001", "sku-002"} <= set(cart)
    if variant.behaviour.revocation == "immediate":
        kept["revocations"] = revoked_copy.get("/me").status_code == 401
    else:
        kept["revocations"] = None  # nothing was revoked to begin with
    return {
        "persistence": persistence,
        "kept": kept,
        "lost": [item for item in ITEMS if kept.get(item) is False],
        "last_write_kept": bool(cart and "sku-002" in cart),
    }


def observes(variant: Variant) -> bool:
    """Whether the probe has a cache to restart under ``variant`` (Redis or memcached)."""
    return variant.uses_redis or variant.uses_memcached


def observe_restart_loss(variant: Variant) -> dict[str, dict[str, Any]]:
    """Crash and restart a private Redis (with and without persistence) or memcached under
    ``variant``.

    Returns ``{"append-only": {...}, "none": {...}}`` for Redis, ``{"none": {...}}`` for
    memcached, each with ``kept`` (item -> bool, or None when not applicable), ``lost`` (the
    items lost) and ``last_write_kept``.
    """
    stores = Stores()
    store: PrivateServer
    if variant.uses_redis:
        store = stores.redis = PrivateRedis(persistence="append-only").start()
        stores.redis_url, order = store.url, PERSISTENCE_ORDER
    elif variant.uses_memcached:
        store = stores.memcached = PrivateMemcached().start()
        stores.memcached_url, order = store.url, MEMCACHED_ORDER
    else:
        raise ValueError(f"{variant.name} keeps nothing in Redis or memcached")
    results: dict[str, dict[str, Any]] = {}
    try:
        with Launcher().dedicated(variant, {"SEED_LOAD_USERS": "8"}, stores=stores) as target:
            for index, persistence in enumerate(order):
                results[persistence] = _restart_once(
                    target.url, variant, store, persistence, first_user=3 * index
                )
    finally:
        stores.close()
    return results


def restart_loss_rows(variants: list[Variant]) -> dict[str, dict[str, dict[str, Any]]]:
    """The observed row for every cache-backed variant in ``variants`` (for the report)."""
    return {v.name: observe_restart_loss(v) for v in variants if observes(v)}


#: The report's table of observed restarts (:func:`report_rows`).
REPORT_COLUMNS = [
    "variant",
    "family",
    "Redis crash, append-only file: lost",
    "last acknowledged write kept",
    "restart without persistence (Redis; memcached has none): lost",
]


def report_rows(targets: dict[str, TargetStatus]) -> list[list[str]]:
    """The observed restart rows (``authkit compare --restart-loss``), for the report."""
    rows = []
    for name, target in targets.items():
        observed = target.restart_loss
        if not observed:
            continue
        family = (target.declarations or {}).get("session_state", "-")
        append_only, none = observed.get("append-only"), observed.get("none", {})
        if append_only is None:  # memcached: no persistence to crash with
            crash, last_write = "- (no persistence)", "-"
        else:
            crash = ", ".join(append_only.get("lost", [])) or "nothing"
            last_write = "yes" if append_only.get("last_write_kept") else "no"
        rows.append([name, family, crash, last_write, ", ".join(none.get("lost", [])) or "nothing"])
    return rows
