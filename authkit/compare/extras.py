"""The two measurements a run adds apart from its load rounds: counted cost and audit.

Both call another authkit command in-process, over the variants measured here: the counts
that do not move between runs (:mod:`authkit.cost`: instructions and system calls per
request) and the security matrix (:mod:`authkit.audit`). Either can fail on its own: the
failure is noted in the results and the load numbers stand.
"""

from __future__ import annotations

from typing import Any

from authkit.audit.runner import audit_matrix
from authkit.compare.plan import AUDIT_STEP, COST_STEP
from authkit.compare.state import RunState, short
from authkit.compare.targets import Target
from authkit.cost.runner import run_cost


def counted_cost(run: RunState, targets: list[Target]) -> dict[str, Any]:
    """``authkit cost`` of the active variants (``{"error": ...}`` when it fails)."""
    names = [t.name for t in targets if not t.is_baseline and run.active(t)]
    with run.timer.step(COST_STEP):
        try:
            return run_cost(names, log=lambda line: None)
        except Exception as exc:
            run.progress.note(f"[yellow]counted cost failed: {short(exc)}[/yellow]")
            return {"error": short(exc)}


def security_audit(run: RunState, targets: list[Target]) -> dict[str, Any]:
    """``authkit audit`` of the active variants served here (``{"error": ...}`` on failure)."""
    names = [
        t.name
        for t in targets
        if not t.is_baseline and run.active(t) and t.name not in run.options.urls
    ]
    with run.timer.step(AUDIT_STEP):
        try:
            matrix = audit_matrix(names, database=run.options.database, tls=run.options.tls)
            return matrix.as_dict()
        except Exception as exc:
            run.progress.note(f"[yellow]security audit failed: {short(exc)}[/yellow]")
            return {"error": short(exc)}
