"""The audit's checks, run by pytest: the same functions ``authkit audit`` runs.

One test per check and variant, against servers started the way the audit starts them
(behind the default front, with the kit's default login limits). A ``finding`` fails the
test; a ``declared difference`` passes, because the variant declares it (the check itself
compares with the declaration). The main variants are audited over HTTPS as well
(``test_check_over_tls``), where the transport rows apply and must hold.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator

import pytest
import requests

from authkit.audit.checks import CHECKS, FINDING, HELD, NA, Check, run_check, transport
from authkit.audit.render import to_markdown
from authkit.audit.runner import run_audit, started_targets
from authkit.cli import main
from authkit.launcher import Target
from authkit.variant_sets import variant_sets
from authkit.variants import VARIANTS
from shared import anonymous_csrf

VARIANT_NAMES = list(VARIANTS)
#: The main variants (``make compare``'s set), audited over HTTPS as well.
TLS_NAMES = list(variant_sets()["main"])
#: The HTTPS audit's servers are its own: in an xdist group (a worker) of their own, so they
#: start beside the HTTP audit's instead of after them.
OVER_TLS = pytest.mark.xdist_group("audit-over-tls")


def _selected(request: pytest.FixtureRequest, names: list[str]) -> list[str]:
    wanted = request.config.getoption("--variant") or names
    return [n for n in names if n in wanted or any(w.startswith(n) for w in wanted)]


@pytest.fixture(scope="module")
def audit_targets(request: pytest.FixtureRequest) -> Iterator[dict[str, Target]]:
    with started_targets(_selected(request, VARIANT_NAMES)) as targets:
        yield {t.name: t for t in targets}


@pytest.fixture(scope="module")
def tls_audit_targets(request: pytest.FixtureRequest) -> Iterator[dict[str, Target]]:
    with started_targets(_selected(request, TLS_NAMES), tls=True) as targets:
        yield {t.name: t for t in targets}


#: The report's rows, in its order: a check moved between modules must not move its row.
REPORT_ROWS = [
    "session-id-entropy",
    "fixation",
    "unissued-id",
    "cookie-httponly",
    "cookie-samesite",
    "cookie-scope",
    "credential-in-url",
    "tampered-credential",
    "logout-replay",
    "logout-all-replay",
    "jwt-alg-none",
    "jwt-key-confusion",
    "jwt-embedded-jwk",
    "jwt-remote-key",
    "jwt-kid",
    "jwt-aud-iss",
    "jwt-expiry",
    "jwt-explicit-typ",
    "jwt-type-swap",
    "refresh-reuse",
    "refresh-parallel",
    "csrf-missing",
    "csrf-wrong",
    "csrf-other-session",
    "csrf-simple-content-types",
    "csrf-fetch-metadata",
    "cross-site-form",
    "get-does-not-change-state",
    "enumeration-body",
    "enumeration-timing",
    "throttle-brute-force",
    "login-bad-bodies",
    "body-limit-declared",
    "body-limit-chunked",
    "malformed-json",
    "wrong-content-type",
    "quantity-types",
    "extra-fields",
    "unknown-product",
    "oversized-header",
    "slow-clients",
    "security-headers",
    "error-envelope-app",
    "error-envelope-server",
    "no-stack-traces",
    "unknown-host",
    "health",
    "lone-surrogates",
    "username-control-chars",
    "bad-bytes-cookie-path",
    "plain-http-refused",
    "hsts",
    "cookie-secure-host",
]


def test_the_rows_keep_the_report_order() -> None:
    assert [c.id for c in CHECKS] == REPORT_ROWS


def test_the_matrix_has_at_least_40_rows_each_with_a_reference() -> None:
    assert len(CHECKS) >= 40
    assert len({c.id for c in CHECKS}) == len(CHECKS)
    assert all(c.reference and c.title for c in CHECKS)


@pytest.mark.parametrize("variant", VARIANT_NAMES)
@pytest.mark.parametrize("check", CHECKS, ids=[c.id for c in CHECKS])
def test_check(check: Check, variant: str, audit_targets: dict[str, Target]) -> None:
    if variant not in audit_targets:
        pytest.skip(f"{variant} not selected (--variant)")
    observation = run_check(check, audit_targets[variant])
    print(f"{check.id}[{variant}]: {observation.outcome} ({observation.detail})")
    assert observation.outcome != FINDING, observation.detail
    if observation.outcome == NA:
        style = audit_targets[variant].style
        assert "bearer" in observation.detail or "session" in observation.detail, (
            f"a row that does not apply to {style} must say why: {observation.detail}"
        )


@OVER_TLS
@pytest.mark.parametrize("variant", TLS_NAMES)
@pytest.mark.parametrize("check", CHECKS, ids=[c.id for c in CHECKS])
def test_check_over_tls(check: Check, variant: str, tls_audit_targets: dict[str, Target]) -> None:
    """Every row over HTTPS too; there the transport rows apply and must hold (the cookie
    row is n/a only for a bearer variant, which sets no cookie)."""
    if variant not in tls_audit_targets:
        pytest.skip(f"{variant} not selected (--variant)")
    target = tls_audit_targets[variant]
    assert target.tls and target.plain_url, target
    observation = run_check(check, target)
    print(f"{check.id}[{variant}+tls]: {observation.outcome} ({observation.detail})")
    assert observation.outcome != FINDING, observation.detail
    if check.run.__module__ == transport.__name__:
        expected = {HELD} if target.style == "session" else {HELD, NA}
        assert observation.outcome in expected, observation
    if observation.outcome == NA:
        assert "bearer" in observation.detail or "session" in observation.detail, observation


def test_matrix_renders_as_markdown(audit_targets: dict[str, Target]) -> None:
    targets = list(audit_targets.values())[:1]
    matrix = run_audit(targets, [c for c in CHECKS if c.id in {"health", "unknown-host"}])
    text = to_markdown(matrix)
    assert "| check | reference |" in text and "held" in text
    assert not matrix.findings


def test_audit_command_against_a_url(
    audit_targets: dict[str, Target], capsys: pytest.CaptureFixture[str]
) -> None:
    """``authkit audit --url``: any server; forgeries needing the key are not applicable."""
    target = audit_targets.get("jwt-denylist") or next(iter(audit_targets.values()))
    argv = ["audit", "--url", target.url, "--style", target.style, "--variant", target.name]
    assert main([*argv, "--format", "json"]) == 0
    matrix = json.loads(capsys.readouterr().out)
    assert len(matrix["rows"]) >= 40
    cells = {row["id"]: row["cells"][target.name] for row in matrix["rows"]}
    assert all(cell["outcome"] != FINDING for cell in cells.values()), cells
    if target.style == "bearer":
        assert cells["jwt-expiry"]["outcome"] == NA


@OVER_TLS
def test_audit_command_against_an_https_url_with_its_ca(
    tls_audit_targets: dict[str, Target], capsys: pytest.CaptureFixture[str]
) -> None:
    """``authkit audit --url https://... --ca``: the transport rows judged from outside (on
    a non-default port the plain-HTTP face is the TLS port itself)."""
    target = next(t for t in tls_audit_targets.values() if t.style == "session")
    assert isinstance(target.verify, str)
    argv = ["audit", "--url", target.url, "--style", target.style, "--variant", target.name]
    assert main([*argv, "--ca", target.verify, "--format", "json"]) == 0
    cells = {
        row["id"]: row["cells"][target.name] for row in json.loads(capsys.readouterr().out)["rows"]
    }
    assert all(cell["outcome"] != FINDING for cell in cells.values()), cells
    for row in ("plain-http-refused", "hsts", "cookie-secure-host"):
        assert cells[row]["outcome"] == HELD, (row, cells[row])


def test_anonymous_csrf_compares_the_signature() -> None:
    """A value with the right prefix, nonce and length but a wrong signature reaches the HMAC
    comparison (the prefix and length checks pass) and is refused there."""
    secret = "s" * 48
    issued = anonymous_csrf.anonymous_id(secret, None)
    assert anonymous_csrf.is_anonymous_id(secret, issued)
    forged = issued[:-1] + ("0" if issued[-1] != "0" else "1")
    assert forged.startswith(anonymous_csrf.PREFIX) and len(forged) == len(issued)
    assert not anonymous_csrf.is_anonymous_id(secret, forged)
    assert not anonymous_csrf.is_anonymous_id("t" * 48, issued)  # another server's key
    assert anonymous_csrf.anonymous_id(secret, forged) != forged


#: Bearer variants have no anonymous session cookie to forge.
SESSION_VARIANT_NAMES = [name for name in VARIANT_NAMES if VARIANTS[name].style == "session"]


@pytest.mark.parametrize("variant", SESSION_VARIANT_NAMES)
def test_csrf_replaces_an_anonymous_id_with_a_wrong_signature(
    variant: str, audit_targets: dict[str, Target]
) -> None:
    """A planted anonymous ID with the right prefix and a wrong signature is replaced.

    Where the anonymous token lives in a signed cookie session (flask-cookie) the server
    issues no anonymous ID; the planted value must still not be adopted.
    """
    if variant not in audit_targets:
        pytest.skip(f"{variant} not selected (--variant)")
    target = audit_targets[variant]
    first = requests.get(target.url + "/csrf", timeout=10, verify=target.verify)
    assert first.status_code == 200, first.text
    (name, issued), *_ = first.cookies.items()
    again = requests.get(
        target.url + "/csrf", cookies={name: issued}, timeout=10, verify=target.verify
    )
    # The server's own cookie is kept, with the same token: so a replaced ID below is the
    # signature's doing, not a server that replaces every cookie.
    assert again.cookies.get(name) in (None, issued)
    assert "max-age=0" not in again.headers.get("Set-Cookie", "").lower(), again.headers
    assert again.json()["csrf_token"] == first.json()["csrf_token"]
    if issued.startswith(anonymous_csrf.PREFIX):
        forged = issued[:-1] + ("0" if issued[-1] != "0" else "1")
    else:
        forged = anonymous_csrf.anonymous_id("another server's key " * 3, None)
    answer = requests.get(
        target.url + "/csrf", cookies={name: forged}, timeout=10, verify=target.verify
    )
    assert answer.status_code == 200, answer.text
    assert answer.cookies.get(name) not in (None, forged), answer.headers.get("Set-Cookie")
    assert answer.json()["csrf_token"] != first.json()["csrf_token"]


@pytest.mark.parametrize("check_id", ["jwt-aud-iss", "jwt-expiry", "jwt-explicit-typ"])
def test_a_wrong_signing_key_is_a_finding_not_held(
    check_id: str, audit_targets: dict[str, Target]
) -> None:
    """With a key the server does not use, every forgery would be a 401 for the wrong reason."""
    bearer = [t for t in audit_targets.values() if t.style == "bearer" and t.jwt_key]
    if not bearer:
        pytest.skip("no bearer variant with its signing key selected (--variant)")
    wrong = dataclasses.replace(bearer[0], jwt_key=b"not-the-server-key" * 3)
    check = next(c for c in CHECKS if c.id == check_id)
    observation = run_check(check, wrong)
    assert observation.outcome == FINDING, observation
    assert "key does not sign accepted tokens" in observation.detail, observation
    assert run_check(check, bearer[0]).outcome != FINDING  # the right key: a real verdict


def test_session_id_entropy_is_not_claimed_for_signed_cookies(
    audit_targets: dict[str, Target],
) -> None:
    """A signed cookie carries the session's data: not a random ID, so not "held"."""
    check = next(c for c in CHECKS if c.id == "session-id-entropy")
    sessions = [t for t in audit_targets.values() if t.style == "session"]
    if not sessions:
        pytest.skip("no session variant selected (--variant)")
    for target in sessions:
        observation = run_check(check, target)
        expected = NA if target.declared["session_state"] == "client" else HELD
        assert observation.outcome == expected, (target.name, observation)
