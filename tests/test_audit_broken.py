"""Every audit check catches its failure: run against deliberately broken servers, each
check reports a ``finding``, never ``held``.

The broken servers are real variants (flask-sessions, jwt-denylist) behind one WSGI saboteur
each (:mod:`tests.sabotage`), registered as a plugin (:mod:`tests.sabotage_plugin`, through
``AUTHKIT_PLUGINS``) and served like any variant: gunicorn behind the kit's nginx, on
private Redis. :data:`CAUGHT_BY` names, for every check in ``CHECKS``, the broken servers
that must make it report a finding; a check without an entry fails the suite, so a new
check comes with the proof that it can fail.

Servers run one after another (one worker each: some saboteurs keep state in the process),
and each runs only the checks its sabotage is meant to trip.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
from collections.abc import Iterator

import pytest

from authkit.audit.checks import CHECKS, FINDING, Observation, run_check
from authkit.audit.runner import AUDIT_ENV
from authkit.launcher import Launcher
from authkit.variants import VARIANTS

PLUGIN = "tests.sabotage_plugin"

S_DENY = "broken-session-deny-all"
S_LOGOUT = "broken-session-logout-noop"
S_COOKIE = "broken-session-cookie-flags"
S_DEBUG = "broken-session-debug-pages"
S_QUERY = "broken-session-credential-from-query"
S_CSRF = "broken-session-csrf-off"
S_ENUM = "broken-session-skip-hash-for-unknown"
S_THROTTLE = "broken-session-no-throttle"
S_BARE = "broken-session-no-front"
S_STORE_DOWN = "broken-session-store-down"
S_HEADERS = "broken-session-no-security-headers"
S_GET = "broken-session-get-as-post"
S_INSECURE_COOKIE = "broken-session-insecure-cookie"
S_HSTS_OFF = "broken-session-hsts-off"
S_PLAIN_SERVED = "broken-session-plain-served"
B_DENY = "broken-bearer-deny-all"
B_LOGOUT = "broken-bearer-logout-noop"
B_SIGNATURE = "broken-bearer-ignore-signature"
B_CLAIMS = "broken-bearer-ignore-claims"
B_QUERY = "broken-bearer-credential-from-query"
B_CROSS = "broken-bearer-cross-site-crash"
B_REPLAY = "broken-bearer-refresh-replay"

#: The servers on which a check may stop at its precondition (the login fails).
REFUSE_EVERYTHING = {S_DENY, B_DENY}

#: Served without the buffering front: gunicorn faces the clients itself.
WITHOUT_FRONT = {S_BARE}
#: Served over HTTPS, as the transport rows need.
OVER_TLS = {S_INSECURE_COOKIE, S_HSTS_OFF, S_PLAIN_SERVED}
#: Its plain-HTTP face serves the app (the front's observer listener) instead of a redirect.
PLAIN_SERVES_APP = {S_PLAIN_SERVED}

#: Check id -> the broken servers on which it must report a finding.
CAUGHT_BY: dict[str, tuple[str, ...]] = {
    "session-id-entropy": (S_DENY,),
    "fixation": (S_DENY,),
    "unissued-id": (S_DENY,),
    "cookie-httponly": (S_COOKIE, S_DENY),
    "cookie-samesite": (S_COOKIE,),
    "cookie-scope": (S_COOKIE,),
    "credential-in-url": (S_QUERY, B_QUERY),
    "tampered-credential": (B_SIGNATURE, S_DENY),
    "logout-replay": (S_LOGOUT, B_LOGOUT),
    "logout-all-replay": (S_LOGOUT, B_LOGOUT, S_DENY),
    "jwt-alg-none": (B_SIGNATURE,),
    "jwt-key-confusion": (B_SIGNATURE,),
    "jwt-embedded-jwk": (B_SIGNATURE,),
    "jwt-remote-key": (B_SIGNATURE,),
    "jwt-kid": (B_SIGNATURE,),
    "jwt-aud-iss": (B_CLAIMS, B_DENY),
    "jwt-expiry": (B_CLAIMS, B_DENY),
    "jwt-explicit-typ": (B_CLAIMS, B_DENY),
    "jwt-type-swap": (B_CLAIMS,),
    "refresh-reuse": (B_REPLAY, B_DENY),
    "refresh-parallel": (B_REPLAY, B_DENY),
    "csrf-missing": (S_CSRF,),
    "csrf-wrong": (S_CSRF,),
    "csrf-other-session": (S_CSRF,),
    "csrf-simple-content-types": (S_CSRF,),
    "csrf-fetch-metadata": (S_CSRF, B_CROSS, B_DENY),
    "cross-site-form": (S_CSRF,),
    "get-does-not-change-state": (S_GET, S_DENY),
    "enumeration-body": (S_ENUM,),
    "enumeration-timing": (S_ENUM,),
    "throttle-brute-force": (S_THROTTLE,),
    "login-bad-bodies": (S_DEBUG,),
    "body-limit-declared": (S_DENY,),
    "body-limit-chunked": (S_DENY,),
    "malformed-json": (S_DEBUG,),
    "wrong-content-type": (S_DEBUG,),
    "quantity-types": (S_DEBUG,),
    "extra-fields": (S_DENY,),
    "unknown-product": (S_DEBUG,),
    "oversized-header": (S_BARE,),
    "slow-clients": (S_BARE,),
    "security-headers": (S_HEADERS, S_DENY),
    "error-envelope-app": (S_DEBUG,),
    "error-envelope-server": (S_BARE,),
    "no-stack-traces": (S_DEBUG,),
    "unknown-host": (S_DEBUG, S_DENY),
    "health": (S_STORE_DOWN, S_DENY),
    "lone-surrogates": (S_DEBUG, S_DENY),
    "username-control-chars": (S_DEBUG, S_DENY),
    "bad-bytes-cookie-path": (S_DEBUG, S_DENY),
    "plain-http-refused": (S_PLAIN_SERVED,),
    "hsts": (S_HSTS_OFF,),
    "cookie-secure-host": (S_INSECURE_COOKIE,),
}

CHECKS_BY_ID = {c.id: c for c in CHECKS}


@contextlib.contextmanager
def _broken_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The plugin's entries in this process's registry (and, through ``AUTHKIT_PLUGINS``, in
    every process the kit starts), removed again afterwards."""
    monkeypatch.setenv("AUTHKIT_PLUGINS", PLUGIN)
    before = set(VARIANTS)
    plugin = importlib.import_module(PLUGIN)
    for name in plugin.BROKEN:  # also when imported before: entries removed since
        VARIANTS.setdefault(name, plugin.broken_variant(name))
    try:
        yield
    finally:
        for name in set(VARIANTS) - before:
            del VARIANTS[name]


@pytest.fixture(scope="module")
def observations() -> Iterator[dict[tuple[str, str], Observation]]:
    """(check id, broken server) -> what the check reported, for every pair of CAUGHT_BY."""
    with pytest.MonkeyPatch.context() as monkeypatch, _broken_registry(monkeypatch):
        servers = sorted({name for names in CAUGHT_BY.values() for name in names})
        results: dict[tuple[str, str], Observation] = {}
        for name in servers:
            # A private Redis each: no server sees another's sessions or throttle counters.
            front = "none" if name in WITHOUT_FRONT else None
            with (
                Launcher.private_stores(redis=True) as stores,
                Launcher(env=AUDIT_ENV).dedicated(
                    VARIANTS[name],
                    stores=stores,
                    workers=1,
                    front=front,
                    tls=name in OVER_TLS,
                    observer=name in PLAIN_SERVES_APP,
                ) as served,
            ):
                # The launcher's target carries the HS256 key, as the audit's own do.
                target = served
                if name in PLAIN_SERVES_APP:
                    assert served.server and served.server.front
                    target = dataclasses.replace(served, plain_url=served.server.front.observer_url)
                for check_id, names in CAUGHT_BY.items():
                    if name in names and check_id in CHECKS_BY_ID:
                        results[(check_id, name)] = run_check(CHECKS_BY_ID[check_id], target)
        yield results


def test_every_check_has_a_broken_server_that_it_must_catch() -> None:
    missing = [c.id for c in CHECKS if not CAUGHT_BY.get(c.id)]
    assert not missing, f"checks without a broken server in CAUGHT_BY: {missing}"
    stale = sorted(set(CAUGHT_BY) - set(CHECKS_BY_ID))
    assert not stale, f"CAUGHT_BY names checks that no longer exist: {stale}"


@pytest.mark.parametrize("check_id", list(CAUGHT_BY))
def test_check_reports_a_finding_on_its_broken_servers(
    check_id: str, observations: dict[tuple[str, str], Observation]
) -> None:
    if check_id not in CHECKS_BY_ID:
        pytest.fail(f"{check_id} is not in CHECKS")
    for server in CAUGHT_BY[check_id]:
        observation = observations[(check_id, server)]
        print(f"{check_id}[{server}]: {observation.outcome} ({observation.detail})")
        assert observation.outcome == FINDING, f"{server}: {observation}"
        # A check that crashed proves nothing; past a refuse-everything server, the check
        # must reach its own verdict, not stop at a precondition.
        assert not observation.detail.startswith("check failed"), f"{server}: {observation}"
        if server not in REFUSE_EVERYTHING:
            assert not observation.detail.startswith("precondition failed"), observation
