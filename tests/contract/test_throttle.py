"""Login throttling: a brute force of one account is answered 429 in every variant.

Each variant runs on a server of its own with small windows (the shared targets run with
generous ones: the suite fails logins on purpose). The policy is in ``shared.throttle``.
"""

from __future__ import annotations

import time

import requests

from tests.contract.test_public import assert_json_error
from tests.targets import Fleet

#: Long enough for the failures to land in one window on a busy machine (each costs an
#: argon2id hash), short enough to wait out once.
WINDOW_SECONDS = 4
LIMITS = {
    "LOGIN_LIMIT_ACCOUNT_ADDRESS": f"4 per {WINDOW_SECONDS} seconds",
    "LOGIN_LIMIT_ACCOUNT": "1000 per minute",
    "LOGIN_LIMIT_ADDRESS": "12 per minute",
}


def _login(url: str, username: str, password: str, **headers: str) -> requests.Response:
    return requests.post(
        url + "/login", json={"username": username, "password": password},
        headers=headers, timeout=10,
    )  # fmt: skip


def test_brute_force_and_spraying_are_throttled(target_id: str, fleet: Fleet) -> None:
    """One server per variant: brute force of one account, then spraying from one address."""
    with fleet.dedicated(target_id, LIMITS) as target:
        url = target.url
        for _ in range(4):
            assert _login(url, "alice", "guess").status_code == 401
        wrong = _login(url, "alice", "guess")
        assert_json_error(wrong, 429, "rate_limited")
        assert 1 <= int(wrong.headers["Retry-After"]) <= WINDOW_SECONDS + 1
        # While blocked, the right password gets the very same answer: nothing to learn.
        right = _login(url, "alice", "alice-pass-123")
        assert right.status_code == 429
        assert right.json() == wrong.json()
        assert set(right.headers) - {"Date"} == set(wrong.headers) - {"Date"}
        assert "Set-Cookie" not in right.headers
        # A client cannot pick its own address: the front overwrites X-Forwarded-For.
        spoofed = _login(url, "alice", "alice-pass-123", **{"X-Forwarded-For": "203.0.113.9"})
        assert spoofed.status_code == 429
        # Other accounts are not locked by alice's window...
        assert _login(url, "bob", "bob-pass-123").status_code == 200
        # ...and alice's own window empties by itself: throttling, not a lockout.
        time.sleep(int(wrong.headers["Retry-After"]) + 0.2)
        assert _login(url, "alice", "alice-pass-123").status_code == 200
        # Password spraying: one failure each on many accounts, all from one address. The
        # address window (12 per minute) already holds alice's 4 failures.
        for number in range(8):
            assert _login(url, f"user{number:04d}", "spray").status_code == 401
        sprayed = _login(url, "user0100", "spray")
        assert_json_error(sprayed, 429, "rate_limited")
        assert int(sprayed.headers["Retry-After"]) >= 1
