"""Property-based tests of every variant from the one OpenAPI spec (Schemathesis).

Schemathesis generates requests from ``shared/openapi.yaml`` (valid and invalid) and checks
that no response is a server error and that every response fits the spec. It runs logged
in, with the style's credential in headers, so the authenticated operations are exercised
too, and statefully: the spec's links carry the credential a ``POST /login`` answers with
into ``/me``, the cart and ``/logout``, and an added product into its removal.

Bounded by cases, not seconds, so that a run does the same work on a fast machine and a
slow one: ``MAX_EXAMPLES`` per operation, Hypothesis' example database off, and each target
fuzzed twice, with a fixed seed (the same cases everywhere, every time) and with a random
seed that is printed with the command that reruns it (``AUTHKIT_FUZZ_SEED``). The
deterministic coverage phase is left out: its few hundred boundary requests per target
(most of them logins, each an argon2 hash) would cost more than both seeded runs together,
and the input classes it aims at are asserted one by one in tests/contract/test_bad_input.py.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from authkit.launcher import Target

SPEC = Path(__file__).resolve().parent.parent / "shared" / "openapi.yaml"
#: Generated cases per operation and phase: the bound of the run (more with
#: ``AUTHKIT_FUZZ_EXAMPLES``, for a deeper run than ``make test`` can afford).
MAX_EXAMPLES = int(os.environ.get("AUTHKIT_FUZZ_EXAMPLES") or 5)
FIXED_SEED = 1
#: The second seed: from the environment to rerun a failure, else new for each session.
RANDOM_SEED = int(os.environ.get("AUTHKIT_FUZZ_SEED") or secrets.randbelow(2**31))
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)
#: Logout only inside stateful scenarios, where the links give it a login of its own: the
#: other phases would log out the credential every other request of the run is sent with.
CONFIG = """
[[operations]]
include-path-regex = "^/logout"
phases.examples.enabled = false
phases.coverage.enabled = false
phases.fuzzing.enabled = false
"""


def _credential_headers(target: Target, user: tuple[str, str]) -> list[str]:
    client = target.client()
    response = client.login(*user)
    assert response.status_code == 200, response.text
    if target.style == "session":
        cookie = "; ".join(f"{k}={v}" for k, v in client.http.cookies.get_dict().items())
        return ["-H", f"Cookie: {cookie}", "-H", f"X-CSRF-Token: {client.csrf_token}"]
    return ["-H", f"Authorization: Bearer {client.access_token}"]  # type: ignore[attr-defined]


def _rerun_hint(target: Target, seed_kind: str, seed: int) -> str:
    """The command that generates the same cases against the same kind of target."""
    env = f"AUTHKIT_FUZZ_SEED={seed} " if seed_kind == "random-seed" else ""
    return (
        f"rerun: {env}AUTHKIT_FUZZ_EXAMPLES={MAX_EXAMPLES} {Path(sys.executable).name} -m "
        f"pytest tests/test_schemathesis.py --variant '{target.id}' -k {seed_kind}"
    )


@pytest.mark.parametrize("seed_kind", ["fixed-seed", "random-seed"])
def test_generated_requests_never_break_the_contract(
    target: Target, user: tuple[str, str], tmp_path: Path, seed_kind: str
) -> None:
    st = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")
    assert st, "schemathesis is a dev dependency: pip install -e '.[dev]'"
    seed = FIXED_SEED if seed_kind == "fixed-seed" else RANDOM_SEED
    hint = _rerun_hint(target, seed_kind, seed)
    print(f"schemathesis seed {seed} on {target.id}; {hint}")
    # In a temporary directory: schemathesis reads its config and keeps a cache in the
    # working directory, and a test run must not change the checkout.
    (tmp_path / "schemathesis.toml").write_text(CONFIG)
    argv = [
        st, "run", str(SPEC),
        "--url", target.url,
        "--checks", CHECKS,
        "--max-examples", str(MAX_EXAMPLES),
        "--seed", str(seed),
        "--generation-database", "none",
        # One worker: with two threads, Hypothesis' lambda descriptions iterate
        # sys.modules while the other thread imports ("dictionary changed size during
        # iteration", seen once in 24 runs here). The suite runs targets in parallel anyway.
        "--workers", "1",
        "--phases", "fuzzing,stateful",
        "--no-color",
    ]  # fmt: skip
    argv += _credential_headers(target, user)
    result = subprocess.run(
        argv, capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path
    )
    summary = result.stdout[-4000:]
    print(summary)
    assert result.returncode == 0, f"{hint}\n{summary}\n{result.stderr[-2000:]}"
    assert f"Seed: {seed}" in result.stdout, "schemathesis did not run with the seed given"
    links = re.search(r"API Links:\s+(\d+) covered", result.stdout)
    assert links, f"schemathesis printed no stateful summary\n{summary}"
    # The stateful phase really followed links of the spec, rather than finding none and
    # passing with nothing done. Asserted on the fixed seed, whose scenarios are drawn the
    # same way every run (2 or 3 of the 9 links followed in six runs here; the servers'
    # answers vary the rest): five scenarios of a random seed can all end before following
    # a link (seen once in CI: 0 of 9), and a check that fails by chance proves nothing.
    if seed_kind == "fixed-seed":
        assert int(links.group(1)) >= 1, summary
