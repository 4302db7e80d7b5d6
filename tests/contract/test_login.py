"""Logging in: success, exact password comparison, and malformed requests.

User enumeration (by body and by timing), brute force and the login's bad bodies are rows of
the audit (tests/test_audit.py runs them against every variant); these tests pin the rest.
"""

from __future__ import annotations

import requests

from authkit.launcher import Target
from tests.contract.test_public import assert_json_error

ALICE = ("alice", "alice-pass-123")


def test_login_returns_the_username_and_the_styles_credential(target: Target) -> None:
    client = target.client()
    response = client.login(*ALICE)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["username"] == "alice"
    assert response.headers["Cache-Control"] == "no-store"
    if target.style == "session":
        assert isinstance(body["csrf_token"], str) and len(body["csrf_token"]) >= 16
        assert response.headers.get("Set-Cookie")
    else:
        assert body["token_type"] == "Bearer"
        assert type(body["expires_in"]) is int and body["expires_in"] > 0
        assert body["access_token"] != body["refresh_token"]
    me = client.get("/me")
    assert me.status_code == 200
    assert me.json() == {"username": "alice"}
    assert me.headers["Cache-Control"] == "no-store"


def test_seed_users_can_log_in(target: Target) -> None:
    for username, password in [("bob", "bob-pass-123"), ("user0000", "pw-0000")]:
        assert target.client().login(username, password).status_code == 200


def test_passwords_are_compared_exactly(target: Target) -> None:
    for password in ("ALICE-PASS-123", "alice-pass-123 ", "alice-pass-12", "alice-pass-1234"):
        assert target.client().login("alice", password).status_code == 401


def test_login_fields_are_validated(target: Target) -> None:
    url = target.url + "/login"
    for body in [
        {},
        {"username": "alice"},
        {"username": "", "password": "x"},
        {"username": 1, "password": "x"},
        {"username": "alice", "password": None},
    ]:
        error = assert_json_error(
            requests.post(url, json=body, timeout=10, verify=target.verify), 422, "validation_error"
        )
        assert error["error"]["fields"]


def test_malformed_login_bodies(target: Target) -> None:
    url = target.url + "/login"
    json_type = {"Content-Type": "application/json"}
    cases = [
        (b'{"username": "alice", "password":', json_type, 400, "invalid_json"),
        (b'["alice", "alice-pass-123"]', json_type, 400, "invalid_json"),
        (b'{"username": "alice", "username": "bob"}', json_type, 400, "invalid_json"),
        (b"\xff\xfe", json_type, 400, "invalid_json"),
        (b"username=alice&password=alice-pass-123",
         {"Content-Type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"),
        (b'{"username": "alice", "password": "alice-pass-123"}',
         {"Content-Type": "text/plain"}, 415, "unsupported_media_type"),
        (b'{"username": "alice", "password": "alice-pass-123"}', {}, 415, "unsupported_media_type"),
        (b'{"username": "' + b"a" * 17_000 + b'", "password": "x"}', json_type, 413,
         "payload_too_large"),
    ]  # fmt: skip
    for data, headers, status, code in cases:
        assert_json_error(
            requests.post(url, data=data, headers=headers, timeout=10, verify=target.verify),
            status,
            code,
        )


def test_multipart_login_is_refused(target: Target) -> None:
    response = requests.post(
        target.url + "/login", files={"username": (None, "alice")}, timeout=10, verify=target.verify
    )
    assert_json_error(response, 415, "unsupported_media_type")


def test_json_with_charset_is_accepted(target: Target) -> None:
    response = requests.post(
        target.url + "/login",
        data=b'{"username": "alice", "password": "alice-pass-123"}',
        headers={"Content-Type": "application/json; charset=utf-8"},
        timeout=10,
        verify=target.verify,
    )
    assert response.status_code == 200


def test_garbage_credentials_are_401(target: Target) -> None:
    for headers in [
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Bearer " + "a" * 500},
        {"Authorization": "Basic YWxpY2U6YWxpY2UtcGFzcy0xMjM="},
        {"Cookie": "session=garbage; sessionid=garbage"},
        {"Cookie": "session=" + "A" * 43},
    ]:
        response = requests.get(
            target.url + "/me", headers=headers, timeout=5, verify=target.verify
        )
        assert_json_error(response, 401, "unauthenticated")
