"""C. CSRF: writes that ride an ambient cookie must change nothing.

Kept apart from the sessions rows because a bearer variant's answer here is a declared
difference (no ambient credential), not an n/a: the rows compare with ``csrf=not_needed``.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import requests

from authkit.audit.checks.base import (
    DIFFERS,
    FINDING,
    HELD,
    ITEM,
    TIMEOUT,
    Observation,
    cart_items,
    check,
    held_if,
    is_envelope,
    logged_in,
    require,
    require_me_ok,
    require_writes_work,
    session_only,
    status_codes,
)
from authkit.clients import SessionClient, auth_for
from authkit.launcher import Target


def _csrf_attempt(
    target: Target, token: str | None
) -> tuple[Observation | None, requests.Response]:
    client = logged_in(target)
    headers = {} if token is None else {"X-CSRF-Token": token}
    own_token = client.csrf_token if isinstance(client, SessionClient) else None
    if isinstance(client, SessionClient):
        client.csrf_token = None
    response = client.post("/cart/items", json=ITEM, headers=headers)
    items = cart_items(client)
    if items:
        return Observation(FINDING, f"{response.status_code} and the item was added"), response
    # The same write with the session's own token goes through: the refusal was the token's.
    if isinstance(client, SessionClient):
        client.csrf_token = own_token
    require_writes_work(client)
    return None, response


def _csrf_row(target: Target, token_for: Callable[[Target], str | None]) -> Observation:
    bad, response = _csrf_attempt(target, token_for(target))
    if bad:
        if (
            target.declared.get("csrf") == "not_needed"
            and not auth_for(target.style).credential_in_cookie
        ):
            return Observation(DIFFERS, "bearer header is the credential: nothing ambient")
        return bad
    return held_if(is_envelope(response, 403), f"{response.status_code}")


@check(
    "csrf-missing",
    "C. CSRF",
    "Cookie-authenticated write without a CSRF token: 403",
    "OWASP CSRFCS (synchronizer token); ASVS 4.0.3 13.2.3; ASVS 5.0 3.5.1",
)
def csrf_missing(target: Target) -> Observation:
    if not_here := session_only(target):
        return not_here
    return _csrf_row(target, lambda _t: None)


@check(
    "csrf-wrong", "C. CSRF", "Write with a wrong CSRF token: 403", "OWASP CSRFCS; ASVS 5.0 3.5.1"
)
def csrf_wrong(target: Target) -> Observation:
    if not_here := session_only(target):
        return not_here
    return _csrf_row(target, lambda _t: "wrong-token-0123456789abcdef")


@check(
    "csrf-other-session",
    "C. CSRF",
    "Write with another session's CSRF token: 403",
    "OWASP CSRFCS (token bound to the session)",
)
def csrf_other_session(target: Target) -> Observation:
    if not_here := session_only(target):
        return not_here
    return _csrf_row(target, lambda t: logged_in(t).csrf_token)  # type: ignore[attr-defined]


@check(
    "csrf-simple-content-types",
    "C. CSRF",
    "text/plain, form and multipart writes: 415",
    "OWASP CSRFCS (simple requests); ASVS 5.0 3.5.2",
)
def csrf_simple_content_types(target: Target) -> Observation:
    client = logged_in(target)
    responses = [
        client.post("/cart/items", data=json.dumps(ITEM), headers={"Content-Type": "text/plain"}),
        client.post("/cart/items", data={"product_id": "sku-001", "quantity": "1"}),
        client.post("/cart/items", files={"product_id": (None, "sku-001")}),
    ]
    added = cart_items(client)
    if not added:
        require_writes_work(client)
    ok = all(is_envelope(r, 415) for r in responses) and not added
    return held_if(ok, status_codes(*responses))


@check(
    "csrf-fetch-metadata",
    "C. CSRF",
    "Sec-Fetch-Site: cross-site write refused (login too)",
    "OWASP CSRFCS (Fetch Metadata); ASVS 5.0 3.5.3",
)
def csrf_fetch_metadata(target: Target) -> Observation:
    client = logged_in(target)
    cross = {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}
    write = client.post("/cart/items", json=ITEM, headers=cross)
    login = requests.post(
        target.url + "/login",
        json=dict(zip(("username", "password"), target.fresh_user(), strict=True)),
        headers=cross,
        timeout=TIMEOUT,
        verify=target.verify,
    )
    statuses = f"write {write.status_code}, login {login.status_code}"
    if is_envelope(write, 403) and is_envelope(login, 403):
        # The same write from the same origin goes through: the refusal was the header's.
        same = client.post("/cart/items", json=ITEM, headers={"Sec-Fetch-Site": "same-origin"})
        require(same.status_code == 200, f"the same write from same-origin: {same.status_code}")
        return Observation(HELD, "write 403, login 403")
    # A bearer API has no ambient credential, so answering a cross-site request normally is
    # the declared design; anything but a normal answer (or a refusal) is still a finding.
    normal = write.status_code in (200, 403) and login.status_code in (200, 403)
    if (
        normal
        and not auth_for(target.style).credential_in_cookie
        and target.declared.get("csrf") == "not_needed"
    ):
        return Observation(DIFFERS, f"{statuses}: no ambient credential to ride")
    return Observation(FINDING, statuses)


@check(
    "cross-site-form",
    "C. CSRF",
    "Forged cross-site form with the ambient cookie changes nothing",
    "OWASP CSRFCS; ASVS 4.0.3 13.2.3",
)
def cross_site_form(target: Target) -> Observation:
    client = logged_in(target)
    response = requests.post(
        target.url + "/cart/items",
        data=json.dumps(ITEM),
        cookies=client.http.cookies.get_dict(),
        headers={"Content-Type": "text/plain"},
        timeout=TIMEOUT,
        verify=target.verify,
    )
    added = cart_items(client)
    return held_if(not added and response.status_code in (401, 403, 415), f"{response.status_code}")


@check(
    "get-does-not-change-state",
    "C. CSRF",
    "State-changing endpoints refuse GET: 405 + Allow",
    "OWASP CSRFCS; RFC 9110 9.2.1 (safe methods)",
)
def get_does_not_change_state(target: Target) -> Observation:
    client = logged_in(target)
    require_me_ok(client, "of the login")
    responses = [client.get(path) for path in ("/logout", "/logout-all", "/cart/items")]
    ok = all(is_envelope(r, 405) and "Allow" in r.headers for r in responses)
    return held_if(ok and client.get("/me").status_code == 200, status_codes(*responses))
