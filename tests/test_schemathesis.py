"""Property-based tests of every variant from the one OpenAPI spec (Schemathesis).

Schemathesis generates thousands of requests from ``shared/openapi.yaml`` (valid and
invalid) and checks that no response is a server error and that every response fits the
spec. It runs logged in, with the style's credential in headers, so the authenticated
operations are exercised too; logout is left out so the credential lives through the run.
Bounded: ``MAX_SECONDS`` per target, loopback only.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.targets import Target

SPEC = Path(__file__).resolve().parent.parent / "shared" / "openapi.yaml"
MAX_SECONDS = 20
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)


def _credential_headers(target: Target, user: tuple[str, str]) -> list[str]:
    client = target.client()
    assert client.login(*user).status_code == 200
    if target.style == "session":
        cookie = "; ".join(f"{k}={v}" for k, v in client.http.cookies.get_dict().items())
        return ["-H", f"Cookie: {cookie}", "-H", f"X-CSRF-Token: {client.csrf_token}"]
    return ["-H", f"Authorization: Bearer {client.access_token}"]  # type: ignore[attr-defined]


def test_generated_requests_never_break_the_contract(
    target: Target, user: tuple[str, str], tmp_path: Path
) -> None:
    st = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")
    assert st, "schemathesis is a dev dependency: pip install -e '.[dev]'"
    argv = [
        st, "run", str(SPEC),
        "--url", target.url,
        "--checks", CHECKS,
        "--max-time", str(MAX_SECONDS),
        "--workers", "2",
        "--phases", "examples,coverage,fuzzing",
        "--exclude-path-regex", "^/logout",
        "--seed", "1",
        "--no-color",
    ]  # fmt: skip
    argv += _credential_headers(target, user)
    # In a temporary directory: schemathesis keeps a cache in ./.schemathesis, and a test
    # run must not change the checkout (``git status`` stays clean after ``make test``).
    result = subprocess.run(
        argv, capture_output=True, text=True, timeout=MAX_SECONDS + 120, check=False, cwd=tmp_path
    )
    summary = result.stdout[-4000:]
    print(summary)
    assert result.returncode == 0, summary
    assert " passed" in summary
