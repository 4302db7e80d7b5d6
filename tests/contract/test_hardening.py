"""Findings of the outside attack of issue 11, each pinned over real HTTP in every variant.

Each test failed before its fix: a multipart body was a 500 in django-sessions, a chunked
body over 16 KiB was truncated and acted upon, ``invalid_json`` echoed the parser's text,
the Flask apps answered any ``Host``, flask-sessions answered ``OPTIONS`` with an empty
text/html 200, and no response had a Content-Security-Policy.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import requests

from authkit.clients import ApiClient
from shared.bodies import INVALID_JSON_MESSAGE
from shared.http_policy import API_CSP
from tests.contract.test_public import assert_json_error
from tests.targets import Fleet, Target, only_targets, session_style

ITEM = {"product_id": "sku-001", "quantity": 1}


def test_multipart_body_is_415_not_500(target: Target, logged_in: ApiClient) -> None:
    """Django's CSRF middleware parses multipart bodies first; the view must still say 415."""
    response = logged_in.post(
        "/cart/items", files={"product_id": (None, "sku-001"), "quantity": (None, "1")}
    )
    assert_json_error(response, 415, "unsupported_media_type")
    form = logged_in.post("/cart/items", data={"product_id": "sku-001", "quantity": "1"})
    assert_json_error(form, 415, "unsupported_media_type")
    assert logged_in.get("/cart").json()["items"] == []


def _chunks(payload: bytes, size: int = 4096):
    for start in range(0, len(payload), size):
        yield payload[start : start + size]


def test_chunked_body_over_the_limit_is_413_not_truncated(
    target: Target, logged_in: ApiClient
) -> None:
    """Valid JSON padded with spaces to 3 MB, sent chunked: refused whole, never acted on."""
    padded = json.dumps(ITEM).encode() + b" " * (3 * 1024 * 1024)
    response = logged_in.post(
        "/cart/items", data=_chunks(padded), headers={"Content-Type": "application/json"}
    )
    assert_json_error(response, 413, "payload_too_large")
    assert logged_in.get("/cart").json()["items"] == []


def test_chunked_body_under_the_limit_is_read_whole(target: Target, logged_in: ApiClient) -> None:
    body = json.dumps(ITEM).encode() + b" " * 8000
    response = logged_in.post(
        "/cart/items", data=_chunks(body, 1000), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert [line["product_id"] for line in response.json()["items"]] == ["sku-001"]


def test_invalid_json_does_not_echo_the_parser(target: Target, logged_in: ApiClient) -> None:
    for raw in (b'{"quantity": NaN}', b'{"a": 1, "a": 2}', b"{'secret-input", b"\xff\xfe"):
        response = logged_in.post(
            "/cart/items", data=raw, headers={"Content-Type": "application/json"}
        )
        body = assert_json_error(response, 400, "invalid_json")
        assert body["error"]["message"] == INVALID_JSON_MESSAGE
        for leak in ("Expecting", "secret-input", "codec", "line 1", "'a'"):
            assert leak not in response.text


def test_unknown_host_is_refused(target: Target) -> None:
    if not target.managed:
        return  # a server somebody else runs chooses its own hosts
    for path in ("/products", "/login"):
        response = requests.get(target.url + path, headers={"Host": "evil.example"}, timeout=5)
        assert_json_error(response, 400, "bad_request")
    assert requests.get(target.url + "/products", timeout=5).status_code == 200


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
    session rows, session files (a cookie engine keeps none of them)."""
    env = target.server.env  # type: ignore[attr-defined]
    variant = target.variant
    total = 0
    if variant is not None and variant.uses_redis:
        import redis

        total += redis.Redis.from_url(env["REDIS_URL"]).dbsize()
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
    """5,000 ``GET /csrf`` used to store 5,000 sessions; now the token needs no storage."""
    with fleet.start_dedicated(target_id) as target:
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
