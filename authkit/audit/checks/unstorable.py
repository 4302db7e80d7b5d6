"""Audit rows for input no store can hold: not Unicode, or refused by a database.

A lone UTF-16 surrogate escape is valid JSON grammar but no UTF-8 encoder (Redis, a database
driver, the password hash) accepts the string it makes; a NUL is refused by PostgreSQL's
text type and kept by SQLite and Redis. Each must be the client's error (a 4xx with the
envelope): a 500 hides which side is wrong, and a 503 tells monitoring that a store is down.

Every row first proves that the same request without the bad part is answered normally on
the same server, so a server that refuses everything (or is down) is a finding, not "held".
"""

from __future__ import annotations

import json

import requests

from authkit.audit.checks.base import (
    FINDING,
    HELD,
    TIMEOUT,
    Observation,
    check,
    is_envelope,
    logged_in,
    status_codes,
)
from authkit.clients import ApiClient
from authkit.launcher import Target

JSON = {"Content-Type": "application/json"}


def _post_raw(client: ApiClient, path: str, body: str) -> requests.Response:
    """``body`` sent as written, so its escapes reach the server's parser unparsed."""
    return client.post(path, data=body.encode(), headers=JSON)


def _login_body(username: str, password: str, extra: str = "") -> str:
    return f'{{"username": {username}, "password": {password}{extra}}}'


@check(
    "lone-surrogates",
    "F. bad input",
    "Lone surrogate escapes (in a login field, a key, a cart body): 400 envelope",
    "RFC 8259 8.2; RFC 7493 2.1 (I-JSON); OWASP RESTCS (input validation)",
)
def lone_surrogates(target: Target) -> Observation:
    username, password = target.fresh_user()
    name, secret = json.dumps(username), json.dumps(password)
    plain = _post_raw(target.client(), "/login", _login_body(name, secret, ', "note": "x"'))
    if plain.status_code != 200:
        return Observation(FINDING, f"the same login without the escape: {plain.status_code}")
    client = logged_in(target)
    added = client.post("/cart/items", json={"product_id": "sku-001", "quantity": 1})
    if added.status_code != 200:
        return Observation(FINDING, f"a plain cart add: {added.status_code}")
    responses = [
        _post_raw(target.client(), "/login", _login_body('"a\\ud800"', secret)),
        _post_raw(target.client(), "/login", _login_body(name, '"\\udfff"')),
        _post_raw(target.client(), "/login", _login_body(name, secret, ', "\\ud800": 1')),
        _post_raw(client, "/cart/items", '{"product_id": "sku-001\\ud800", "quantity": 1}'),
    ]
    cart = client.get("/cart").json().get("items", [])
    ok = all(is_envelope(r, 400) for r in responses) and [i["quantity"] for i in cart] == [1]
    return Observation(HELD if ok else FINDING, status_codes(*responses))


@check(
    "username-control-chars",
    "F. bad input",
    "A control character (NUL, newline) in a username: 422, never a 5xx or a 503",
    "OWASP RESTCS (input validation); RFC 9110 15.6.4 (503 is an outage)",
)
def username_control_chars(target: Target) -> Observation:
    username, password = target.fresh_user()
    right = target.client().login(username, password)
    wrong = target.client().login(username, password + "-wrong")
    if right.status_code != 200 or not is_envelope(wrong, 401):
        plain = f"plain logins: right {right.status_code}, wrong {wrong.status_code}"
        return Observation(FINDING, plain)
    responses = [
        target.client().login(bad, password)
        for bad in (username + "\x00", "\x00", username + "\n", username + "\x7f")
    ]
    ok = all(
        is_envelope(r, 422) and "username" in r.json()["error"].get("fields", {}) for r in responses
    )
    return Observation(HELD if ok else FINDING, status_codes(*responses))


@check(
    "bad-bytes-cookie-path",
    "F. bad input",
    "NUL and non-UTF-8 bytes in a cookie or a path: 4xx envelope or the normal answer",
    "RFC 6265 4.1.1; RFC 3986 2.1; OWASP RESTCS",
)
def bad_bytes_cookie_path(target: Target) -> Observation:
    client = logged_in(target)
    if client.get("/me").status_code != 200:
        return Observation(FINDING, "a logged-in /me is not 200")
    names = list(client.http.cookies.get_dict()) or ["session", "sessionid"]
    responses = []
    for value in (b'"\\000abcdefghijkl"', b"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8", b"%00abcdefgh"):
        cookie = b"; ".join(name.encode() + b"=" + value for name in names)
        responses.append(
            requests.get(
                target.url + "/me",
                headers={"Cookie": cookie},
                timeout=TIMEOUT,
                verify=target.verify,
            )
        )
    cookies_ok = all(is_envelope(r, 401) for r in responses)
    paths = [client.delete(f"/cart/items/{quoted}") for quoted in ("%00", "%ED%A0%80", "%FF")]
    paths_ok = all(is_envelope(r, (400, 404)) for r in paths)
    return Observation(
        HELD if cookies_ok and paths_ok else FINDING, status_codes(*responses, *paths)
    )
