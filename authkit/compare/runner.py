"""``authkit compare``: its options, and the run that wires the parts in order.

A run plans its steps (:mod:`.plan`), serves and measures every target in rotating rounds
(:mod:`.rounds`), probes each verified variant (:mod:`.probing`), counts the cost and audits
(:mod:`.extras`), and writes the document (:mod:`.document`). With two or more usable cores
the server and its store are pinned to core 0 and the load generator to core 1.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from authkit.compare import extras, loadgen, plan
from authkit.compare import results as results_module
from authkit.compare.document import document
from authkit.compare.measure import LOAD_CORE, SERVER_CORE, can_pin, pin, tree_pids
from authkit.compare.plan import Progress, Timer
from authkit.compare.probing import Probing
from authkit.compare.results import ResultSet
from authkit.compare.rounds import Rounds
from authkit.compare.state import RunState
from authkit.compare.targets import select_targets
from authkit.launcher import Launcher, stores_for
from authkit.scenarios import SCENARIOS
from authkit.server import DEFAULT_WORKERS, project_root
from authkit.services import REDIS_PERSISTENCE, free_port

#: Load users the contract suite may use (tests/targets.py seeds 400).
CONTRACT_USERS = 400


def default_scenarios() -> list[str]:
    """The registry's default set; a wrk scenario without wrk installed gives way to the
    Locust scenario it is preferred over (the ceiling to ``read``)."""
    chosen = []
    for scenario in SCENARIOS.values():
        if not scenario.default:
            continue
        if scenario.tool == "wrk" and not loadgen.wrk_path() and scenario.preferred_over:
            chosen.append(scenario.preferred_over)
        else:
            chosen.append(scenario.name)
    return chosen


def _option(default: Any, help: str, **extra: Any) -> Any:
    """A :class:`CompareOptions` field that is also a command-line option (declared once:
    :mod:`authkit.compare.cli` builds the parser from these fields)."""
    factory = extra.pop("default_factory", None)
    metadata = {"help": help, **extra}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass
class CompareOptions:
    variants: list[str] | None = _option(
        None,
        "variant names or sets: main (the default: the variants the registry marks "
        "in_default_compare), all, server-side, client-side",
        nargs="+",
        metavar="NAME",
    )
    scenarios: list[str] = _option(
        None, "scenarios to run", nargs="+", metavar="SCENARIO", default_factory=default_scenarios
    )
    duration: float = _option(3.0, "measured seconds per Locust run")
    warmup: float = _option(1.5, "unmeasured seconds before each Locust window")
    login_duration: float = _option(3.0, "measured seconds of the login run")
    ceiling_duration: float = _option(2.5, "seconds of each wrk ceiling run")
    users: int = _option(16, "Locust users")
    login_users: int = _option(8, "users in the login run")
    rounds: int = _option(2, "rounds (targets in rotating order)")
    database: str = _option("sqlite", "database of database-backed variants",
                            choices=["sqlite", "postgres"])  # fmt: skip
    out: Path | None = _option(None, "output directory (default reports/<timestamp>)", type=Path)
    paced_rate: float = _option(100.0, "requests/s offered in the paced run")
    revocation_lifetime: int = _option(5, "credential lifetime (s) in the revocation probe")
    workers: int = _option(DEFAULT_WORKERS, "gunicorn workers")
    verify: bool = _option(True, "skip the contract check (numbers unverified)",
                           flag="--no-verify")  # fmt: skip
    pin: bool = _option(True, "do not pin processes to cores", flag="--no-pin")
    screenshots: bool = _option(
        True, "no screenshots of each variant's page in Chromium", flag="--no-screenshots"
    )
    #: Crash a private Redis under each Redis-backed variant, with and without persistence,
    #: and record what was lost (``authkit.compare.restart_loss``; a few seconds each).
    restart_loss: bool = _option(
        False,
        "also crash a private Redis under each Redis-backed variant, with and without "
        "persistence, and record what is lost (a few seconds per variant)",
    )
    cost: bool = _option(
        True,
        "skip the counted cost (authkit cost: instructions and system calls per request)",
        flag="--no-cost",
    )
    audit: bool = _option(
        True, "skip the security audit (authkit audit) of the variants", flag="--no-audit"
    )
    redis_persistence: str | None = _option(
        None,
        "the private Redis: append-only file (default) or none (a pure cache)",
        choices=REDIS_PERSISTENCE,
    )
    #: ``--url NAME=URL``: variants already running elsewhere (e.g. two instances behind a
    #: load balancer in docker compose), loaded and verified there instead of started here.
    urls: dict[str, str] = _option(
        None,
        "measure variant NAME at a server already running at URL (e.g. behind a load "
        "balancer) instead of starting it: verified and loaded there; no server CPU, no probes",
        flag="--url",
        action="append",
        metavar="NAME=URL",
        type=lambda text: parse_name_url(text),
        default_factory=dict,
    )

    @property
    def login_warmup(self) -> float:
        """The login run needs little warm-up: its users do not log in before they start."""
        return min(self.warmup, 1.0)


def parse_name_url(text: str) -> tuple[str, str]:
    """``NAME=http://HOST:PORT`` from the command line."""
    name, sep, url = text.partition("=")
    if not sep or not url.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"expected NAME=http://HOST:PORT, got {text!r}")
    return name, url


class Comparison:
    """One ``authkit compare`` run."""

    def __init__(self, options: CompareOptions, progress: Progress | None = None) -> None:
        self.options = options
        self.progress = progress or Progress()
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        self.out = Path(options.out or Path("reports") / stamp).resolve()
        self.targets, self.unknown = select_targets(options.variants)
        # The contract suite logs in as user0000..user0399 (and leaves carts behind);
        # the load users come after them, the probe's accounts last.
        self.state = RunState(
            options=options,
            out=self.out,
            port=free_port(),
            pinning=options.pin and can_pin(),
            first_load_user=CONTRACT_USERS,
            seed_count=CONTRACT_USERS + max(options.users, options.login_users) + 4,
            progress=self.progress,
        )
        self.started = time.monotonic()

    def history(self) -> plan.History | None:
        """The timeline the estimates come from: the newest earlier run in ``reports/``,
        else the committed sample run."""
        return plan.load_history(
            plan.history_candidates(
                Path("reports").resolve(),
                project_root() / "docs" / "sample-run" / "results.json",
                exclude=self.out,
            )
        )

    def run(self) -> ResultSet:
        options, run = self.options, self.state
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "logs").mkdir(exist_ok=True)
        for target in self.targets:
            run.record(target)
        if run.pinning:
            os.sched_setaffinity(0, {LOAD_CORE})  # children inherit; servers are moved to 0
        active = [t for t in self.targets if run.active(t)]
        steps = plan.plan_steps(active, options, run.probed, self.history())
        run.timer = Timer(steps, self.progress)
        self.progress.plan(steps)
        launcher = Launcher()
        rounds = Rounds(run, self.targets, launcher)
        probing = Probing(run, rounds.serve)
        cost = audit = None
        needed = [stores_for(t.variant, options.database) for t in active]
        kinds = ("redis", "postgres", "memcached")
        try:
            stores = launcher.shared_stores(**{k: any(n[k] for n in needed) for k in kinds})
            if run.pinning:
                for server in (stores.redis, stores.memcached, stores.postgres):
                    if server is not None and server.proc is not None:
                        pin(tree_pids(server.proc.pid), SERVER_CORE)
            for round_index in range(options.rounds):
                rounds.round(round_index, stores)
            # Probes after the rounds: only verified variants get numbers.
            for target in self.targets:
                if run.probed(target):
                    probing.probe(target, stores)
            if options.cost:
                cost = extras.counted_cost(run, self.targets)
            if options.audit:
                audit = extras.security_audit(run, self.targets)
        finally:
            launcher.close()
            if run.pinning:
                with contextlib.suppress(OSError):
                    os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
        for info in run.status.values():
            if info.status == "pending":
                info.status = "ok"
        results = document(
            run,
            self.targets,
            self.unknown,
            rounds.cells,
            run.timer.timeline,
            time.monotonic() - self.started,
            cost,
            audit,
        )
        results_module.save(results, self.out)
        return results
