"""The contract check a variant must pass before its numbers are taken.

It is the contract suite itself (:func:`authkit.verify.run_contract`) run against the
server about to be measured, so a variant is measured only if it serves the contract.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from authkit.verify import run_contract

CONTRACT = "contract-suite"
NONE = "none (baseline: no auth to verify)"


def verify(
    url: str,
    style: str,
    variant: str,
    log_path: Path,
    timeout: float = 300,
    ca: str | None = None,
) -> dict[str, Any]:
    """Run the contract suite against ``url``, its report in ``log_path`` (``ca``: the CA
    file of an ``https`` URL)."""
    started = time.monotonic()
    with open(log_path, "wb") as log:
        passed = run_contract(url, style, variant, output=log, timeout=timeout, ca=ca)
    return {
        "method": CONTRACT,
        "passed": passed,
        "detail": "all contract tests passed" if passed else f"failed; see {log_path.name}",
        "seconds": round(time.monotonic() - started, 2),
        "log": log_path.name,
    }
