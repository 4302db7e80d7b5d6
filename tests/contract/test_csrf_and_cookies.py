"""CSRF and the session cookie: where the session and token designs differ by construction.

A session cookie is sent by the browser on its own (an *ambient* credential), so session
variants need a CSRF defence; a bearer token is only sent by code that holds it, so the JWT
variants need none. ``csrf`` in each variant's declarations says which, and these tests
check both halves: session variants refuse, bearer variants are not fooled by cookies.

The attacks the audit makes (a missing, wrong or another session's token, Fetch Metadata,
fixation, a planted or tampered session ID, the cookie's HttpOnly, Path and Domain) are its
rows, run against every variant by tests/test_audit.py; these tests pin what they leave open.
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
from authkit.launcher import Target
from tests.contract.test_public import assert_json_error
from tests.targets import (
    Fleet,
    bearer_style,
    csrf_required,
    only_targets,
    parse_target_id,
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


def test_cross_site_form_post_with_ambient_cookie(target: Target, logged_in: ApiClient) -> None:
    """What a forged cross-site form would send: the browser's cookies, no header, text/plain."""
    cookies = logged_in.http.cookies.get_dict()
    response = requests.post(
        target.url + "/cart/items",
        data='{"product_id": "sku-001", "quantity": 1}',
        headers={"Content-Type": "text/plain", "Sec-Fetch-Site": "cross-site",
                 "Origin": "https://evil.example"},
        cookies=cookies,
        timeout=5, verify=target.verify,
    )  # fmt: skip
    expected = 403 if target.declaration("csrf") == "required" else 401
    assert response.status_code == expected, response.text
    assert logged_in.get("/cart").json()["items"] == []


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
    """What the audit's cookie rows leave open (HttpOnly, Path and Domain are its rows):
    SameSite is Lax, not Strict, and the cookie lasts as long as the browser session."""
    response = session_target.client().login(*ALICE)
    _name, value, attrs = _set_cookie_attributes(response)
    assert attrs.get("samesite", "").lower() == "lax"
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


def _signed_cookie_session(target_id: str) -> bool:
    variant = parse_target_id(target_id)[0]
    return variant.style == "session" and variant.declarations()["session_state"] == "client"


@only_targets(_signed_cookie_session)
def test_session_ids_do_not_repeat(session_target: Target) -> None:
    """A signed cookie differs at each login too (the audit's session-id-entropy row holds
    opaque IDs to more, and is not applicable to a cookie that carries the session)."""
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
def test_secure_cookie_under_cookie_secure(target_id: str, fleet: Fleet) -> None:
    with fleet.dedicated(target_id, {"COOKIE_SECURE": "1"}) as secure:
        response = requests.post(
            secure.url + "/login",
            json={"username": "alice", "password": "alice-pass-123"},
            timeout=10,
            verify=secure.verify,
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
            verify=secure.verify,
        )
        assert logout.status_code == 204
        ((gone, expired),) = SimpleCookie(logout.headers["Set-Cookie"]).items()
        assert gone == name
        assert expired["secure"] and expired["path"] == "/" and not expired["domain"]
        assert expired["max-age"] == "0" or "1970" in expired["expires"]
