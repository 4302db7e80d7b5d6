"""The audit's checks, run by pytest: the same functions ``authkit audit`` runs.

One test per check and variant, against servers started the way the audit starts them
(behind the default front, with the kit's default login limits). A ``finding`` fails the
test; a ``declared difference`` passes, because the variant declares it (the check itself
compares with the declaration).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from authkit.audit.checks import CHECKS, FINDING, NA, AuditTarget, Check, run_check
from authkit.audit.render import to_markdown
from authkit.audit.runner import run_audit, started_targets
from authkit.cli import main
from authkit.variants import VARIANTS

VARIANT_NAMES = list(VARIANTS)


@pytest.fixture(scope="module")
def audit_targets(request: pytest.FixtureRequest) -> Iterator[dict[str, AuditTarget]]:
    wanted = request.config.getoption("--variant") or VARIANT_NAMES
    names = [n for n in VARIANT_NAMES if n in wanted or any(w.startswith(n) for w in wanted)]
    with started_targets(names) as targets:
        yield {t.name: t for t in targets}


def test_the_matrix_has_at_least_40_rows_each_with_a_reference() -> None:
    assert len(CHECKS) >= 40
    assert len({c.id for c in CHECKS}) == len(CHECKS)
    assert all(c.reference and c.title for c in CHECKS)


@pytest.mark.parametrize("variant", VARIANT_NAMES)
@pytest.mark.parametrize("check", CHECKS, ids=[c.id for c in CHECKS])
def test_check(check: Check, variant: str, audit_targets: dict[str, AuditTarget]) -> None:
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


def test_matrix_renders_as_markdown(audit_targets: dict[str, AuditTarget]) -> None:
    targets = list(audit_targets.values())[:1]
    matrix = run_audit(targets, [c for c in CHECKS if c.id in {"health", "unknown-host"}])
    text = to_markdown(matrix)
    assert "| check | reference |" in text and "held" in text
    assert not matrix.findings


def test_audit_command_against_a_url(
    audit_targets: dict[str, AuditTarget], capsys: pytest.CaptureFixture[str]
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
