"""Idle and absolute timeouts, with settings short enough to watch them happen.

Each test starts a server of its own with short timeouts and polls, bounded, until the
credential dies: it asserts *that* and *in which order* things happen, never how fast.
"""

from __future__ import annotations

import time

from authkit.clients import ApiClient
from authkit.launcher import Target
from tests.targets import Fleet, only_targets, session_style

IDLE = 3
ABSOLUTE = 6
SHORT = {"SESSION_IDLE_SECONDS": str(IDLE), "SESSION_ABSOLUTE_SECONDS": str(ABSOLUTE)}
#: Bound on a login's return trip plus one request's trip on a loaded machine (seconds).
LATENCY = 1.5


def _login(target: Target) -> ApiClient:
    client = target.client()
    assert client.login("alice", "alice-pass-123").status_code == 200
    return client


@only_targets(session_style)
def test_idle_timeout_slides_with_activity(target_id: str, fleet: Fleet) -> None:
    with fleet.dedicated(target_id, SHORT) as target:
        client = _login(target)
        for _ in range(3):  # active for longer than the idle timeout: still logged in
            time.sleep(IDLE * 0.5)
            assert client.get("/me").status_code == 200
        time.sleep(IDLE + 1.5)  # then idle for longer than it
        assert client.get("/me").status_code == 401


@only_targets(session_style)
def test_absolute_timeout_does_not_slide(target_id: str, fleet: Fleet) -> None:
    with fleet.dedicated(target_id, SHORT) as target:
        client = _login(target)
        started = time.monotonic()  # after the server stamped the login: ages >= these
        seen: list[tuple[float, int]] = []
        while time.monotonic() - started < ABSOLUTE + 2:
            sent = time.monotonic() - started
            seen.append((sent, client.get("/me").status_code))
            time.sleep(0.5)  # busy well within the idle timeout the whole time
        statuses = [status for _, status in seen]
        assert statuses == sorted(statuses), f"once expired, never valid again: {seen}"
        # Guaranteed: a session is valid while its age is at most ABSOLUTE, and a request
        # sent at `sent` meets an age between `sent` and `sent` plus the login's return trip
        # and the request's own trip. LATENCY bounds those two trips, so a session that
        # dies early (after 1 s, say) fails here, and one that outlives ABSOLUTE fails too.
        assert all(status == 200 for sent, status in seen if sent < ABSOLUTE - LATENCY), seen
        assert all(status == 401 for sent, status in seen if sent > ABSOLUTE), seen
        assert statuses[-1] == 401


@only_targets(lambda i: not session_style(i))
def test_access_token_expires_and_refresh_renews(target_id: str, fleet: Fleet) -> None:
    with fleet.dedicated(target_id, {"ACCESS_TTL_SECONDS": "2"}) as target:
        client = _login(target)
        old = client.credential()
        assert client.get("/me").status_code == 200
        deadline = time.monotonic() + 20  # the lifetime plus any leeway the variant allows
        while client.get("/me").status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert client.get("/me").status_code == 401
        assert client.refresh().status_code == 200
        assert client.get("/me").status_code == 200
        assert client.credential()["refresh_token"] != old["refresh_token"]


@only_targets(lambda i: not session_style(i))
def test_refresh_stops_at_the_absolute_timeout(target_id: str, fleet: Fleet) -> None:
    with fleet.dedicated(target_id, SHORT) as target:
        client = _login(target)
        assert client.refresh().status_code == 200
        time.sleep(ABSOLUTE + 1)
        assert client.refresh().status_code == 401
