"""Small sequential measurements, one request at a time, outside the load runs.

- storage calls per endpoint: a store reading before and after each single request, so the
  count is exact and belongs to that endpoint alone (Redis ``INFO commandstats``, memcached
  ``stats``; SQL from
  the ``X-Authkit-Sql`` header of :mod:`loadtests.sqlcount`);
- credential bytes: what login issues (Set-Cookie vs token JSON) and what each request
  carries (Cookie vs Authorization), and what it carries as the cart grows (a cookie that
  holds the cart grows with it);
- revocation windows: log out (or log out everywhere), then replay the old credential every
  100 ms until it is refused or its lifetime plus a margin has passed.

These are plain ``requests`` loops rather than Locust: each is one client timing one
credential, where exact timestamps matter and Locust's aggregate statistics would only get
in the way.
"""

from __future__ import annotations

import functools
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from authkit.clients import ApiClient, client_for
from authkit.compare.measure import memcached_commandstats, redis_commandstats
from shared.users import load_user

SQL_HEADER = "X-Authkit-Sql"
REPLAY_INTERVAL_SECONDS = 0.1
#: Cart sizes the credential-size probe measures (the catalogue has 24 products).
CART_LINES = (0, 1, 10, 24)


def parse_sql_header(value: str | None) -> dict[str, int] | None:
    """``select=2,update=1`` -> counts; ``none`` -> ``{}``; no header -> ``None``."""
    if value is None:
        return None
    if value == "none":
        return {}
    return {k: int(v) for k, v in (part.split("=") for part in value.split(","))}


def login(url: str, style: str, username: str, password: str) -> ApiClient:
    """A client of ``style`` logged in as ``username`` (raises on anything but 200)."""
    client = client_for(style, url)
    client.login(username, password).raise_for_status()
    return client


def header_bytes(headers: dict[str, str]) -> int:
    """Bytes the header lines take on the wire (``Name: value\r\n`` each)."""
    return sum(len(f"{name}: {value}\r\n") for name, value in headers.items())


def credential_bytes(client: ApiClient) -> dict[str, Any]:
    """Bytes of credential on the wire: issued at login, and sent with each request."""
    response = client.login_response
    assert response is not None, "log the client in first"
    issued = client.issued_at_login()
    issued["login_body_bytes"] = len(response.content)
    issued["credential_bytes"] = sum(v for k, v in issued.items() if k != "login_body_bytes")
    return {
        "issued_at_login": issued,
        "sent_per_read": header_bytes(client.credential_headers("GET")),
        "sent_per_write": header_bytes(client.credential_headers("POST")),
    }


def credential_sizes(
    url: str,
    style: str,
    username: str,
    password: str,
    lines: Sequence[int] = CART_LINES,
) -> dict[str, int | str]:
    """Credential bytes sent per request after filling the cart to each of ``lines`` lines.

    A value is a string (the error code) when the API refused to grow the cart, as a cookie
    that would pass 4 KB is refused with ``cookie_too_large``.
    """
    client = client_for(style, url)
    client.login(username, password).raise_for_status()
    sizes: dict[str, int | str] = {}
    filled = 0
    for target in sorted(lines):
        error = ""
        while filled < target and not error:
            filled += 1
            added = client.add_item(f"sku-{filled:03d}")
            if added.status_code != 200:
                error = added.json()["error"]["code"]
        client.get("/me").raise_for_status()
        # String keys: the document goes through JSON, whose keys are strings.
        sizes[str(target)] = error or header_bytes(client.credential_headers("GET"))
    client.logout()
    return sizes


@dataclass
class StoreReader:
    """Reads the stores' own counters around one request: Redis ``INFO commandstats``,
    memcached ``stats`` (its commands named like Redis's)."""

    redis_url: str | None
    memcached_url: str | None = None

    def read(self) -> dict[str, dict[str, int]]:
        readings = {}
        if self.redis_url:
            readings["redis"] = redis_commandstats(self.redis_url)
        if self.memcached_url:
            readings["memcached"] = memcached_commandstats(self.memcached_url)
        return readings


def _count_one(
    reader: StoreReader, send: Callable[[], requests.Response]
) -> tuple[requests.Response, dict[str, dict[str, int]], dict[str, int] | None]:
    """The response, the store calls it caused by store (``{"redis": {"get": 1}}``), and
    the SQL statements its header reports."""
    before = reader.read()
    response = send()
    after = reader.read()
    calls = {}
    for store, counters in after.items():
        earlier = before.get(store, {})
        calls[store] = {
            k: v - earlier.get(k, 0) for k, v in counters.items() if v != earlier.get(k, 0)
        }
    return response, calls, parse_sql_header(response.headers.get(SQL_HEADER))


#: The requests the probe times, in journey order: (label, method, path, body, unsafe).
PROBED_REQUESTS: list[tuple[str, str, str, dict[str, Any] | None, bool]] = [
    ("GET /products", "GET", "/products", None, False),
    ("GET /me", "GET", "/me", None, False),
    ("POST /cart/items", "POST", "/cart/items", {"product_id": "sku-003", "quantity": 1}, True),
    ("GET /cart", "GET", "/cart", None, False),
    ("DELETE /cart/items/{id}", "DELETE", "/cart/items/sku-003", None, True),
    ("POST /logout", "POST", "/logout", None, True),
]


def storage_calls_per_endpoint(
    url: str,
    style: str,
    redis_url: str | None,
    account: int,
    repeats: int = 5,
    memcached_url: str | None = None,
) -> dict[str, dict[str, Any]]:
    """Average storage calls of each endpoint, one request at a time.

    Returns ``{"GET /me": {"redis": {"getex": 1.0}, "sql": {"select": 2.0}, "total": 3.0,
    "status": 200}, ...}``. ``sql`` is absent when the server was not run through the SQL
    counter, ``memcached`` when no ``memcached_url`` is given.
    """
    reader = StoreReader(redis_url, memcached_url)
    username, password = load_user(account)
    redis_totals: dict[str, Counter[str]] = {}
    memcached_totals: dict[str, Counter[str]] = {}
    sql_totals: dict[str, Counter[str]] = {}
    samples: Counter[str] = Counter()
    statuses: dict[str, int] = {}

    def record(name: str, send: Callable[[], requests.Response]) -> requests.Response:
        response, calls, sql = _count_one(reader, send)
        redis_totals.setdefault(name, Counter()).update(calls.get("redis", {}))
        if memcached_url:
            memcached_totals.setdefault(name, Counter()).update(calls.get("memcached", {}))
        if sql is not None:
            sql_totals.setdefault(name, Counter()).update(sql)
        samples[name] += 1
        statuses[name] = response.status_code
        return response

    for _ in range(repeats):
        client = client_for(style, url)
        record(
            "POST /login", functools.partial(client.login, username, password)
        ).raise_for_status()
        for name, method, path, payload, _unsafe in PROBED_REQUESTS:
            record(name, functools.partial(client.request, method, path, json=payload))

    result: dict[str, dict[str, Any]] = {}
    for name, redis_calls in redis_totals.items():
        n = samples[name]
        row: dict[str, Any] = {
            "redis": {k: round(v / n, 3) for k, v in sorted(redis_calls.items())},
            "status": statuses[name],
            "samples": n,
        }
        total = sum(row["redis"].values())
        if name in memcached_totals:
            calls = memcached_totals[name]
            row["memcached"] = {k: round(v / n, 3) for k, v in sorted(calls.items())}
            total += sum(row["memcached"].values())
        if name in sql_totals:
            row["sql"] = {k: round(v / n, 3) for k, v in sorted(sql_totals[name].items())}
            total += sum(row["sql"].values())
        row["total"] = round(total, 3)
        result[name] = row
    return result


def replay_until_refused(
    client: ApiClient,
    revoked_at: float,
    lifetime: float,
    margin: float,
    interval: float = REPLAY_INTERVAL_SECONDS,
    confirmations: int = 3,
) -> dict[str, Any]:
    """Replay ``GET /me`` with a revoked credential every ``interval`` seconds.

    Stops after ``confirmations`` refusals (401) in a row, or at ``lifetime + margin``
    seconds after the revocation (so a credential that is never refused cannot keep it
    running). Any other answer (a 5xx, a 429) is neither acceptance nor refusal: the window
    is then marked ``inconclusive`` rather than counted as refused.
    """
    deadline = revoked_at + lifetime + margin
    accepted = 0
    last_accepted: float | None = None
    first_refused: float | None = None
    refused_in_a_row = 0
    statuses: Counter[str] = Counter()
    replays = 0
    while time.monotonic() < deadline and refused_in_a_row < confirmations:
        sent = time.monotonic()
        response = client.get("/me", timeout=5)
        replays += 1
        statuses[str(response.status_code)] += 1
        if response.status_code == 200:
            accepted += 1
            last_accepted = sent - revoked_at
            refused_in_a_row = 0
        elif response.status_code != 401:
            refused_in_a_row = 0
        else:
            refused_in_a_row += 1
            if first_refused is None:
                first_refused = sent - revoked_at
        time.sleep(max(0.0, sent + interval - time.monotonic()))
    window = last_accepted or 0.0
    odd = sorted(code for code in statuses if code not in ("200", "401"))
    return {
        "inconclusive": f"replays answered {', '.join(odd)}" if odd else None,
        "accepted_replays": accepted,
        "replays": replays,
        "statuses": dict(statuses),
        "window_seconds": round(window, 3),
        "first_refused_after_seconds": None if first_refused is None else round(first_refused, 3),
        "still_accepted_at_end": refused_in_a_row == 0 and accepted > 0,
        "lifetime_seconds": lifetime,
        "window_fraction_of_lifetime": round(window / lifetime, 3) if lifetime else None,
        "replay_interval_seconds": interval,
    }


def revocation_windows(
    url: str,
    style: str,
    lifetime: float,
    accounts: tuple[int, int],
    margin: float = 2.0,
) -> dict[str, Any]:
    """How long an old credential is still accepted after ``/logout`` and ``/logout-all``."""
    results: dict[str, Any] = {}

    # Log out, then replay the same credential.
    device = login(url, style, *load_user(accounts[0]))
    stolen = device.replay(device.credential())
    response = device.logout()
    revoked_at = time.monotonic()
    results["logout"] = {"revoke_status": response.status_code}
    if stolen.auth.refreshes:
        # Right after logout, well inside the refresh token's life: is it still honoured?
        results["logout"]["refresh_after_revocation_status"] = (
            stolen.replay(stolen.credential()).refresh().status_code
        )
    results["logout"].update(replay_until_refused(stolen, revoked_at, lifetime, margin))

    # Log in on two devices; the second logs out everywhere; replay the first's credential.
    username, password = load_user(accounts[1])
    first_device = login(url, style, username, password)
    second_device = login(url, style, username, password)
    response = second_device.logout_all()
    revoked_at = time.monotonic()
    results["logout_all"] = {
        "revoke_status": response.status_code,
        **replay_until_refused(first_device, revoked_at, lifetime, margin),
    }
    for kind in ("logout", "logout_all"):
        if results[kind]["revoke_status"] != 204 and not results[kind]["inconclusive"]:
            results[kind]["inconclusive"] = f"{kind} answered {results[kind]['revoke_status']}"
    return results
