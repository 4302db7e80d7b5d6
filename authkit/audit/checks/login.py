"""D. login: what the login endpoint gives away (enumeration, brute force, bad bodies).

Each row first logs in with the right password, so a 401 or 429 it sees is about the attack.
"""

from __future__ import annotations

import secrets
import time
from http.cookies import CookieError

import requests

from authkit.audit.checks.base import (
    FINDING,
    TIMEOUT,
    Observation,
    check,
    held_if,
    is_envelope,
    parse_set_cookie,
    require_login,
    set_cookie_headers,
    status_codes,
)
from authkit.launcher import Target

#: Rounds of 3 interleaved pairs before the timing verdict; one is enough on a quiet machine.
_TIMING_ROUNDS = 5


def _unknown_username() -> str:
    """A username no server has, new for each check (its throttle windows start empty)."""
    return "nobody-" + secrets.token_hex(6)


def _starts_a_session(response: requests.Response) -> bool:
    """Whether ``response`` sets a cookie with a value (clearing one starts nothing)."""
    for header in set_cookie_headers(response):
        try:
            if parse_set_cookie(header)[1].coded_value:
                return True
        except (CookieError, ValueError):
            return True  # a cookie the parser refuses may still be a session to a browser
    return False


@check(
    "enumeration-body",
    "D. login",
    "Unknown user and wrong password: same status, body, headers",
    "OWASP AuthCS (generic errors); ASVS 5.0 6.3.8",
)
def enumeration_body(target: Target) -> Observation:
    user, password = target.fresh_user()
    # The account exists (its password logs in): "wrong password" is about a real user.
    require_login(target.client().login(user, password))
    wrong = target.client().login(user, "not-the-password")
    unknown = target.client().login(_unknown_username(), "not-the-password")
    same = (
        is_envelope(wrong, 401)
        and is_envelope(unknown, 401)
        and wrong.json() == unknown.json()
        and set(wrong.headers) - {"Date"} == set(unknown.headers) - {"Date"}
        # A refused login starts no session (a cookie with a value would be one).
        and not any(_starts_a_session(r) for r in (wrong, unknown))
    )
    return held_if(same, f"{wrong.status_code} / {unknown.status_code}")


@check(
    "enumeration-timing",
    "D. login",
    "Unknown user costs a password hash too (timing)",
    "OWASP AuthCS (response time); ASVS 5.0 6.3.8",
)
def enumeration_timing(target: Target) -> Observation:
    user, password = target.fresh_user()
    require_login(target.client().login(user, password))
    floors = {"wrong": float("inf"), "unknown": float("inf")}
    ratio, detail = 1.0, ""
    for round_number in range(1, _TIMING_ROUNDS + 1):
        # A fresh account and unknown name per round: 3 failures each stay under the
        # per-account limit (5/min), so no answer below times the limiter.
        names = {"wrong": user, "unknown": _unknown_username()}
        for _ in range(3):  # interleaved, so a burst of load slows both sides alike
            for side, name in names.items():
                started = time.perf_counter()
                response = requests.post(
                    target.url + "/login",
                    json={"username": name, "password": "x"},
                    timeout=TIMEOUT,
                    verify=target.verify,
                )
                elapsed = time.perf_counter() - started
                if response.status_code != 401:
                    return Observation(
                        FINDING, f"could not time the login: {side} got {response.status_code}"
                    )
                floors[side] = min(floors[side], elapsed)
        # The floor of each side is the work the server must do: load only ever adds
        # time, so more samples can only bring a floor down to the real cost. A skipped
        # hash stays far below the band however long it is sampled; a noisy round only
        # delays the verdict by another round.
        ratio = floors["unknown"] / floors["wrong"]
        detail = f"unknown/wrong time ratio {ratio:.2f} ({round_number} rounds)"
        if 1 / 3 < ratio < 3:
            break
        user, password = target.fresh_user()
        require_login(target.client().login(user, password))  # a real account again
    return held_if(1 / 3 < ratio < 3, detail)


@check(
    "throttle-brute-force",
    "D. login",
    "Brute force of one account: 429 + Retry-After",
    "ASVS 4.0.3 2.2.1; ASVS 5.0 6.1.1, 6.3.1; OWASP AuthCS",
)
def throttle_brute_force(target: Target) -> Observation:
    user, password = target.fresh_user()
    # The right password logs in before: its 429 below is the throttle, not a broken login.
    require_login(target.client().login(user, password))
    for attempt in range(1, 61):
        response = target.client().login(user, f"guess-{attempt}")
        if response.status_code == 429:
            right = target.client().login(user, password)
            same = right.status_code == 429 and right.json() == response.json()
            retry = response.headers.get("Retry-After", "")
            ok = is_envelope(response, 429) and retry.isdigit() and same
            return held_if(
                ok,
                f"429 at attempt {attempt}, Retry-After {retry}, "
                f"right password {right.status_code}",
            )
    return Observation(FINDING, "60 wrong passwords, never a 429")


@check(
    "login-bad-bodies",
    "D. login",
    "Login: text/plain 415, bad JSON 400, missing fields 422",
    "OWASP RESTCS (input validation); ASVS 5.0 3.5.2",
)
def login_bad_bodies(target: Target) -> Observation:
    url = target.url + "/login"
    plain = requests.post(
        url,
        data="{}",
        headers={"Content-Type": "text/plain"},
        timeout=TIMEOUT,
        verify=target.verify,
    )
    broken = requests.post(
        url,
        data="{",
        headers={"Content-Type": "application/json"},
        timeout=TIMEOUT,
        verify=target.verify,
    )
    missing = requests.post(url, json={"username": "alice"}, timeout=TIMEOUT, verify=target.verify)
    ok = is_envelope(plain, 415) and is_envelope(broken, 400) and is_envelope(missing, 422)
    return held_if(ok, status_codes(plain, broken, missing))
