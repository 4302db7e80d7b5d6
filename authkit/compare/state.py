"""What the parts of one ``authkit compare`` run share.

The rounds (:mod:`.rounds`), the probes (:mod:`.probing`), the cost and the audit
(:mod:`.extras`) and the document (:mod:`.document`) each read the options and write each
target's status; one object carries them so no part reaches into another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from authkit.compare.plan import Progress, Timer
from authkit.compare.results import TargetStatus
from authkit.compare.targets import Target
from authkit.server import server_settings
from authkit.variants import colour_of


@dataclass
class RunState:
    """One run's options, its output directory and port, the seeded accounts, whether its
    processes are pinned, each target's status, and the timer of its steps."""

    #: The run's :class:`~authkit.compare.runner.CompareOptions` (the runner imports this
    #: module, so the type is not imported back).
    options: Any
    out: Path
    port: int
    pinning: bool
    #: The first account the load users log in as, and how many accounts are seeded.
    first_load_user: int
    seed_count: int
    progress: Progress
    timer: Timer = field(default_factory=lambda: Timer([], Progress()))
    status: dict[str, TargetStatus] = field(default_factory=dict)

    def record(self, target: Target) -> None:
        """The target's status before anything ran: what it is, and ``skipped`` when it does
        not run on the run's database."""
        variant = target.variant
        self.status[target.name] = TargetStatus(
            kind=target.kind,
            framework=target.framework,
            baseline=target.baseline,
            style=variant.style,
            store=variant.store,
            app=variant.app,
            design=variant.design,
            colour=colour_of(variant),
            server=server_settings(variant, self.options.workers, tls=self.options.tls),
            declarations=None if target.is_baseline else variant.declarations(),
            url=self.options.urls.get(target.name),
        )
        database = self.options.database
        if variant.store == "database" and variant.databases and database not in variant.databases:
            self.status[target.name].status = "skipped"
            self.status[target.name].failure = f"does not run on {database}"

    def fail(self, target: Target, reason: str) -> None:
        self.status[target.name].status = "failed"
        self.status[target.name].failure = reason
        self.progress.note(f"[red]{target.name} failed:[/red] {reason}")

    def active(self, target: Target) -> bool:
        return self.status[target.name].status in {"pending", "ok"}

    def probed(self, target: Target) -> bool:
        """Probes restart the server with a counting wrapper: not for a baseline, a failed
        target, or one served elsewhere (``--url``)."""
        return (
            not target.is_baseline and self.active(target) and target.name not in self.options.urls
        )


def short(exc: BaseException) -> str:
    """An exception in one line: its type and the start of its first line."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200] if text else ''}".rstrip(": ")


def account(index: int) -> tuple[str, str]:
    """The seeded load account ``index``: username and password."""
    from shared.users import load_user

    return load_user(index)
