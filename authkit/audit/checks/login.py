"""D. login: what the login endpoint gives away (enumeration, brute force, bad bodies).

Each row first logs in with the right password, so a 401 or 429 it sees is about the attack.
"""

from __future__ import annotations

import secrets
import time

import requests

from authkit.audit.checks.base import (
    FINDING,
    TIMEOUT,
    Observation,
    check,
    held_if,
    is_envelope,
    require_login,
    status_codes,
)
from authkit.launcher import Target


def _unknown_username() -> str:
    """A username no server has, new for each check (its throttle windows start empty)."""
    return "nobody-" + secrets.token_hex(6)


def _cookie_value(response: requests.Response) -> str:
    """The value of the response's Set-Cookie ("" when it sets none or clears one)."""
    name_value = response.headers.get("Set-Cookie", "").split(";", 1)[0]
    return name_value.partition("=")[2]


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
        and not any(_cookie_value(r) for r in (wrong, unknown))
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
    nobody = _unknown_username()
    times: dict[str, list[float]] = {user: [], nobody: []}
    statuses = []
    for _ in range(4):  # interleaved; 4 failures stay under the per-account limit (5/min)
        for name, samples in times.items():
            started = time.perf_counter()
            response = requests.post(
                target.url + "/login", json={"username": name, "password": "x"}, timeout=TIMEOUT
            )
            samples.append(time.perf_counter() - started)
            statuses.append(response.status_code)
    if set(statuses) != {401}:  # a throttled answer would time the limiter, not the login
        return Observation(FINDING, f"could not time the login: statuses {sorted(set(statuses))}")
    # The fastest of each: the work the server must do, without the other tenants' noise
    # (load only ever adds time); a real difference (a skipped hash) shows in the floor.
    ratio = min(times[nobody]) / min(times[user])
    return held_if(1 / 3 < ratio < 3, f"unknown/wrong time ratio {ratio:.2f}")


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
    plain = requests.post(url, data="{}", headers={"Content-Type": "text/plain"}, timeout=TIMEOUT)
    broken = requests.post(
        url, data="{", headers={"Content-Type": "application/json"}, timeout=TIMEOUT
    )
    missing = requests.post(url, json={"username": "alice"}, timeout=TIMEOUT)
    ok = is_envelope(plain, 415) and is_envelope(broken, 400) and is_envelope(missing, 422)
    return held_if(ok, status_codes(plain, broken, missing))
