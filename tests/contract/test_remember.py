"""``"remember"`` at login: a session cookie that ends with the browser unless asked otherwise.

Each variant declares ``remember_changes`` (``authkit/variants.py``): "cookie_lifetime" (the
session cookie gets an expiry: the idle timeout from each response that re-sends it, never
past the absolute deadline) or "page_token_storage" (the server answers the same, and the
page decides where to keep the tokens). Who is still logged in after a browser restart is
tests/browser/test_restart.py's.
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from http.cookies import Morsel, SimpleCookie

import jwt
import requests

from authkit.launcher import Target
from tests.contract.test_public import assert_json_error
from tests.targets import Fleet, only_targets, parse_target_id

ALICE = {"username": "alice", "password": "alice-pass-123"}
#: Short timeouts for the dedicated server: the absolute deadline comes before the idle
#: timeout would end a cookie re-sent late in the session.
IDLE = 4
ABSOLUTE = 7
SHORT = {"SESSION_IDLE_SECONDS": str(IDLE), "SESSION_ABSOLUTE_SECONDS": str(ABSOLUTE)}


def _remembers_in_cookie(target_id: str) -> bool:
    return parse_target_id(target_id)[0].behaviour.remember_changes == "cookie_lifetime"


def _login(target: Target, **extra: object) -> requests.Response:
    response = requests.post(
        target.url + "/login", json={**ALICE, **extra}, timeout=10, verify=target.verify
    )
    assert response.status_code == 200, response.text
    return response


def _session_cookie(response: requests.Response) -> Morsel | None:
    """The one cookie a response sets, parsed (None when it sets none)."""
    headers = response.raw.headers.getlist("Set-Cookie")
    assert len(headers) <= 1, headers
    if not headers:
        return None
    ((_name, morsel),) = SimpleCookie(headers[0]).items()
    return morsel


def _expiry(morsel: Morsel) -> float | None:
    """When the browser drops the cookie (seconds since the epoch); None: with the browser.

    Every variant sends ``Expires``; Django adds ``Max-Age``, which must say the same (read
    this as the response arrives: ``Max-Age`` counts from then)."""
    if not morsel["expires"]:
        assert not morsel["max-age"], "Max-Age without Expires"
        return None
    expires = parsedate_to_datetime(morsel["expires"]).timestamp()
    if morsel["max-age"]:
        assert abs(time.time() + int(morsel["max-age"]) - expires) <= 2, morsel.OutputString()
    return expires


def _me(target: Target, morsel: Morsel) -> int:
    cookies = {morsel.key: morsel.value}
    return requests.get(
        target.url + "/me", cookies=cookies, timeout=10, verify=target.verify
    ).status_code


def test_without_remember_the_credential_ends_with_the_browser(target: Target) -> None:
    declared = target.declaration("remember_changes")
    for extra in ({}, {"remember": False}):
        response = _login(target, **extra)
        morsel = _session_cookie(response)
        if declared == "cookie_lifetime":
            assert morsel is not None, "the login sets the session cookie"
            assert _expiry(morsel) is None, f"a browser-session cookie: {morsel.OutputString()}"
            assert _me(target, morsel) == 200, "the cookie is the session"
        else:
            assert declared == "page_token_storage"
            assert morsel is None, "bearer variants set no cookie"


def test_with_remember_what_the_declaration_says_changes(target: Target) -> None:
    declared = target.declaration("remember_changes")
    if declared == "cookie_lifetime":
        before = time.time()
        morsel = _session_cookie(_login(target, remember=True))
        assert morsel is not None
        expiry = _expiry(morsel)
        assert expiry is not None and expiry > before, f"persistent: {morsel.OutputString()}"
        assert morsel["httponly"] and morsel["samesite"].lower() == "lax" and morsel["path"] == "/"
        assert _me(target, morsel) == 200
        return
    assert declared == "page_token_storage"
    # The server answers the same with and without: the same fields, no cookie, tokens of
    # the same lifetimes (the refresh token's is what a remembering page relies on).
    answers = [_login(target, remember=value) for value in (False, True)]
    bodies = [answer.json() for answer in answers]
    assert [set(body) for body in bodies] == [set(bodies[0])] * 2
    assert [_session_cookie(answer) for answer in answers] == [None, None]
    assert bodies[0]["expires_in"] == bodies[1]["expires_in"]

    def lifetime(token: str) -> int:
        claims = jwt.decode(token, options={"verify_signature": False})
        return claims["exp"] - claims["iat"]

    for kind in ("access_token", "refresh_token"):
        assert lifetime(bodies[0][kind]) == lifetime(bodies[1][kind]), kind
    for body in bodies:
        me = requests.get(
            target.url + "/me",
            headers={"Authorization": f"Bearer {body['access_token']}"},
            timeout=10,
            verify=target.verify,
        )
        assert me.status_code == 200


def test_remember_must_be_a_boolean(target: Target) -> None:
    url = target.url + "/login"
    for value in (1, 0, "true", "", None, [], {}):
        error = assert_json_error(
            requests.post(url, json={**ALICE, "remember": value}, timeout=10, verify=target.verify),
            422,
            "validation_error",
        )
        assert set(error["error"]["fields"]) == {"remember"}, (value, error)
    # Every bad field is named at once.
    both = requests.post(
        url, json={"username": "", "password": "x", "remember": 1}, timeout=10, verify=target.verify
    )
    fields = assert_json_error(both, 422, "validation_error")["error"]["fields"]
    assert set(fields) == {"username", "remember"}


@only_targets(_remembers_in_cookie)
def test_remembered_cookie_slides_but_never_outlives_the_absolute_timeout(
    target_id: str, fleet: Fleet
) -> None:
    """The cookie is re-sent as the idle window slides; each expiry it carries is at most
    the absolute deadline, including late in the session, when the idle timeout from now
    would run past it; and the server still ends the session at that deadline."""
    with fleet.dedicated(target_id, SHORT) as target:
        sent = time.time()
        login = _login(target, remember=True)
        received = time.time()
        morsel = _session_cookie(login)
        assert morsel is not None
        # The server stamps the login between sending and receiving: its deadline is at
        # most this (Expires is whole seconds, rounded down).
        deadline = received + ABSOLUTE
        first = _expiry(morsel)
        assert first is not None and sent + IDLE - 2 <= first <= received + IDLE, (
            morsel.OutputString()
        )
        resent, last = 0, first
        while time.time() < deadline - 1.5:
            time.sleep(0.5)  # busy well within the idle timeout
            response = requests.get(
                target.url + "/me",
                cookies={morsel.key: morsel.value},
                timeout=10,
                verify=target.verify,
            )
            assert response.status_code == 200, response.text
            again = _session_cookie(response)
            if again is None:
                continue
            resent += 1
            morsel = again
            last = _expiry(again)
            assert last is not None, "a remembered cookie stays persistent"
            assert last <= deadline, (again.OutputString(), deadline - last)
        assert resent >= 2, "the cookie is re-sent as the idle window slides"
        # It slid up to the deadline (well past the first expiry), where the idle timeout
        # from the last re-send would have run past it: the cap, not the idle age, ended it.
        assert last is not None and sent + ABSOLUTE - 2 <= last <= deadline, (first, last)
        while time.time() < deadline + 1:
            time.sleep(0.5)
        assert _me(target, morsel) == 401, "remember does not extend the absolute timeout"
