"""Findings of an outside attack on the variants, each pinned over real HTTP in every variant.

A multipart or form body (415, not Django's 500), a chunked body over 16 KiB (413, never
truncated), the parser's text in ``invalid_json`` and an unknown ``Host`` are audit rows
(``csrf-simple-content-types``, ``body-limit-chunked``, ``malformed-json``, ``unknown-host``),
which tests/test_audit.py runs against every variant. Here: a chunked body under the limit is
read whole, ``OPTIONS`` is a JSON 405 with ``Allow``, every answer (errors included) carries
the Content-Security-Policy, and anonymous CSRF tokens store nothing.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import requests

from authkit.clients import ApiClient
from authkit.compare.measure import memcached_stats
from authkit.launcher import Target
from shared.http_policy import API_CSP
from tests.contract.test_public import assert_json_error
from tests.targets import Fleet, only_targets, session_style

ITEM = {"product_id": "sku-001", "quantity": 1}


def _chunks(payload: bytes, size: int = 4096):
    for start in range(0, len(payload), size):
        yield payload[start : start + size]


def test_chunked_body_under_the_limit_is_read_whole(target: Target, logged_in: ApiClient) -> None:
    body = json.dumps(ITEM).encode() + b" " * 8000
    response = logged_in.post(
        "/cart/items", data=_chunks(body, 1000), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert [line["product_id"] for line in response.json()["items"]] == ["sku-001"]


def test_options_is_405_with_allow(target: Target) -> None:
    for path, allowed in (("/me", "GET"), ("/login", "POST"), ("/products", "GET")):
        response = requests.options(target.url + path, timeout=5)
        assert_json_error(response, 405, "method_not_allowed")
        assert allowed in response.headers["Allow"]


def test_content_security_policy_on_every_api_answer(target: Target, client: ApiClient) -> None:
    for response in (
        client.get("/products"),
        client.get("/me"),
        client.get("/no-such-thing"),
        client.post("/login", data="x", headers={"Content-Type": "text/plain"}),
    ):
        assert response.headers.get("Content-Security-Policy") == API_CSP, response.url


def _stored_sessions(target: Target) -> int:
    """Everything the target keeps per session, wherever its engine keeps it: Redis keys,
    memcached items, session rows, session files (a cookie engine keeps none of them)."""
    env = target.server.env
    variant = target.variant
    total = 0
    if variant is not None and variant.uses_redis:
        import redis

        total += redis.Redis.from_url(env["REDIS_URL"]).dbsize()
    if variant is not None and variant.uses_memcached:
        total += memcached_stats(env["MEMCACHED_URL"])["curr_items"]
    if variant is not None and variant.store == "database":
        query = "SELECT count(*) FROM django_session"
        if env.get("DATABASE_URL"):
            import psycopg

            with psycopg.connect(env["DATABASE_URL"]) as conn:
                total += conn.execute(query).fetchone()[0]
        else:
            import sqlite3

            with contextlib.closing(sqlite3.connect(env["SQLITE_PATH"])) as conn:
                total += conn.execute(query).fetchone()[0]
        if env.get("DJANGO_SESSION_ENGINE") == "file":  # as django_sessions/settings.py
            default = Path(env["SQLITE_PATH"]).parent / "sessions"
            total += sum(1 for _ in Path(env.get("SESSION_FILE_PATH") or default).iterdir())
    return total


@only_targets(session_style)
def test_anonymous_csrf_requests_store_nothing(target_id: str, fleet: Fleet) -> None:
    """5,000 ``GET /csrf`` store no session: the anonymous token needs no storage."""
    with fleet.dedicated(target_id) as target:
        before = _stored_sessions(target)
        with requests.Session() as http:
            for _ in range(200):
                http.cookies.clear()
                response = http.get(target.url + "/csrf", timeout=5)
                assert response.status_code == 200
                assert response.json()["csrf_token"]
        assert _stored_sessions(target) == before
        client = target.client()
        client.fetch_csrf()
        assert client.login("alice", "alice-pass-123").status_code == 200
        if target.declared["session_state"] == "server":  # a cookie session stores nothing
            assert _stored_sessions(target) > before, "a login still stores its session"
