"""CSRF and the session cookie: where the session and token designs differ by construction.

A session cookie is sent by the browser on its own (an *ambient* credential), so session
variants need a CSRF defence; a bearer token is only sent by code that holds it, so the JWT
variants need none. ``csrf`` in each variant's declarations says which, and these tests
check both halves: session variants refuse, bearer variants are not fooled by cookies.
"""

from __future__ import annotations

import base64
import json
import re
import zlib
from http.cookies import SimpleCookie

import pytest
import requests

from authkit.clients import ApiClient, SessionClient
from tests.contract.test_public import assert_json_error
from tests.targets import (
    Fleet,
    Target,
    bearer_style,
    csrf_required,
    only_targets,
    require,
    session_style,
)

ALICE = ("alice", "alice-pass-123")


def signed_cookie_payload(value: str) -> bytes:
    """The JSON inside a signed cookie (itsdangerous for Flask, django.core.signing for
    Django: base64url payload, a leading "." when zlib-compressed, then timestamp and
    signature after "." or ":"). Reads it the way anyone holding the cookie could."""
    compressed = value.startswith(".")
    payload = re.split(r"[.:]", value.lstrip("."))[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return zlib.decompress(raw) if compressed else raw


def _set_cookie_attributes(response: requests.Response) -> tuple[str, str, dict[str, str]]:
    header = response.headers["Set-Cookie"]
    name_value, *attributes = [part.strip() for part in header.split(";")]
    name, _, value = name_value.partition("=")
    attrs = {}
    for attribute in attributes:
        key, _, val = attribute.partition("=")
        attrs[key.lower()] = val
    return name, value, attrs


def test_unsafe_request_without_csrf_token(target: Target, logged_in: ApiClient) -> None:
    response = logged_in.post("/cart/items", json={"product_id": "sku-001", "quantity": 1},
                              headers={"X-CSRF-Token": ""})  # fmt: skip
    if target.declaration("csrf") == "required":
        assert_json_error(response, 403, "csrf_failed")
        assert logged_in.get("/cart").json()["items"] == []
    else:
        assert response.status_code == 200


@only_targets(csrf_required)
def test_wrong_csrf_token_is_refused(target: Target, logged_in: ApiClient) -> None:
    require(target, csrf="required")
    for token in ("wrong", logged_in.csrf_token[:-1], logged_in.csrf_token + "x", "0"):
        for method, path in [("POST", "/cart/items"), ("DELETE", "/cart/items/sku-001"),
                             ("POST", "/logout"), ("POST", "/logout-all")]:  # fmt: skip
            response = logged_in.request(
                method, path, json={"product_id": "sku-001", "quantity": 1},
                headers={"X-CSRF-Token": token},
            )  # fmt: skip
            assert_json_error(response, 403, "csrf_failed")
    assert logged_in.get("/me").status_code == 200, "a refused logout must not log out"


@only_targets(csrf_required)
def test_another_sessions_csrf_token_is_refused(target: Target, logged_in: ApiClient) -> None:
    require(target, csrf="required")
    other = target.client()
    other.login("bob", "bob-pass-123")
    response = logged_in.post(
        "/cart/items", json={"product_id": "sku-001", "quantity": 1},
        headers={"X-CSRF-Token": other.csrf_token},
    )  # fmt: skip
    assert_json_error(response, 403, "csrf_failed")


def test_cross_site_form_post_with_ambient_cookie(target: Target, logged_in: ApiClient) -> None:
    """What a forged cross-site form would send: the browser's cookies, no header, text/plain."""
    cookies = logged_in.http.cookies.get_dict()
    response = requests.post(
        target.url + "/cart/items",
        data='{"product_id": "sku-001", "quantity": 1}',
        headers={"Content-Type": "text/plain", "Sec-Fetch-Site": "cross-site",
                 "Origin": "https://evil.example"},
        cookies=cookies,
        timeout=5,
    )  # fmt: skip
    expected = 403 if target.declaration("csrf") == "required" else 401
    assert response.status_code == expected, response.text
    assert logged_in.get("/cart").json()["items"] == []


@only_targets(csrf_required)
def test_fetch_metadata_cross_site_is_refused_even_with_token(
    target: Target, logged_in: ApiClient
) -> None:
    require(target, csrf="required")
    response = logged_in.post("/cart/items", json={"product_id": "sku-001", "quantity": 1},
                              headers={"Sec-Fetch-Site": "cross-site"})  # fmt: skip
    assert_json_error(response, 403, "csrf_failed")
    credentials = {"username": ALICE[0], "password": ALICE[1]}
    login = target.client().post("/login", json=credentials,
                                 headers={"Sec-Fetch-Site": "cross-site"})  # fmt: skip
    assert_json_error(login, 403, "csrf_failed")
    same_origin = logged_in.post("/cart/items", json={"product_id": "sku-001", "quantity": 1},
                                 headers={"Sec-Fetch-Site": "same-origin"})  # fmt: skip
    assert same_origin.status_code == 200


@only_targets(bearer_style)
def test_bearer_variants_set_no_cookie(target: Target) -> None:
    require(target, style="bearer")
    response = target.client().login(*ALICE)
    assert "Set-Cookie" not in response.headers


# -- the session cookie (session variants) ----------------------------------------------


@pytest.fixture
def session_target(target: Target) -> Target:
    """The target, which must issue session cookies (only such targets are collected,
    except against ``--target-url``, whose style is known only at run time)."""
    if target.style != "session":
        pytest.skip(f"{target.id} issues no session cookie (bearer tokens only)")
    return target


@only_targets(session_style)
def test_session_cookie_attributes(session_target: Target) -> None:
    response = session_target.client().login(*ALICE)
    _name, value, attrs = _set_cookie_attributes(response)
    assert "httponly" in attrs
    assert attrs.get("samesite", "").lower() == "lax"
    assert attrs.get("path") == "/"
    assert "domain" not in attrs, "host-only cookie: no Domain attribute"
    assert "expires" not in attrs and "max-age" not in attrs, "a browser-session cookie"
    if session_target.declaration("session_state") == "client":
        # A signed cookie holds the session itself: signed, not encrypted, so anyone
        # holding it can read it (never put a secret in it).
        readable = json.loads(signed_cookie_payload(value))
        assert isinstance(readable, dict) and readable
        return
    # An opaque random ID: URL-safe characters only, >= 128 bits whatever the alphabet.
    assert re.fullmatch(r"[A-Za-z0-9_\-]+", value), value
    assert len(value) >= 22
    assert "alice" not in value


@only_targets(session_style)
def test_session_ids_do_not_repeat(session_target: Target) -> None:
    values = {session_target.client().login(*ALICE).cookies.values()[0] for _ in range(5)}
    assert len(values) == 5


@only_targets(session_style)
def test_csrf_endpoint_starts_an_anonymous_session(session_target: Target) -> None:
    client: SessionClient = session_target.client()  # type: ignore[assignment]
    response = client.fetch_csrf()
    assert response.status_code == 200
    token = response.json()["csrf_token"]
    assert client.session_cookie() is not None
    assert client.fetch_csrf().json()["csrf_token"] == token, "stable within a session"
    assert client.get("/me").status_code == 401, "anonymous is not logged in"
    login = client.login(*ALICE)
    assert login.json()["csrf_token"] != token, "a new token at login"


@only_targets(session_style)
def test_fixation_pre_login_id_is_dead_after_login(session_target: Target) -> None:
    client: SessionClient = session_target.client()  # type: ignore[assignment]
    client.fetch_csrf()
    planted = client.credential()
    client.login(*ALICE)
    after = client.credential()
    assert after["cookies"] != planted["cookies"], "the session ID must change at login"
    attacker = client.replay(planted)
    assert_json_error(attacker.get("/me"), 401, "unauthenticated")
    assert attacker.post(
        "/cart/items", json={"product_id": "sku-001", "quantity": 1}
    ).status_code in (401, 403)
    assert client.get("/me").status_code == 200


@only_targets(session_style)
def test_unissued_session_id_is_not_adopted(session_target: Target) -> None:
    client: SessionClient = session_target.client()  # type: ignore[assignment]
    client.fetch_csrf()
    name = client.session_cookie()[0]
    planted = "attackerchosen" + "a" * 30
    client.http.cookies.clear()
    client.http.cookies.set(name, planted)
    response = client.login(*ALICE)
    assert response.status_code == 200
    assert response.cookies.get(name) not in (None, planted)
    assert_json_error(
        requests.get(session_target.url + "/me", cookies={name: planted}, timeout=5),
        401, "unauthenticated",
    )  # fmt: skip


@only_targets(session_style)
def test_tampered_session_id_is_401(session_target: Target) -> None:
    client: SessionClient = session_target.client()  # type: ignore[assignment]
    client.login(*ALICE)
    name, value = client.session_cookie()
    middle = len(value) // 2
    flipped = value[:middle] + ("A" if value[middle] != "A" else "B") + value[middle + 1 :]
    candidates = [flipped, value[::-1], value + "x", ""]
    if session_target.declaration("session_state") == "server":
        # The last character of a signed cookie's base64 signature carries unused bits that
        # decoders ignore (same signature bytes: no forgery), so only an opaque ID gets this.
        candidates.append(value[:-1] + ("A" if value[-1] != "A" else "B"))
    for tampered in candidates:
        response = requests.get(session_target.url + "/me", cookies={name: tampered}, timeout=5)
        assert_json_error(response, 401, "unauthenticated")


@only_targets(session_style)
def test_secure_cookie_under_cookie_secure(target_id: str, fleet: Fleet) -> None:
    with fleet.start_dedicated(target_id, {"COOKIE_SECURE": "1"}) as secure:
        response = requests.post(
            secure.url + "/login",
            json={"username": "alice", "password": "alice-pass-123"},
            timeout=10,
        )
        assert response.status_code == 200
        ((name, morsel),) = SimpleCookie(response.headers["Set-Cookie"]).items()
        assert name.startswith("__Host-")
        assert morsel["secure"]
        assert morsel["httponly"]
        assert morsel["path"] == "/"
        assert not morsel["domain"]
        # Logout expires the cookie with the same attributes: a browser ignores a deletion
        # of a __Host- cookie that lacks Secure, and the old ID would stay in the jar.
        csrf = response.json()["csrf_token"]
        logout = requests.post(
            secure.url + "/logout",
            headers={"Cookie": f"{name}={morsel.value}", "X-CSRF-Token": csrf},
            timeout=10,
        )
        assert logout.status_code == 204
        ((gone, expired),) = SimpleCookie(logout.headers["Set-Cookie"]).items()
        assert gone == name
        assert expired["secure"] and expired["path"] == "/" and not expired["domain"]
        assert expired["max-age"] == "0" or "1970" in expired["expires"]
