"""Running the audit: start the variants (or take a URL), run every check, collect a matrix.

:func:`audit_matrix` is the one entry point that returns the matrix as data, for the
command, the compare report and the README.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from authkit.audit.checks import CHECKS, DIFFERS, FINDING, HELD, NA, Check, run_check
from authkit.front import default_front
from authkit.launcher import Launcher, Target
from authkit.variants import VARIANTS
from shared.throttle import LoginLimits

#: Settings of the servers the audit starts: the kit's defaults (login limits included),
#: with enough load users for every check to log in as a user of its own.
AUDIT_ENV = {"SEED_LOAD_USERS": "1000"}


@dataclass
class AuditMatrix:
    """Rows (checks) x columns (targets), each cell an observation, plus how it was run."""

    targets: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def findings(self) -> list[tuple[str, str, str]]:
        """(check, target, detail) of every cell that contradicts its declaration."""
        return [
            (row["id"], name, cell["detail"])
            for row in self.rows
            for name, cell in row["cells"].items()
            if cell["outcome"] == FINDING
        ]

    def counts(self) -> dict[str, int]:
        counts = {HELD: 0, DIFFERS: 0, FINDING: 0, NA: 0}
        for row in self.rows:
            for cell in row["cells"].values():
                counts[cell["outcome"]] += 1
        return counts

    def as_dict(self) -> dict[str, Any]:
        return {
            "targets": self.targets,
            "rows": self.rows,
            "settings": self.settings,
            "seconds": round(self.seconds, 1),
            "counts": self.counts(),
        }


@contextlib.contextmanager
def started_targets(
    variants: Iterable[str], database: str = "sqlite", tls: bool = False
) -> Iterator[list[Target]]:
    """Serve each variant (behind the default front, over HTTPS with ``tls``), apart from
    the others; yield targets."""
    with Launcher(env=AUDIT_ENV) as launcher:
        yield [launcher.target(name, database=database, tls=tls) for name in variants]


def url_target(
    url: str, style: str, variant: str | None = None, verify: str | bool = True
) -> Target:
    """A server somebody else runs; its declarations come from the registry when named;
    ``verify``: the CA file an ``https`` URL's certificate chains to (True: the system's)."""
    return Launcher.external(url, style, variant, verify=verify)


def run_audit(targets: list[Target], checks: list[Check] | None = None) -> AuditMatrix:
    """Run every check against every target (targets one after another)."""
    started = time.perf_counter()
    checks = CHECKS if checks is None else checks
    matrix = AuditMatrix(targets=[t.name for t in targets])
    cells: dict[str, dict[str, dict[str, str]]] = {c.id: {} for c in checks}
    for target in targets:
        for check_ in checks:
            observation = run_check(check_, target)
            cells[check_.id][target.name] = {
                "outcome": observation.outcome,
                "detail": observation.detail,
            }
    for check_ in checks:
        matrix.rows.append(
            {
                "id": check_.id,
                "group": check_.group,
                "title": check_.title,
                "reference": check_.reference,
                "cells": cells[check_.id],
            }
        )
    matrix.seconds = time.perf_counter() - started
    return matrix


def audit_matrix(
    variants: Iterable[str] | None = None,
    url: str | None = None,
    style: str | None = None,
    variant: str | None = None,
    database: str = "sqlite",
    tls: bool = False,
    ca: str | None = None,
) -> AuditMatrix:
    """The audit matrix as data: of ``url`` (with ``style``; ``ca``: the CA file an https URL
    chains to), or of variants it starts itself (over HTTPS with ``tls``)."""
    if url:
        if not style:
            raise ValueError("auditing a URL needs its auth style (session or bearer)")
        matrix = run_audit([url_target(url, style, variant, verify=ca or True)])
        matrix.settings = {"url": url, "style": style}
        return matrix
    names = list(variants or VARIANTS)
    with started_targets(names, database, tls) as targets:
        matrix = run_audit(targets)
    matrix.settings = {
        "front": default_front(),
        "tls": tls,
        "database": database,
        "login_limits": LoginLimits.from_env().as_dict(),
    }
    return matrix
