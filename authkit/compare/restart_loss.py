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
from authkit.services import PrivateRedis
from authkit.variants import Variant
from shared.users import load_user

#: What a restart can take away, in report order.
ITEMS = ("sessions", "carts", "users", "revocations")
PERSISTENCE_ORDER = ("append-only", "none")  # "none" last: it empties Redis for good


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
    raise RuntimeError(f"{url} did not become healthy after the Redis restart")


def _restart_once(
    url: str, variant: Variant, redis: PrivateRedis, persistence: str, first_user: int
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

    redis.kill()
    redis.persistence = persistence
    redis.start()
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
        with Launcher().dedicated(variant, {"SEED_LOAD_USERS": "8"}, stores=stores) as target:
            for index, persistence in enumerate(PERSISTENCE_ORDER):
                results[persistence] = _restart_once(
                    target.url, variant, stores.redis, persistence, first_user=3 * index
                )
    finally:
        stores.close()
    return results


def restart_loss_rows(variants: list[Variant]) -> dict[str, dict[str, dict[str, Any]]]:
    """The observed row for every Redis-backed variant in ``variants`` (for the report)."""
    return {v.name: observe_restart_loss(v) for v in variants if v.uses_redis}


#: The report's table of observed restarts (:func:`report_rows`).
REPORT_COLUMNS = [
    "variant",
    "family",
    "Redis crash, append-only file: lost",
    "last acknowledged write kept",
    "Redis restart without persistence: lost",
]


def report_rows(targets: dict[str, TargetStatus]) -> list[list[str]]:
    """The observed restart rows (``authkit compare --restart-loss``), for the report."""
    rows = []
    for name, target in targets.items():
        observed = target.restart_loss
        if not observed:
            continue
        family = (target.declarations or {}).get("session_state", "-")
        append_only, none = observed.get("append-only", {}), observed.get("none", {})
        rows.append(
            [
                name,
                family,
                ", ".join(append_only.get("lost", [])) or "nothing",
                "yes" if append_only.get("last_write_kept") else "no",
                ", ".join(none.get("lost", [])) or "nothing",
            ]
        )
    return rows
